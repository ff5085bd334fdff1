"""A typed Python client for oauth-manager (docs/api.md)."""
from .client import OAuthManagerClient
from .errors import UNEXPECTED_RESPONSE, OAuthManagerError
from .models import (AccessToken, Account, Authorization, ConfirmedConnection, ConnectSession,
                     Integration, Provider)
from .webhooks import (DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER, WebhookEvent,
                       WebhookSignatureError, verify_webhook, webhook_signature)

__all__ = [
    "AccessToken", "Account", "Authorization", "ConfirmedConnection", "ConnectSession",
    "DEFAULT_TOLERANCE_SECONDS", "Integration", "OAuthManagerClient", "OAuthManagerError",
    "Provider", "SIGNATURE_HEADER", "UNEXPECTED_RESPONSE", "WebhookEvent",
    "WebhookSignatureError", "verify_webhook", "webhook_signature",
]
