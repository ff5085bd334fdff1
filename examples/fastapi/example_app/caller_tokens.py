"""The JWTs this application calls oauth-manager with: HS256 under the shared [auth]
hs256_secret, with the claims docs/security.md ("How your application mints the JWTs") asks for.
Written with the standard library: an HS256 JWT is three base64url parts and one HMAC."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

# Short-lived: a JWT is minted for each call, and without Redis sessions nothing else can
# revoke one (docs/security.md).
DEFAULT_TTL_SECONDS = 300


class CallerTokens:
    def __init__(self, secret: bytes, audience: str, backend_subject: str,
                 ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._secret = secret
        self._audience = audience
        self._backend_subject = backend_subject
        self._ttl_seconds = ttl_seconds

    def for_user(self, user_id: str) -> str:
        """A user's JWT: connect, confirm, list and disconnect *their own* integrations."""
        return self._mint(user_id, ["user"])

    def for_backend(self) -> str:
        """The backend's JWT (tokens:read, users:any): it reads tokens. Never send it to a
        browser."""
        return self._mint(self._backend_subject, ["service"])

    def _mint(self, subject: str, roles: list[str]) -> str:
        now = int(time.time())
        return sign_hs256({"sub": subject, "aud": self._audience, "roles": roles, "iat": now,
                           "exp": now + self._ttl_seconds}, self._secret)


def sign_hs256(claims: dict[str, Any], secret: bytes) -> str:
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def _b64url_json(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode())


def _b64url(data: bytes) -> str:
    # RFC 7515 §2: base64url without padding.
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
