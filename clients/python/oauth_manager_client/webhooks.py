"""Checking the signature of oauth-manager's webhooks (docs/api.md, "Webhooks").

The header `X-OAuth-Manager-Signature: t=<unix seconds>,v1=<hex>` carries HMAC-SHA256 under the
shared secret over "<t>.<raw body>" (src/events/webhooks.cpp). We recompute it over the bytes
as received, compare in constant time, and refuse a `t` too far from now, so a captured
delivery cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SIGNATURE_HEADER = "X-OAuth-Manager-Signature"
# How far `t` may be from our clock, either way: a delivery is signed when it is sent (each
# retry is signed anew), so only clock skew and transit time need to fit in here.
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookSignatureError(Exception):
    """The delivery is not from oauth-manager, or it is too old: answer 4xx and ignore it."""


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    timestamp: datetime
    data: dict[str, Any]


def webhook_signature(secret: str | bytes, unix_seconds: int, body: bytes) -> str:
    """The header value oauth-manager sends for `body` at `unix_seconds`."""
    return f"t={unix_seconds},v1={_hex_digest(secret, unix_seconds, body)}"


def verify_webhook(body: bytes, signature_header: str | None, secret: str | bytes, *,
                   tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
                   now: float | None = None) -> WebhookEvent:
    """The event in `body` if `signature_header` signs it under `secret` and is recent;
    WebhookSignatureError otherwise. Pass the raw body: re-serialised JSON would not match."""
    timestamp, signatures = _parse_header(signature_header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookSignatureError("the signature's timestamp is too old (or in the future)")
    expected = _hex_digest(secret, timestamp, body).encode()
    # Every candidate is compared, each in constant time, so timing says nothing about which.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    if not any(matches):
        raise WebhookSignatureError("the signature does not match the body")
    return _event(body)


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header:
        raise WebhookSignatureError(f"no {SIGNATURE_HEADER} header")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit() or not signatures:
        raise WebhookSignatureError(f"malformed {SIGNATURE_HEADER} header")
    return int(timestamps[0]), signatures


def _event(body: bytes) -> WebhookEvent:
    try:
        event = json.loads(body)
        return WebhookEvent(id=event["id"], type=event["type"],
                            timestamp=datetime.fromisoformat(event["timestamp"]),
                            data=dict(event.get("data") or {}))
    except (ValueError, KeyError, TypeError) as error:
        raise WebhookSignatureError(f"a signed body that is not an event: {error}") from None


def _hex_digest(secret: str | bytes, unix_seconds: int, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{unix_seconds}.".encode() + body, hashlib.sha256).hexdigest()
