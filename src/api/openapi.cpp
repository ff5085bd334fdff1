#include "api/openapi.hpp"

#include <nlohmann/json.hpp>

namespace oauth_manager::api {
namespace {

// Kept as JSON text so it reads like the document clients download.
constexpr const char* kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "oauth-manager",
    "version": "0.1.0",
    "description": "Connects an application's users to their third-party accounts (OAuth 2.0 / OpenID Connect) and hands the application's backend valid access tokens. Every /v1 endpoint except the OAuth callback needs the application's JWT as a Bearer token. Errors are RFC 9457 problem+json with a stable code."
  },
  "security": [{"callerJwt": []}],
  "paths": {
    "/healthz": {
      "get": {
        "summary": "The process is up",
        "security": [],
        "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "ok"}}}}}}}
      }
    },
    "/readyz": {
      "get": {
        "summary": "The database answers; 503 otherwise",
        "security": [],
        "responses": {
          "200": {"description": "Ready", "content": {"application/json": {"schema": {"type": "object"}}}},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "security": [],
        "responses": {"200": {"description": "The OpenAPI 3.1 document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/v1/providers": {
      "get": {
        "summary": "The providers enabled here, with their known scopes",
        "description": "Needs integrations:read.",
        "responses": {
          "200": {"description": "The providers", "content": {"application/json": {"schema": {"type": "object", "required": ["providers"], "properties": {"providers": {"type": "array", "items": {"$ref": "#/components/schemas/Provider"}}}}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/v1/integrations/{provider}/authorize": {
      "post": {
        "summary": "Start connecting an account: returns the URL to send the user's browser to",
        "description": "Needs integrations:write; user_id other than the caller needs users:any. The URL carries a 256-bit state (only its hash is stored), a PKCE S256 challenge, a nonce for OpenID providers and exactly the configured redirect URI.",
        "parameters": [{"name": "provider", "in": "path", "required": true, "schema": {"type": "string"}, "example": "google"}],
        "requestBody": {"required": false, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"scopes": {"type": "array", "items": {"type": "string"}, "description": "Defaults to the provider's default scopes; each must be in the catalog or the configuration"}, "return_to": {"type": "string", "description": "Where the browser goes after the callback; must match [server] allowed_return_urls"}, "user_id": {"type": "string"}}}}}},
        "responses": {
          "201": {"description": "The authorization URL", "content": {"application/json": {"schema": {"type": "object", "required": ["authorization_url", "state_expires_at"], "properties": {"authorization_url": {"type": "string"}, "state_expires_at": {"type": "string", "format": "date-time"}}}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/oauth/callback/{provider}": {
      "get": {
        "summary": "Where the provider sends the user's browser back (no caller JWT: the state identifies the flow)",
        "security": [],
        "parameters": [
          {"name": "provider", "in": "path", "required": true, "schema": {"type": "string"}},
          {"name": "code", "in": "query", "schema": {"type": "string"}},
          {"name": "state", "in": "query", "required": true, "schema": {"type": "string"}},
          {"name": "iss", "in": "query", "schema": {"type": "string"}, "description": "RFC 9207; when present it must be the provider's issuer"},
          {"name": "error", "in": "query", "schema": {"type": "string"}, "example": "access_denied"}
        ],
        "responses": {
          "200": {"description": "Connected (no return_to was given)", "content": {"application/json": {"schema": {"type": "object", "properties": {"status": {"const": "connected"}, "integration": {"$ref": "#/components/schemas/Integration"}}}}}},
          "303": {"description": "Back to return_to with status=connected&integration_id=... or status=error&error=<code>", "headers": {"Location": {"schema": {"type": "string"}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "403": {"$ref": "#/components/responses/Problem"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/tokens": {
      "post": {
        "summary": "A valid access token for an integration, refreshed first when it would expire within min_ttl_seconds",
        "description": "Needs tokens:read; another user's integration needs users:any. Every call is an audit event (never the token).",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": false, "properties": {"integration_id": {"type": "string"}, "user_id": {"type": "string"}, "provider": {"type": "string"}, "scopes": {"type": "array", "items": {"type": "string"}, "description": "All must have been granted, else 403 insufficient_scope"}, "min_ttl_seconds": {"type": "integer", "minimum": 0, "maximum": 86400, "default": 60}}}}}},
        "responses": {
          "200": {"description": "The token", "content": {"application/json": {"schema": {"type": "object", "required": ["access_token", "token_type", "expires_at", "scopes", "integration_id"], "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"}, "expires_at": {"type": ["string", "null"], "format": "date-time"}, "scopes": {"type": "array", "items": {"type": "string"}}, "integration_id": {"type": "string"}}}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "409": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/integrations/{id}/refresh": {
      "post": {
        "summary": "Refresh the integration's tokens now",
        "description": "Needs integrations:write (users:any for another user's).",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {"description": "The integration after the refresh", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Integration"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "409": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Problem"}
        }
      }
    },
    "/v1/integrations": {
      "get": {
        "summary": "List the connected accounts of a user",
        "description": "Needs integrations:read. Without users:any only the caller's own integrations; another user_id answers 404.",
        "parameters": [{"$ref": "#/components/parameters/UserId"}],
        "responses": {
          "200": {"description": "The integrations", "content": {"application/json": {"schema": {"type": "object", "required": ["integrations"], "properties": {"integrations": {"type": "array", "items": {"$ref": "#/components/schemas/Integration"}}}}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/v1/integrations/{id}": {
      "delete": {
        "summary": "Disconnect: revoke at the provider, delete the tokens, close the consent",
        "description": "Needs integrations:write. Revocation (RFC 7009, refresh token first) is attempted where the provider has an endpoint; its failure does not block the local delete and is recorded in the audit event. Disconnecting twice is a no-op.",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "204": {"description": "Disconnected"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      },
      "get": {
        "summary": "One integration",
        "description": "Needs integrations:read. Another user's integration answers 404, as if it did not exist.",
        "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
        "responses": {
          "200": {"description": "The integration", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Integration"}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/v1/consents": {
      "get": {
        "summary": "The consent ledger of a user",
        "description": "Needs integrations:read; users:any for another user.",
        "parameters": [{"$ref": "#/components/parameters/UserId"}],
        "responses": {
          "200": {"description": "Ledger entries, oldest first", "content": {"application/json": {"schema": {"type": "object", "required": ["consents"], "properties": {"consents": {"type": "array", "items": {"$ref": "#/components/schemas/Consent"}}}}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/v1/audit": {
      "get": {
        "summary": "The audit trail, filtered and paged",
        "description": "Needs audit:read. Without users:any the trail is narrowed to the caller's own user id.",
        "parameters": [
          {"$ref": "#/components/parameters/UserId"},
          {"name": "integration_id", "in": "query", "schema": {"type": "string"}},
          {"name": "event", "in": "query", "schema": {"type": "string"}, "example": "integration.read"},
          {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
          {"name": "until", "in": "query", "schema": {"type": "string", "format": "date-time"}},
          {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
          {"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": {"type": "string"}}
        ],
        "responses": {
          "200": {"description": "One page of events, oldest first", "content": {"application/json": {"schema": {"type": "object", "required": ["events", "next_cursor"], "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEvent"}}, "next_cursor": {"type": ["string", "null"]}}}}}},
          "400": {"$ref": "#/components/responses/Problem"},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "404": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/v1/audit/verify": {
      "get": {
        "summary": "Recompute the audit hash chain",
        "description": "Needs audit:read and users:any (the chain spans every user).",
        "responses": {
          "200": {"description": "The verdict", "content": {"application/json": {"schema": {"type": "object", "required": ["intact", "events_checked"], "properties": {"intact": {"type": "boolean"}, "events_checked": {"type": "integer"}, "first_broken_seq": {"type": "integer"}, "problem": {"type": "string"}}}}}},
          "401": {"$ref": "#/components/responses/Unauthenticated"},
          "403": {"$ref": "#/components/responses/Problem"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    }
  },
  "components": {
    "securitySchemes": {
      "callerJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A JWT the application signs (HS256, RS256 or ES256): sub is the user id, roles (or the configured claim) maps to permissions, scope may name permissions directly."}
    },
    "parameters": {
      "UserId": {"name": "user_id", "in": "query", "description": "Whose records; defaults to the caller (sub). Another user needs users:any.", "schema": {"type": "string"}}
    },
    "responses": {
      "Problem": {"description": "An RFC 9457 problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "Unauthenticated": {"description": "No, or an invalid, bearer JWT", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "example": "Bearer realm=\"oauth-manager\", error=\"invalid_token\""}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
      "RateLimited": {"description": "Too many requests from this caller", "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    },
    "schemas": {
      "Problem": {
        "type": "object",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
          "type": {"type": "string", "example": "urn:oauth-manager:problem:not_found"},
          "title": {"type": "string"},
          "status": {"type": "integer"},
          "code": {"type": "string", "enum": ["invalid_request", "unauthenticated", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "headers_too_large", "provider_unknown", "state_invalid", "state_expired", "needs_reauth", "insufficient_scope", "provider_error", "rate_limited", "unavailable", "internal"]},
          "detail": {"type": "string"},
          "request_id": {"type": "string"}
        }
      },
      "Provider": {
        "type": "object",
        "required": ["id", "display_name", "scopes", "default_scopes"],
        "properties": {
          "id": {"type": "string"},
          "display_name": {"type": "string"},
          "scopes": {"type": "array", "items": {"type": "object", "required": ["name", "description"], "properties": {"name": {"type": "string"}, "description": {"type": "string"}}}},
          "default_scopes": {"type": "array", "items": {"type": "string"}}
        }
      },
      "Integration": {
        "type": "object",
        "required": ["id", "user_id", "provider", "status", "account", "scopes", "created_at", "updated_at", "expires_at", "last_refreshed_at"],
        "properties": {
          "id": {"type": "string"},
          "user_id": {"type": "string"},
          "provider": {"type": "string", "example": "google"},
          "status": {"type": "string", "enum": ["active", "needs_reauth", "revoked"]},
          "account": {"type": "object", "required": ["id", "email", "name"], "properties": {"id": {"type": "string"}, "email": {"type": ["string", "null"]}, "name": {"type": ["string", "null"]}}},
          "scopes": {"type": "array", "items": {"type": "string"}},
          "created_at": {"type": "string", "format": "date-time"},
          "updated_at": {"type": "string", "format": "date-time"},
          "expires_at": {"type": ["string", "null"], "format": "date-time", "description": "When the stored access token expires"},
          "last_refreshed_at": {"type": ["string", "null"], "format": "date-time"}
        }
      },
      "Consent": {
        "type": "object",
        "required": ["id", "user_id", "integration_id", "requested_scopes", "granted_scopes", "created_at", "revoked_at"],
        "properties": {
          "id": {"type": "string"},
          "user_id": {"type": "string"},
          "integration_id": {"type": "string"},
          "requested_scopes": {"type": "array", "items": {"type": "string"}},
          "granted_scopes": {"type": "array", "items": {"type": "string"}},
          "created_at": {"type": "string", "format": "date-time"},
          "ip": {"type": ["string", "null"]},
          "user_agent": {"type": ["string", "null"]},
          "revoked_at": {"type": ["string", "null"], "format": "date-time"}
        }
      },
      "AuditEvent": {
        "type": "object",
        "required": ["seq", "id", "occurred_at", "actor", "event", "outcome", "details", "prev_hash", "hash"],
        "properties": {
          "seq": {"type": "integer"},
          "id": {"type": "string"},
          "occurred_at": {"type": "string", "format": "date-time"},
          "actor": {"type": "string", "example": "sub:user-123"},
          "event": {"type": "string", "example": "integrations.list"},
          "user_id": {"type": ["string", "null"]},
          "integration_id": {"type": ["string", "null"]},
          "outcome": {"type": "string", "description": "ok, or the error code", "example": "ok"},
          "request_id": {"type": ["string", "null"]},
          "ip": {"type": ["string", "null"]},
          "details": {"type": "object"},
          "prev_hash": {"type": "string"},
          "hash": {"type": "string"}
        }
      }
    }
  }
})json";

}  // namespace

const std::string& openapi_document() {
  // Parsed and re-serialised once: a typo in the text fails loudly at start-up and in tests.
  static const std::string document = nlohmann::json::parse(kDocument).dump();
  return document;
}

void add_openapi_route(http::Router& router) {
  router.add("GET", "/openapi.json", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, openapi_document());
  });
}

}  // namespace oauth_manager::api
