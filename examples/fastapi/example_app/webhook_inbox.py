"""The last webhook events received, in memory (a real application would act on them: mark the
integration as needing a reconnect, send the user a mail...)."""
from __future__ import annotations

import threading
from collections import deque

from oauth_manager_client import WebhookEvent


class WebhookInbox:
    def __init__(self, capacity: int = 100) -> None:
        self._events: deque[WebhookEvent] = deque(maxlen=capacity)
        # Sync routes run in a thread pool, the webhook route on the event loop.
        self._lock = threading.Lock()

    def add(self, event: WebhookEvent) -> bool:
        """Keeps `event`; False when it was here already. Delivery is at least once: the same
        event (same id) may come again after a retry (docs/api.md, "Webhooks")."""
        with self._lock:
            if any(kept.id == event.id for kept in self._events):
                return False
            self._events.append(event)
            return True

    def about_user(self, user_id: str) -> list[WebhookEvent]:
        """The user's events, newest first."""
        with self._lock:
            return [event for event in reversed(self._events)
                    if event.data.get("user_id") == user_id]
