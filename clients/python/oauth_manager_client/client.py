"""A small synchronous client for oauth-manager's HTTP API (docs/api.md).

Every call takes the caller's JWT: a user's (roles ["user"]) to connect, confirm and disconnect
their own accounts, a backend's (roles ["service"]) to read tokens. Failures answered by the
service raise OAuthManagerError; network failures raise httpx.TransportError.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import httpx

from .errors import OAuthManagerError
from .models import (AccessToken, Authorization, ConfirmedConnection, ConnectSession,
                     Integration, Provider)

JsonBody = dict[str, Any]


class OAuthManagerClient:
    """One instance per application: it keeps a connection pool to the service."""

    def __init__(self, base_url: str, *, timeout_seconds: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        # `transport`: e.g. httpx.MockTransport in tests, or one with your TLS settings.
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_seconds,
                                  transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OAuthManagerClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connecting an account ---------------------------------------------------------------

    def list_providers(self, jwt: str) -> list[Provider]:
        """The providers a user can connect."""
        answer = self._call("GET", "/v1/providers", jwt)
        return [Provider.from_json(item) for item in answer["providers"]]

    def authorize(self, jwt: str, provider: str, *, scopes: Sequence[str] | None = None,
                  return_to: str | None = None, user_id: str | None = None,
                  integration_id: str | None = None) -> Authorization:
        """Begins a connect flow; send the user's own browser to `authorization_url`."""
        body = _without_none(scopes=_list(scopes), return_to=return_to, user_id=user_id,
                             integration_id=integration_id)
        answer = self._call("POST", f"/v1/integrations/{_segment(provider)}/authorize", jwt, body)
        return Authorization.from_json(answer)

    def confirm_flow(self, jwt: str, flow: str, *, user_id: str | None = None
                     ) -> ConfirmedConnection:
        """Confirms a held flow as the user the JWT names ([connect] confirm_url). Another user
        than the one who began it gets OAuthManagerError code "flow_user_mismatch"."""
        answer = self._call("POST", f"/v1/connect/flows/{_segment(flow)}/confirm", jwt,
                            _without_none(user_id=user_id))
        return ConfirmedConnection.from_json(answer)

    def create_connect_session(self, jwt: str, *, user_id: str | None = None,
                               providers: Sequence[str] | None = None,
                               return_to: str | None = None,
                               integration_id: str | None = None) -> ConnectSession:
        """A session of the hosted connect page; send the user's browser to `connect_url`."""
        body = _without_none(user_id=user_id, providers=_list(providers), return_to=return_to,
                             integration_id=integration_id)
        return ConnectSession.from_json(self._call("POST", "/v1/connect-sessions", jwt, body))

    def revoke_connect_session(self, jwt: str, session_id: str) -> None:
        self._call("DELETE", f"/v1/connect-sessions/{_segment(session_id)}", jwt)

    # -- integrations and tokens -------------------------------------------------------------

    def list_integrations(self, jwt: str, *, user_id: str | None = None) -> list[Integration]:
        """The caller's own integrations, or `user_id`'s (needs users:any)."""
        params = _without_none(user_id=user_id)
        answer = self._call("GET", "/v1/integrations", jwt, params=params)
        return [Integration.from_json(item) for item in answer["integrations"]]

    def disconnect(self, jwt: str, integration_id: str) -> None:
        """Deletes the tokens and revokes them at the provider."""
        self._call("DELETE", f"/v1/integrations/{_segment(integration_id)}", jwt)

    def get_token(self, jwt: str, *, integration_id: str | None = None,
                  user_id: str | None = None, provider: str | None = None,
                  scopes: Sequence[str] | None = None,
                  min_ttl_seconds: int | None = None) -> AccessToken:
        """An access token valid for at least `min_ttl_seconds` (needs tokens:read): name the
        integration, or the user and the provider."""
        body = _without_none(integration_id=integration_id, user_id=user_id, provider=provider,
                             scopes=_list(scopes), min_ttl_seconds=min_ttl_seconds)
        return AccessToken.from_json(self._call("POST", "/v1/tokens", jwt, body))

    # -- transport ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, jwt: str, body: JsonBody | None = None,
              params: dict[str, str] | None = None) -> JsonBody:
        response = self._http.request(method, path, json=body, params=params,
                                      headers={"Authorization": f"Bearer {jwt}"})
        if response.is_error:
            raise OAuthManagerError.from_response(response)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()


def _segment(value: str) -> str:
    # An id is one path segment: a "/" or "?" in it must not reach another route.
    return quote(value, safe="")


def _list(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


def _without_none(**fields: Any) -> dict[str, Any]:
    # The API rejects unknown fields and we send only what the caller set: absent means default.
    return {name: value for name, value in fields.items() if value is not None}
