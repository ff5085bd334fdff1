"""What the API answers, as typed values (docs/api.md). Fields the service adds later are
ignored, so an older client keeps working against a newer service."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _time(value: Any) -> datetime | None:
    # RFC 3339 UTC with a "Z" suffix; Python 3.11's fromisoformat reads it.
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class Account:
    """The provider account behind an integration."""
    id: str
    email: str | None = None
    name: str | None = None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Account:
        return cls(id=body["id"], email=body.get("email"), name=body.get("name"))


@dataclass(frozen=True)
class Provider:
    """A provider the service has turned on."""
    id: str
    display_name: str
    default_scopes: tuple[str, ...]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Provider:
        return cls(id=body["id"], display_name=body.get("display_name", body["id"]),
                   default_scopes=tuple(body.get("default_scopes", [])))


@dataclass(frozen=True)
class Integration:
    """A connected account. It never contains a token."""
    id: str
    user_id: str
    provider: str
    status: str
    account: Account
    scopes: tuple[str, ...]
    created_at: datetime | None
    updated_at: datetime | None
    expires_at: datetime | None
    last_refreshed_at: datetime | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Integration:
        return cls(id=body["id"], user_id=body["user_id"], provider=body["provider"],
                   status=body["status"], account=Account.from_json(body["account"]),
                   scopes=tuple(body.get("scopes", [])),
                   created_at=_time(body.get("created_at")),
                   updated_at=_time(body.get("updated_at")),
                   expires_at=_time(body.get("expires_at")),
                   last_refreshed_at=_time(body.get("last_refreshed_at")))


@dataclass(frozen=True)
class Authorization:
    """The start of a connect flow: send the user's own browser to `authorization_url`."""
    # A one-time link that binds the flow to the first browser opening it: kept out of repr().
    authorization_url: str = field(repr=False)
    state_expires_at: datetime | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Authorization:
        return cls(authorization_url=body["authorization_url"],
                   state_expires_at=_time(body.get("state_expires_at")))


@dataclass(frozen=True)
class ConfirmedConnection:
    """A held connect flow, confirmed by the user who began it."""
    status: str
    integration: Integration
    return_to: str | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ConfirmedConnection:
        return cls(status=body["status"], integration=Integration.from_json(body["integration"]),
                   return_to=body.get("return_to"))


@dataclass(frozen=True)
class ConnectSession:
    """A session of the hosted connect page: send the user's browser to `connect_url`."""
    id: str
    # The session's bearer secret, also in connect_url's fragment: kept out of repr().
    token: str = field(repr=False)
    connect_url: str = field(repr=False)
    expires_at: datetime | None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ConnectSession:
        return cls(id=body["id"], token=body["token"], connect_url=body["connect_url"],
                   expires_at=_time(body.get("expires_at")))


@dataclass(frozen=True)
class AccessToken:
    """A provider access token for a backend. repr() leaves the token out, so logging this
    object by accident does not leak it."""
    access_token: str = field(repr=False)
    token_type: str
    expires_at: datetime | None
    scopes: tuple[str, ...]
    integration_id: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> AccessToken:
        return cls(access_token=body["access_token"], token_type=body.get("token_type", "Bearer"),
                   expires_at=_time(body.get("expires_at")), scopes=tuple(body.get("scopes", [])),
                   integration_id=body["integration_id"])
