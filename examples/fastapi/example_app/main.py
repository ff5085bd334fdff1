"""The routes. Run with `python3 -m uvicorn example_app.main:create_app --factory` (README.md).

What a real application does the same way: it knows who is logged in, mints that user's JWT for
each call to oauth-manager, confirms connect flows as that user, checks webhook signatures, and
reads tokens only from its backend with a service JWT.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response

from oauth_manager_client import (SIGNATURE_HEADER, OAuthManagerClient, OAuthManagerError,
                                  WebhookSignatureError, verify_webhook)

from . import pages, sessions
from .caller_tokens import CallerTokens
from .settings import Settings, load_settings
from .webhook_inbox import WebhookInbox

log = logging.getLogger("example_app")
router = APIRouter()


@dataclass(frozen=True)
class Context:
    settings: Settings
    service: OAuthManagerClient
    tokens: CallerTokens
    inbox: WebhookInbox

    @property
    def return_to(self) -> str:
        # Must be under oauth-manager's [server] allowed_return_urls.
        return f"{self.settings.public_url}/integrations"


class NotLoggedIn(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def context(request: Request) -> Context:
    return request.app.state.context


def session_user(request: Request, ctx: Context) -> str | None:
    return sessions.unseal(request.cookies.get(sessions.COOKIE_NAME), ctx.settings.session_secret)


def require_user(request: Request, ctx: Context) -> str:
    user = session_user(request, ctx)
    if user is None:
        raise NotLoggedIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return user


def local_path(candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else "/": the login's `next` must not send the
    browser elsewhere ("//evil.example" and "/\\evil.example" are other hosts to a browser)."""
    if (not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\"))
            or any(ord(char) < 0x20 for char in candidate)):
        return "/"
    return candidate


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- the toy login ----------------------------------------------------------------------------

@router.get("/")
def home(request: Request, next_path: str = Query("/", alias="next"),
         ctx: Context = Depends(context)) -> Response:
    user = session_user(request, ctx)
    if user is None:
        return pages.login(local_path(next_path))
    providers = ctx.service.list_providers(ctx.tokens.for_user(user))
    return pages.home(user, providers, ctx.inbox.about_user(user))


@router.post("/login")
async def login(request: Request, ctx: Context = Depends(context)) -> Response:
    # Parsed by hand: FastAPI's Form() needs python-multipart, which this example does without.
    form = parse_qs((await request.body()).decode(errors="replace"))
    user = form.get("user", [""])[0]
    if not sessions.USER_NAME.fullmatch(user):
        return pages.page("Log in", "<p>Letters, digits, '.', '_' and '-' only.</p>", 400)
    response = see_other(local_path(form.get("next", ["/"])[0]))
    response.set_cookie(sessions.COOKIE_NAME, sessions.seal(user, ctx.settings.session_secret),
                        max_age=sessions.LIFETIME_SECONDS, httponly=True, samesite="lax",
                        secure=ctx.settings.public_url.startswith("https://"))
    return response


@router.post("/logout")
def logout() -> Response:
    response = see_other("/")
    response.delete_cookie(sessions.COOKIE_NAME)
    return response


# -- connecting an account --------------------------------------------------------------------

@router.post("/connect")
def open_connect_page(request: Request, ctx: Context = Depends(context)) -> Response:
    """oauth-manager's hosted connect page, in a session made for the logged-in user."""
    user = require_user(request, ctx)
    session = ctx.service.create_connect_session(ctx.tokens.for_user(user),
                                                 return_to=ctx.return_to)
    return see_other(session.connect_url)


@router.post("/connect/{provider}")
def connect_provider(provider: str, request: Request, ctx: Context = Depends(context)) -> Response:
    """Connecting without the hosted page: the start link goes straight to this browser, the one
    the user is at (docs/api.md: never fetch it from the backend, never forward it)."""
    user = require_user(request, ctx)
    authorization = ctx.service.authorize(ctx.tokens.for_user(user), provider,
                                          return_to=ctx.return_to)
    return see_other(authorization.authorization_url)


@router.get("/oauth/confirm")
def confirm(request: Request, flow: str = "", ctx: Context = Depends(context)) -> Response:
    """oauth-manager's [connect] confirm_url. Only this application knows who is at the browser
    the provider sent back, so it confirms the held flow as *that* user: a start link forwarded
    to someone else ends here with 403 flow_user_mismatch (docs/security.md, "Account
    linking")."""
    user = require_user(request, ctx)
    try:
        confirmed = ctx.service.confirm_flow(ctx.tokens.for_user(user), flow)
    except OAuthManagerError as error:
        if error.code == "flow_user_mismatch":
            log.warning("refused a connect flow begun by another user, confirmed by %s", user)
            return pages.flow_refused()
        if error.code == "not_found":
            return pages.flow_unknown()
        if error.code == "state_expired":
            return pages.flow_expired()
        raise
    integration = confirmed.integration
    log.info("%s connected %s (integration %s)", user, integration.provider, integration.id)
    return see_other(connected_url(ctx, confirmed.return_to, integration.id))


def connected_url(ctx: Context, return_to: str | None, integration_id: str) -> str:
    # return_to passed oauth-manager's allow-list already; we still send the browser only to a
    # page of our own.
    ours = f"{ctx.settings.public_url}/"
    target = return_to if return_to and return_to.startswith(ours) else ctx.return_to
    separator = "&" if urlsplit(target).query else "?"
    query = urlencode({"status": "connected", "integration_id": integration_id})
    return f"{target}{separator}{query}"


# -- connected accounts -----------------------------------------------------------------------

@router.get("/integrations")
def integrations(request: Request, status: str | None = None, error: str | None = None,
                 ctx: Context = Depends(context)) -> Response:
    user = require_user(request, ctx)
    items = ctx.service.list_integrations(ctx.tokens.for_user(user))
    return pages.integrations(items, pages.connected_banner(status, error))


@router.post("/integrations/{integration_id}/token")
def fetch_token(integration_id: str, request: Request, ctx: Context = Depends(context)
                ) -> Response:
    """What a backend job does: read an access token with the *service* JWT. The service JWT
    reaches every user's integrations (users:any), so first check this one is the user's."""
    user = require_user(request, ctx)
    owned = ctx.service.list_integrations(ctx.tokens.for_user(user))
    if integration_id not in {item.id for item in owned}:
        return pages.not_yours()
    token = ctx.service.get_token(ctx.tokens.for_backend(), integration_id=integration_id)
    log.info("the backend read a token of integration %s (%d characters)", integration_id,
             len(token.access_token))
    return pages.token_obtained(token)


@router.post("/integrations/{integration_id}/disconnect")
def disconnect(integration_id: str, request: Request, ctx: Context = Depends(context)
               ) -> Response:
    user = require_user(request, ctx)
    try:
        # The user's own JWT: oauth-manager answers 404 for anyone else's integration.
        ctx.service.disconnect(ctx.tokens.for_user(user), integration_id)
    except OAuthManagerError as error:
        if error.code == "not_found":
            return pages.not_yours()
        raise
    log.info("%s disconnected integration %s", user, integration_id)
    return see_other("/integrations")


# -- webhooks ---------------------------------------------------------------------------------

@router.post("/webhooks/oauth-manager")
async def receive_webhook(request: Request, ctx: Context = Depends(context)) -> Response:
    if ctx.settings.webhook_secret is None:
        log.warning("refused a webhook: EXAMPLE_WEBHOOK_SECRET_FILE is not set")
        return Response(status_code=503)
    body = await request.body()  # the raw bytes: the signature covers exactly these
    try:
        event = verify_webhook(body, request.headers.get(SIGNATURE_HEADER),
                               ctx.settings.webhook_secret)
    except WebhookSignatureError as error:
        log.warning("refused a webhook: %s", error)
        return Response(status_code=401)
    first_time = ctx.inbox.add(event)
    log.info("webhook %s about integration %s%s", event.type, event.data.get("integration_id"),
             "" if first_time else " (a repeat: ignored)")
    return Response(status_code=204)


@router.get("/events")
def events(request: Request, ctx: Context = Depends(context)) -> list[dict[str, Any]]:
    """The logged-in user's webhook events, newest first, as JSON."""
    user = require_user(request, ctx)
    return [{"id": event.id, "type": event.type, "timestamp": event.timestamp.isoformat(),
             "data": event.data} for event in ctx.inbox.about_user(user)]


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


# -- the application --------------------------------------------------------------------------

def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    service = OAuthManagerClient(settings.service_url)
    app = FastAPI(title="oauth-manager FastAPI example", docs_url=None, redoc_url=None)
    app.state.context = Context(settings=settings, service=service,
                                tokens=CallerTokens(settings.jwt_secret, settings.jwt_audience,
                                                    settings.backend_subject),
                                inbox=WebhookInbox())
    app.include_router(router)
    app.add_exception_handler(NotLoggedIn, _to_login)
    app.add_exception_handler(OAuthManagerError, _service_refused)
    app.add_exception_handler(httpx.TransportError, _service_unreachable)
    app.add_event_handler("shutdown", service.close)
    _configure_logging()
    return app


def _to_login(request: Request, error: Exception) -> Response:
    assert isinstance(error, NotLoggedIn)
    if request.method != "GET":
        return pages.page("Log in first", "<p>Your session has ended.</p>", status_code=401)
    return see_other(f"/?{urlencode({'next': error.path})}")


def _service_refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, OAuthManagerError)
    log.warning("oauth-manager answered %s %s (request id %s)", error.status, error.code,
                error.request_id)
    return pages.service_refused(error)


def _service_unreachable(request: Request, error: Exception) -> Response:
    log.warning("cannot reach oauth-manager: %s", type(error).__name__)
    return pages.service_unreachable()


class _PathOnlyAccessLog(logging.Filter):
    """uvicorn's access log prints the query string; ours can carry a one-time flow id
    (/oauth/confirm?flow=...), which oauth-manager keeps out of its own logs too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            record.args = (client, method, str(path).split("?", 1)[0], version, status)
        return True


def _configure_logging() -> None:
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _PathOnlyAccessLog) for f in access_log.filters):
        access_log.addFilter(_PathOnlyAccessLog())
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
