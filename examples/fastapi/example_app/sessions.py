"""The toy login's session cookie: the user's name and the login time, signed with HMAC-SHA256
(standard library only). A real application has its own sessions; what matters for
oauth-manager is only that the backend knows which user is at the browser."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time

COOKIE_NAME = "example_session"
LIFETIME_SECONDS = 8 * 3600
# What the toy login accepts as a user name (it becomes the JWT's `sub`, ≤ 255 characters).
USER_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def seal(user_id: str, secret: bytes, now: float | None = None) -> str:
    payload = json.dumps({"user": user_id, "iat": int(time.time() if now is None else now)},
                         separators=(",", ":")).encode()
    encoded = base64.urlsafe_b64encode(payload).decode()
    return f"{encoded}.{_mac(encoded, secret)}"


def unseal(cookie: str | None, secret: bytes, now: float | None = None) -> str | None:
    """The user a cookie names, or None when it is missing, forged or expired."""
    if not cookie or "." not in cookie:
        return None
    encoded, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(_mac(encoded, secret).encode(), mac.encode()):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(encoded))
        user, issued_at = str(payload["user"]), int(payload["iat"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None
    current = time.time() if now is None else now
    return user if 0 <= current - issued_at <= LIFETIME_SECONDS else None


def _mac(encoded_payload: str, secret: bytes) -> str:
    return hmac.new(secret, encoded_payload.encode(), hashlib.sha256).hexdigest()
