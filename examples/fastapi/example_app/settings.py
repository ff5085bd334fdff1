"""The example's configuration, from environment variables (README.md lists them)."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    # Where oauth-manager serves its API, as this backend reaches it.
    service_url: str
    # This application's own origin, as browsers reach it: return_to and confirm_url live here.
    public_url: str
    # oauth-manager's [auth] hs256_secret: our callers' JWTs are signed with it.
    jwt_secret: bytes = field(repr=False)
    jwt_audience: str
    # oauth-manager's [webhooks] secret; without it every webhook is refused.
    webhook_secret: bytes | None = field(repr=False)
    # Signs the login cookie. Random per start unless set: logins do not survive a restart.
    session_secret: bytes = field(repr=False)
    # The `sub` of the JWTs this backend reads tokens with (roles ["service"]).
    backend_subject: str = "fastapi-example"


def load_settings(environ: Mapping[str, str] = os.environ) -> Settings:
    jwt_secret = _secret(environ, "EXAMPLE_JWT_SECRET", default_file="var/dev-jwt.secret")
    if jwt_secret is None:
        raise SystemExit("set EXAMPLE_JWT_SECRET_FILE (or EXAMPLE_JWT_SECRET) to oauth-manager's "
                         "[auth] hs256_secret; `make run` writes it to var/dev-jwt.secret")
    session_secret = environ.get("EXAMPLE_SESSION_SECRET", "").encode() or secrets.token_bytes(32)
    return Settings(
        service_url=environ.get("EXAMPLE_SERVICE_URL", "http://127.0.0.1:8000").rstrip("/"),
        public_url=environ.get("EXAMPLE_PUBLIC_URL", "http://127.0.0.1:8001").rstrip("/"),
        jwt_secret=jwt_secret,
        jwt_audience=environ.get("EXAMPLE_JWT_AUDIENCE", "oauth-manager"),
        webhook_secret=_secret(environ, "EXAMPLE_WEBHOOK_SECRET"),
        session_secret=session_secret)


def _secret(environ: Mapping[str, str], name: str, default_file: str | None = None
            ) -> bytes | None:
    """NAME holds the secret itself, NAME_FILE a file holding it. Secrets belong in files (the
    environment leaks into child processes and crash reports); the variable is for tests."""
    if value := environ.get(name):
        return value.encode()
    path = environ.get(f"{name}_FILE") or default_file
    if path is None or not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        # Like oauth-manager: the trailing newline an editor or `echo` adds is not the secret's.
        return file.read().rstrip(b"\r\n")
