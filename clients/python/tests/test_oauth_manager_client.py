"""Unit tests of the Python client: requests against a scripted transport, problems, and the
webhook signature (the reference value is the one tests/unit/webhooks_test.cpp computed with
OpenSSL's command line). Run: python3 -m unittest discover -s clients/python/tests"""
from __future__ import annotations

import json
import sys
import unittest
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oauth_manager_client import (OAuthManagerClient, OAuthManagerError,  # noqa: E402
                                  WebhookSignatureError, verify_webhook, webhook_signature)

SECRET = "webhook-secret-for-the-tests"
BODY = b'{"id":"e1","type":"integration.revoked"}'
REFERENCE = "t=1795000000,v1=66f95d453546bb47d3ea727eb54951fe59c32d1cbeef966a5312246d90872bb6"
EVENT = (b'{"id":"e2","type":"integration.connected","timestamp":"2026-11-25T03:00:00.000Z",'
         b'"data":{"integration_id":"i1","user_id":"alice","provider":"google"}}')
NOW = 1795000000


class WebhookSignatureTest(unittest.TestCase):
    def test_signature_is_the_services(self) -> None:
        self.assertEqual(webhook_signature(SECRET, NOW, BODY), REFERENCE)

    def test_a_signed_recent_event_is_accepted(self) -> None:
        event = verify_webhook(EVENT, webhook_signature(SECRET, NOW, EVENT), SECRET, now=NOW + 10)
        self.assertEqual((event.id, event.type, event.data["user_id"]),
                         ("e2", "integration.connected", "alice"))

    def test_one_matching_signature_among_several_is_enough(self) -> None:
        header = f"t={NOW},v1={'0' * 64},{webhook_signature(SECRET, NOW, EVENT).split(',')[1]}"
        self.assertEqual(verify_webhook(EVENT, header, SECRET, now=NOW).id, "e2")

    def test_refused(self) -> None:
        signed = webhook_signature(SECRET, NOW, EVENT)
        cases = {
            "no header": (EVENT, None, NOW),
            "no timestamp": (EVENT, signed.split(",")[1], NOW),
            "two timestamps": (EVENT, f"t={NOW},{signed}", NOW),
            "no signature": (EVENT, f"t={NOW}", NOW),
            "another body": (EVENT.replace(b"alice", b"mallory"), signed, NOW),
            "another secret": (EVENT, webhook_signature(SECRET + "!", NOW, EVENT), NOW),
            "too old": (EVENT, signed, NOW + 301),
            "from the future": (EVENT, signed, NOW - 301),
            "a non-ASCII signature": (EVENT, f"t={NOW},v1=é", NOW),
            "signed, but not an event": (BODY, webhook_signature(SECRET, NOW, BODY), NOW),
        }
        for name, (body, header, now) in cases.items():
            with self.subTest(name), self.assertRaises(WebhookSignatureError):
                verify_webhook(body, header, SECRET, now=now)


class Recorder:
    """A transport answering from a script and keeping the requests it saw."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)

    def client(self) -> OAuthManagerClient:
        return OAuthManagerClient("http://oam.test", transport=httpx.MockTransport(self))


INTEGRATION = {"id": "i1", "user_id": "alice", "provider": "google", "status": "active",
               "account": {"id": "123", "email": "a@example.test", "name": None},
               "scopes": ["openid"], "created_at": "2026-11-25T03:00:00Z",
               "updated_at": "2026-11-25T03:00:00Z", "expires_at": None,
               "last_refreshed_at": None, "added_later": True}


class ClientTest(unittest.TestCase):
    def test_requests_carry_the_jwt_and_only_the_fields_set(self) -> None:
        recorder = Recorder(httpx.Response(201, json={"authorization_url": "http://oam.test/s",
                                                      "state_expires_at": "2026-11-25T03:10:00Z"}))
        recorder.client().authorize("jwt-1", "google", return_to="https://app.test/back")
        request = recorder.requests[0]
        self.assertEqual(request.url.path, "/v1/integrations/google/authorize")
        self.assertEqual(request.headers["Authorization"], "Bearer jwt-1")
        self.assertEqual(json.loads(request.content), {"return_to": "https://app.test/back"})

    def test_ids_stay_one_path_segment(self) -> None:
        recorder = Recorder(httpx.Response(204))
        recorder.client().disconnect("jwt", "../tokens?x=1")
        self.assertEqual(recorder.requests[0].url.raw_path, b"/v1/integrations/..%2Ftokens%3Fx%3D1")

    def test_answers_become_typed_values_and_unknown_fields_are_ignored(self) -> None:
        recorder = Recorder(httpx.Response(200, json={
            "status": "connected", "integration": INTEGRATION, "return_to": "https://app.test"}))
        confirmed = recorder.client().confirm_flow("jwt", "flow-1")
        self.assertEqual(recorder.requests[0].url.path, "/v1/connect/flows/flow-1/confirm")
        self.assertEqual(confirmed.integration.account.email, "a@example.test")
        self.assertEqual(confirmed.integration.scopes, ("openid",))
        self.assertEqual(confirmed.integration.created_at.year, 2026)

    def test_the_token_is_not_in_repr(self) -> None:
        recorder = Recorder(httpx.Response(200, json={
            "access_token": "ya29.secret-value", "token_type": "Bearer",
            "expires_at": "2026-11-25T04:00:00Z", "scopes": ["openid"], "integration_id": "i1"}))
        token = recorder.client().get_token("jwt", integration_id="i1", min_ttl_seconds=120)
        self.assertEqual(json.loads(recorder.requests[0].content),
                         {"integration_id": "i1", "min_ttl_seconds": 120})
        self.assertEqual(token.access_token, "ya29.secret-value")
        self.assertNotIn("secret-value", repr(token))

    def test_a_problem_raises_its_code_status_and_detail(self) -> None:
        recorder = Recorder(httpx.Response(
            403, headers={"Content-Type": "application/problem+json"},
            json={"type": "urn:oauth-manager:problem:flow_user_mismatch", "title": "Forbidden",
                  "status": 403, "code": "flow_user_mismatch", "detail": "another user",
                  "request_id": "r1"}))
        with self.assertRaises(OAuthManagerError) as raised:
            recorder.client().confirm_flow("jwt", "flow-1")
        error = raised.exception
        self.assertEqual((error.code, error.status, error.detail, error.request_id),
                         ("flow_user_mismatch", 403, "another user", "r1"))

    def test_retry_after_is_kept(self) -> None:
        recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3"},
                                           json={"code": "rate_limited", "status": 429}))
        with self.assertRaises(OAuthManagerError) as raised:
            recorder.client().list_integrations("jwt")
        self.assertEqual((raised.exception.code, raised.exception.retry_after), ("rate_limited", 3))

    def test_an_answer_that_is_no_problem_has_its_own_code(self) -> None:
        recorder = Recorder(httpx.Response(502, text="<html>bad gateway</html>"))
        with self.assertRaises(OAuthManagerError) as raised:
            recorder.client().list_integrations("jwt")
        self.assertEqual((raised.exception.code, raised.exception.status),
                         ("unexpected_response", 502))


if __name__ == "__main__":
    unittest.main()
