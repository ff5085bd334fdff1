#!/usr/bin/env python3
"""The reference integration (examples/fastapi) against the real service binary and the real
OpenID Connect peer (tests/peers/oidc-provider), all on 127.0.0.1.

Browsers are httpx clients, one cookie jar each, that follow redirects themselves so every hop
can be looked at. Alice connects an account through the example, which confirms the flow as
her; the signed webhook arrives; the example's backend reads a token; Alice disconnects. Then
the attack: Alice's start link opened in Bob's browser ends at the example's confirm page as
Bob, which refuses; nothing is stored and the provider sees the grant revoked.

Usage: fastapi_example_test.py --binary BUILD/oauth-manager --source-dir REPO
Exit status 0 pass, 1 fail, 77 skipped (node or the peer's node_modules missing, only when
OAM_TEST_REQUIRE_SERVERS is unset: under scripts/with-test-services that is a failure).
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The client under test, from this checkout; httpx is Debian's python3-httpx. When either is
# missing, main() fails with what to install instead of an ImportError here.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "clients" / "python"))
try:
    import httpx
    from oauth_manager_client import (SIGNATURE_HEADER, Integration, OAuthManagerClient,
                                      OAuthManagerError, webhook_signature)
except ImportError as error:
    IMPORT_ERROR: ImportError | None = error
else:
    IMPORT_ERROR = None

SKIP = 77  # SKIP_RETURN_CODE in tests/CMakeLists.txt
PROVIDER = "testidp"
AUDIENCE = "oauth-manager"
START_TIMEOUT_SECONDS = 20
# Webhooks and revocations go through the outbox; they normally arrive within a second.
EVENTUALLY_SECONDS = 20


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def eventually(condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + EVENTUALLY_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise CheckFailed(f"not within {EVENTUALLY_SECONDS} s: {message}")
        time.sleep(0.2)


def passed(message: str) -> None:
    print(f"ok: {message}", flush=True)


# -- child processes --------------------------------------------------------------------------

def _die_with_parent() -> None:
    # If ctest kills this script on its timeout (SIGKILL, no cleanup), the kernel stops the
    # children too: PR_SET_PDEATHSIG (prctl(2)) = 1.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Children:
    """The processes this test starts, stopped by their pid at the end, also on failure."""

    def __init__(self, log_dir: Path) -> None:
        self._log_dir = log_dir
        self._processes: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None,
              capture_stdout: bool = False) -> subprocess.Popen[bytes]:
        with open(self._log_dir / f"{name}.out", "wb") as out, \
                open(self._log_dir / f"{name}.err", "wb") as err:
            process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE if capture_stdout else out,
                                       stderr=err, preexec_fn=_die_with_parent)
        self._processes.append((name, process))
        return process

    def stop_all(self) -> None:
        for _, process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for _, process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> dict[str, str]:
        return {path.name: path.read_text(errors="replace")
                for path in sorted(self._log_dir.glob("*.*")) if path.suffix in (".out", ".err")}

    def print_log_tails(self, lines: int = 40) -> None:
        for name, text in self.logs().items():
            tail = text.splitlines()[-lines:]
            if tail:
                print(f"--- {name} (last {len(tail)} lines)\n" + "\n".join(tail))


def free_port() -> int:
    # The service must know its own URL (and the peer our callback) before it listens, so its
    # port is chosen here; the window until the service binds it is short.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_private(path: Path, text: str) -> Path:
    # oauth-manager refuses secret files other users can read.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
        file.write(text)
    return path


def wait_until_serving(process: subprocess.Popen[bytes], url: str, name: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        check(process.poll() is None, f"{name} exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise CheckFailed(f"{name} does not answer {url}")


# -- the three servers ------------------------------------------------------------------------

class Stack:
    """The OIDC peer, oauth-manager and the example, configured for each other."""

    def __init__(self, binary: Path, source: Path, work: Path, children: Children) -> None:
        self.binary = binary
        self.source = source
        self.work = work
        self.children = children
        self.service_url = f"http://127.0.0.1:{free_port()}"
        self.example_url = f"http://127.0.0.1:{free_port()}"
        self.client_secret = secrets.token_urlsafe(32)
        self.jwt_secret = secrets.token_urlsafe(48)
        self.webhook_secret = secrets.token_hex(32)
        self.issuer = ""

    def start(self) -> None:
        self.issuer = self._start_peer()
        self._start_example()
        self._start_service()

    def _start_peer(self) -> str:
        peer_dir = self.source / "tests" / "peers" / "oidc-provider"
        process = self.children.start(
            "oidc-peer", [node_binary(), str(peer_dir / "server.mjs")], cwd=peer_dir,
            capture_stdout=True,
            env=base_environment() | {
                "CLIENT_ID": "oauth-manager-e2e", "CLIENT_SECRET": self.client_secret,
                "REDIRECT_URIS": f"{self.service_url}/v1/oauth/callback/{PROVIDER}"})
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_SECONDS)
        line = process.stdout.readline() if ready else b""
        check(line.startswith(b"{"), "the OIDC peer did not print its issuer")
        return json.loads(line)["issuer"]

    def _start_example(self) -> None:
        port = self.example_url.rsplit(":", 1)[1]
        python_path = [str(self.source / "clients" / "python"),
                       str(self.source / "examples" / "fastapi")]
        process = self.children.start(
            "example", [sys.executable, "-m", "uvicorn", "example_app.main:create_app",
                        "--factory", "--host", "127.0.0.1", "--port", port],
            env=base_environment() | {
                "PYTHONPATH": os.pathsep.join(python_path),
                "PYTHONDONTWRITEBYTECODE": "1",
                "EXAMPLE_SERVICE_URL": self.service_url,
                "EXAMPLE_PUBLIC_URL": self.example_url,
                "EXAMPLE_JWT_SECRET_FILE": str(self.work / "jwt.secret"),
                "EXAMPLE_WEBHOOK_SECRET_FILE": str(self.work / "webhook.secret")})
        wait_until_serving(process, f"{self.example_url}/healthz", "the example")

    def _start_service(self) -> None:
        process = self.children.start(
            "oauth-manager", [str(self.binary), "serve", "--config", str(self.config_file)],
            env=self.service_environment(), cwd=self.work)
        wait_until_serving(process, f"{self.service_url}/readyz", "oauth-manager")

    def write_configuration(self) -> None:
        write_private(self.work / "jwt.secret", self.jwt_secret)
        write_private(self.work / "webhook.secret", self.webhook_secret)
        subprocess.run([str(self.binary), "gen-key", "--out", str(self.work / "data.keys")],
                       check=True, capture_output=True)
        self.config_file.write_text(f"""
[server]
listen = "{self.service_url.removeprefix('http://')}"
[database]
url = "sqlite://{self.work / 'oauth-manager.db'}"
[crypto]
keys_file = "{self.work / 'data.keys'}"
[auth]
hs256_secret_file = "{self.work / 'jwt.secret'}"
audience = "{AUDIENCE}"
""")

    @property
    def config_file(self) -> Path:
        return self.work / "oauth-manager.toml"

    def service_environment(self) -> dict[str, str]:
        # The rest as the environment overrides a deployment would use (README, "Configuration").
        provider = f"OAUTH_MANAGER_PROVIDERS_{PROVIDER.upper()}"
        return base_environment() | {
            "OAUTH_MANAGER_SERVER_PUBLIC_URL": self.service_url,
            "OAUTH_MANAGER_SERVER_THREADS": "2",
            "OAUTH_MANAGER_SERVER_ALLOWED_RETURN_URLS": f"{self.example_url}/integrations",
            "OAUTH_MANAGER_CONNECT_CONFIRM_URL": f"{self.example_url}/oauth/confirm",
            "OAUTH_MANAGER_WEBHOOKS_URL": f"{self.example_url}/webhooks/oauth-manager",
            "OAUTH_MANAGER_WEBHOOKS_SECRET_FILE": str(self.work / "webhook.secret"),
            "OAUTH_MANAGER_WEBHOOKS_ALLOW_INSECURE_LOOPBACK": "true",
            f"{provider}_ISSUER": self.issuer,
            f"{provider}_CLIENT_ID": "oauth-manager-e2e",
            f"{provider}_CLIENT_SECRET": self.client_secret,
            f"{provider}_ALLOW_INSECURE_LOOPBACK": "true",
            f"{provider}_SCOPES": "openid,email,profile,offline_access",
        }

    def mint_token(self, subject: str, role: str) -> str:
        """A caller JWT from the binary itself, independent of the example's own minting."""
        minted = subprocess.run(
            [str(self.binary), "mint-token", "--config", str(self.config_file), "--sub", subject,
             "--role", role, "--ttl", "600"],
            env=self.service_environment(), cwd=self.work, check=True, capture_output=True,
            text=True)
        return minted.stdout.strip()

    def peer_stats(self) -> dict[str, int]:
        return httpx.get(f"{self.issuer}/test/stats", timeout=5).json()


def base_environment() -> dict[str, str]:
    # Children get a clean environment: an OAUTH_MANAGER_* variable of the developer's shell
    # must not change the service under test.
    return {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR")
            if name in os.environ}


def node_binary() -> str:
    return "/usr/bin/node" if os.path.exists("/usr/bin/node") else (shutil.which("node") or "node")


def missing_peer(source: Path) -> str | None:
    if not (os.path.exists("/usr/bin/node") or shutil.which("node")):
        return "node is not installed"
    if not (source / "tests/peers/oidc-provider/node_modules/oidc-provider").is_dir():
        return "tests/peers/oidc-provider/node_modules is missing (run `make test-peers`)"
    return None


# -- browsers ---------------------------------------------------------------------------------

class Browser:
    """One person's browser: its own cookie jar; redirects are followed by `follow`."""

    def __init__(self, name: str, example_url: str) -> None:
        self.name = name
        self.example_url = example_url
        self.http = httpx.Client(follow_redirects=False, timeout=15)

    def log_in(self) -> None:
        answer = self.http.post(f"{self.example_url}/login", data={"user": self.name})
        check(answer.status_code == 303, f"{self.name}'s login: {answer.status_code}")

    def post(self, path: str) -> httpx.Response:
        return self.http.post(f"{self.example_url}{path}")

    def get(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def follow(self, answer: httpx.Response, login_hint: str | None = None
               ) -> list[httpx.Response]:
        """Every answer from `answer` on, following redirects one at a time. The provider logs
        in the account named by the authorization request's login_hint, which a real user
        would type in: we add it to the URL our start link sends the browser to."""
        hops = [answer]
        while answer.is_redirect:
            check(len(hops) < 30, f"{self.name}'s browser is in a redirect loop")
            target = answer.url.join(answer.headers["location"])
            if login_hint and answer.url.path.startswith("/v1/oauth/start/"):
                target = target.copy_merge_params({"login_hint": login_hint})
            answer = self.http.get(target)
            hops.append(answer)
        return hops

    def events(self) -> list[dict[str, Any]]:
        return self.http.get(f"{self.example_url}/events").json()

    def close(self) -> None:
        self.http.close()


def hop_at(hops: list[httpx.Response], path: str) -> httpx.Response:
    found = [hop for hop in hops if hop.url.path == path]
    check(len(found) == 1, f"the browser passed {path} {len(found)} times: "
                           f"{[(hop.status_code, redacted(hop.url.path)) for hop in hops]}")
    return found[0]


def redacted(path: str) -> str:
    # Start links and the provider's interaction ids are one-time secrets: not in the output.
    return "/".join(part if len(part) < 20 else "…" for part in path.split("/"))


def location(answer: httpx.Response) -> str:
    return answer.headers.get("location", "")


# -- the scenarios ----------------------------------------------------------------------------

class Scenarios:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.service = OAuthManagerClient(stack.service_url)
        self.backend_jwt = stack.mint_token("e2e-backend", "service")
        self.alice = Browser("alice", stack.example_url)
        self.bob = Browser("bob", stack.example_url)
        # Values that must never show in a log or a page (checked at the end).
        self.secrets = {"the JWT secret": stack.jwt_secret,
                        "the webhook secret": stack.webhook_secret,
                        "the client secret": stack.client_secret,
                        "the backend's JWT": self.backend_jwt}

    def close(self) -> None:
        self.alice.close()
        self.bob.close()
        self.service.close()

    def integrations_of(self, user: str) -> list[Integration]:
        return self.service.list_integrations(self.backend_jwt, user_id=user)

    def revoked_at_provider(self) -> int:
        return self.stack.peer_stats()["revoked"]

    def alice_connects(self) -> str:
        self.alice.log_in()
        started = self.alice.post(f"/connect/{PROVIDER}")
        check(started.status_code == 303 and
              location(started).startswith(f"{self.stack.service_url}/v1/oauth/start/"),
              f"the example's connect button: {started.status_code} {started.text[:300]}")
        self.secrets["Alice's start link"] = location(started).rsplit("/", 1)[1]
        hops = self.alice.follow(started, login_hint="alice")
        callback = hop_at(hops, f"/v1/oauth/callback/{PROVIDER}")
        confirm_url = f"{self.stack.example_url}/oauth/confirm?flow="
        check(callback.status_code == 303 and location(callback).startswith(confirm_url),
              f"the callback did not send the browser to confirm_url: {callback.status_code}")
        self.secrets["Alice's flow id"] = location(callback).removeprefix(confirm_url)
        confirmed = hop_at(hops, "/oauth/confirm")
        check(confirmed.status_code == 303 and location(confirmed).startswith(
                  f"{self.stack.example_url}/integrations?status=connected"),
              f"the example's confirm page: {confirmed.status_code} {confirmed.text[:300]}")
        page = hops[-1]
        check(page.status_code == 200 and "alice@example.test" in page.text and
              "Connected." in page.text, f"the integrations page: {page.text[:500]}")
        stored = self.integrations_of("alice")
        check(len(stored) == 1 and stored[0].status == "active" and
              stored[0].account.id == "alice" and stored[0].provider == PROVIDER,
              f"Alice's integrations: {stored}")
        passed(f"alice connected her {PROVIDER} account through the example ({stored[0].id})")
        return stored[0].id

    def webhook_arrives(self, event_type: str, integration_id: str) -> None:
        def received() -> bool:
            return any(event["type"] == event_type and
                       event["data"].get("integration_id") == integration_id
                       for event in self.alice.events())
        eventually(received, f"the example kept no signed {event_type} webhook")
        passed(f"the {event_type} webhook arrived with a valid signature")

    def forged_webhooks_are_refused(self) -> None:
        url = f"{self.stack.example_url}/webhooks/oauth-manager"
        body = json.dumps({"id": "forged", "type": "integration.revoked",
                           "timestamp": "2026-11-26T00:00:00.000Z",
                           "data": {"user_id": "alice", "integration_id": "forged"}}).encode()
        now = int(time.time())
        attempts = {
            "unsigned": {},
            "signed with another secret": {SIGNATURE_HEADER: webhook_signature(
                "not-the-secret-" * 3, now, body)},
            "an hour old": {SIGNATURE_HEADER: webhook_signature(
                self.stack.webhook_secret, now - 3600, body)},
            "signing another body": {SIGNATURE_HEADER: webhook_signature(
                self.stack.webhook_secret, now, body.replace(b"alice", b"bob"))},
        }
        for name, headers in attempts.items():
            answer = httpx.post(url, content=body, headers=headers, timeout=5)
            check(answer.status_code == 401, f"a webhook {name} was answered {answer.status_code}")
        check(all(event["id"] != "forged" for event in self.alice.events()),
              "a forged webhook was kept")
        passed("webhooks unsigned, badly signed or replayed an hour later are refused")

    def backend_reads_a_token(self, integration_id: str) -> None:
        page = self.alice.post(f"/integrations/{integration_id}/token")
        check(page.status_code == 200 and "characters" in page.text and integration_id in page.text,
              f"the example's token page: {page.status_code} {page.text[:300]}")
        token = self.service.get_token(self.backend_jwt, integration_id=integration_id)
        self.secrets["the access token"] = token.access_token
        check(token.access_token not in page.text, "the example's page shows the token")
        check(f"{len(token.access_token)} characters" in page.text,
              "the example's page does not show the token's length")
        self.bob.log_in()
        refused = self.bob.post(f"/integrations/{integration_id}/token")
        check(refused.status_code == 404, f"Bob read Alice's token: {refused.status_code}")
        passed("the example's backend obtained a token with its service JWT; Bob could not")

    def alice_disconnects(self, integration_id: str) -> None:
        revoked_before = self.revoked_at_provider()
        refused = self.bob.post(f"/integrations/{integration_id}/disconnect")
        check(refused.status_code == 404,
              f"Bob disconnected Alice's account: {refused.status_code}")
        answer = self.alice.post(f"/integrations/{integration_id}/disconnect")
        check(answer.status_code == 303, f"the example's disconnect: {answer.status_code}")
        check([item.status for item in self.integrations_of("alice")] == ["revoked"],
              "the integration is not revoked")
        self.webhook_arrives("integration.revoked", integration_id)
        eventually(lambda: self.revoked_at_provider() == revoked_before + 2,
                   "the provider did not see the refresh and the access token revoked")
        passed("alice disconnected; both tokens were revoked at the provider")

    def bob_opens_alices_start_link(self) -> None:
        """RFC 9700 §4.7 account linking: Alice sends Bob her start link. Bob's browser opens it
        (so the browser binding holds) and Bob approves with his own account. The example
        confirms as the user it sees, Bob: refused, nothing stored, Bob's grant revoked."""
        alice_before = [item.id for item in self.integrations_of("alice")]
        revoked_before = self.revoked_at_provider()
        started = self.alice.post(f"/connect/{PROVIDER}")
        check(started.status_code == 303, f"the example's connect button: {started.status_code}")
        start_link = location(started)
        self.secrets["the forwarded start link"] = start_link.rsplit("/", 1)[1]
        hops = self.bob.follow(self.bob.get(start_link), login_hint="bob")
        callback = hop_at(hops, f"/v1/oauth/callback/{PROVIDER}")
        confirm_url = f"{self.stack.example_url}/oauth/confirm?flow="
        check(callback.status_code == 303 and location(callback).startswith(confirm_url),
              f"the callback did not send Bob's browser to confirm_url: {callback.status_code}")
        flow = location(callback).removeprefix(confirm_url)
        self.secrets["the attack's flow id"] = flow
        refusal = hops[-1]
        check(refusal.url.path == "/oauth/confirm" and refusal.status_code == 403 and
              "flow_user_mismatch" in refusal.text and "another user" in refusal.text,
              f"Bob's browser ended on {refusal.status_code} {refusal.url.path}: "
              f"{refusal.text[:300]}")
        check([item.id for item in self.integrations_of("alice")] == alice_before,
              "something was stored for Alice")
        check(self.integrations_of("bob") == [], "something was stored for Bob")
        eventually(lambda: self.revoked_at_provider() == revoked_before + 2,
                   "the grant Bob gave was not revoked (refresh and access token)")
        late = self.alice.get(f"{self.stack.example_url}/oauth/confirm?flow={flow}")
        check(late.status_code == 404, f"Alice confirmed the refused flow: {late.status_code}")
        passed("Alice's start link opened by Bob was refused at the example's confirm page, "
               "nothing stored, the grant revoked at the provider")

    def the_connect_page_opens(self) -> None:
        alice_jwt = self.stack.mint_token("alice", "user")
        probe = self.service.create_connect_session(alice_jwt)
        self.service.revoke_connect_session(alice_jwt, probe.id)
        opened = self.alice.post("/connect")
        check(opened.status_code == 303 and location(opened).startswith(
                  f"{self.stack.service_url}/connect#session="),
              f"the example's connect page button: {opened.status_code}")
        passed("the example opens the hosted connect page in a session made for Alice")

    def nothing_secret_was_logged(self) -> None:
        for name, text in self.stack.children.logs().items():
            for what, value in self.secrets.items():
                check(value not in text, f"{what} is in {name}")
        passed("no secret, token or flow id in any log")


def run(binary: Path, source: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="oauth-manager-fastapi-") as directory:
        work = Path(directory)
        (work / "logs").mkdir()
        children = Children(work / "logs")
        stack = Stack(binary, source, work, children)
        scenarios: Scenarios | None = None
        try:
            stack.write_configuration()
            stack.start()
            scenarios = Scenarios(stack)
            integration_id = scenarios.alice_connects()
            scenarios.webhook_arrives("integration.connected", integration_id)
            scenarios.forged_webhooks_are_refused()
            scenarios.backend_reads_a_token(integration_id)
            scenarios.alice_disconnects(integration_id)
            scenarios.bob_opens_alices_start_link()
            scenarios.the_connect_page_opens()
            scenarios.nothing_secret_was_logged()
        except BaseException:
            children.stop_all()
            children.print_log_tails()
            raise
        finally:
            if scenarios is not None:
                scenarios.close()
            children.stop_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, type=Path)
    parser.add_argument("--source-dir", required=True, type=Path)
    args = parser.parse_args()
    source = args.source_dir.resolve()

    if missing := missing_peer(source):
        # Same rule as tests/support/test_servers.cpp's servers_required().
        if os.environ.get("OAM_TEST_REQUIRE_SERVERS"):
            print(f"FAIL: {missing}, and OAM_TEST_REQUIRE_SERVERS is set")
            return 1
        print(f"SKIP: {missing}")
        return SKIP
    missing_modules = [name for name in ("fastapi", "uvicorn", "httpx")
                       if importlib.util.find_spec(name) is None]
    if missing_modules or IMPORT_ERROR:
        print(f"FAIL: {sys.executable} cannot import {', '.join(missing_modules) or IMPORT_ERROR}:"
              " run scripts/install-deps (Debian's python3-fastapi, python3-uvicorn, "
              "python3-httpx)")
        return 1
    if not os.access(args.binary, os.X_OK):
        print(f"FAIL: {args.binary} is not an executable (build it first)")
        return 1
    try:
        run(args.binary.resolve(), source)
    except CheckFailed as failure:
        print(f"FAIL: {failure}")
        return 1
    except Exception:
        traceback.print_exc()
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
