"""The example's HTML, kept plain: every value from outside goes through html.escape."""
from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from oauth_manager_client import AccessToken, Integration, OAuthManagerError, Provider, WebhookEvent


def page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1>{body}<p><a href='/'>Home</a></p></body></html>",
        status_code=status_code,
        # Pages name integrations and accounts: not for shared caches. The confirm page's URL
        # holds a one-time flow id: no Referer to anything it links to.
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def button(action: str, label: str) -> str:
    # A form, not a link: each of these changes something (SameSite=Lax keeps other sites'
    # forms from posting with our cookie).
    return (f"<form method='post' action='{escape(action)}' style='display:inline'>"
            f"<button>{escape(label)}</button></form>")


def login(next_path: str) -> HTMLResponse:
    return page("Log in", f"""
      <form method='post' action='/login'>
        <label>User name <input name='user' pattern='[A-Za-z0-9._\\-]{{1,64}}' required></label>
        <input type='hidden' name='next' value='{escape(next_path)}'>
        <button>Log in</button>
      </form>""")


def home(user: str, providers: list[Provider], events: list[WebhookEvent]) -> HTMLResponse:
    connect_buttons = " ".join(button(f"/connect/{provider.id}", f"Connect {provider.display_name}")
                               for provider in providers)
    return page(f"Hello, {user}", f"""
      <p>{button('/connect', 'Open the connect page')} (oauth-manager's hosted page)</p>
      <p>Without the hosted page: {connect_buttons or 'no provider is configured'}</p>
      <p><a href='/integrations'>Your connected accounts</a></p>
      <h2>Webhooks about you</h2>{event_list(events)}
      <p>{button('/logout', 'Log out')}</p>""")


def integrations(items: list[Integration], banner: str) -> HTMLResponse:
    rows = "".join(
        f"<tr><td>{escape(item.provider)}</td><td>{escape(item.account.email or item.account.id)}"
        f"</td><td class='status'>{escape(item.status)}</td><td>{escape(' '.join(item.scopes))}"
        f"</td><td>{integration_actions(item)}</td></tr>" for item in items)
    table = ("<table><tr><th>provider</th><th>account</th><th>status</th><th>scopes</th><th></th>"
             f"</tr>{rows}</table>") if items else "<p>No connected accounts yet.</p>"
    return page("Your connected accounts", f"{banner}{table}")


def integration_actions(item: Integration) -> str:
    if item.status == "revoked":
        return ""
    return (button(f"/integrations/{item.id}/token", "Get a token (as the backend)") + " " +
            button(f"/integrations/{item.id}/disconnect", "Disconnect"))


def connected_banner(status: str | None, error: str | None) -> str:
    if status == "connected":
        return "<p class='banner'>Connected.</p>"
    if status == "error":
        return f"<p class='banner'>The connection failed: {escape(error or 'unknown error')}.</p>"
    return ""


def token_obtained(token: AccessToken) -> HTMLResponse:
    # Showing that a token came back is the point; the token itself stays in the backend.
    expires = token.expires_at.isoformat() if token.expires_at else "unknown"
    return page("The backend obtained an access token", f"""
      <dl><dt>integration</dt><dd id='integration'>{escape(token.integration_id)}</dd>
      <dt>type</dt><dd>{escape(token.token_type)}</dd>
      <dt>length</dt><dd id='length'>{len(token.access_token)} characters</dd>
      <dt>expires at</dt><dd id='expires'>{escape(expires)}</dd>
      <dt>scopes</dt><dd>{escape(' '.join(token.scopes))}</dd></dl>""")


def flow_refused() -> HTMLResponse:
    return page("This connection was not made", """
      <p id='flow_user_mismatch'>The account you just approved was being connected for
      <strong>another user</strong> of this site, not for you. Someone may have sent you their
      connection link. Nothing was stored for anyone, and the access you granted has been
      revoked at the provider.</p>
      <p>To connect an account of your own, start from your own page.</p>""", status_code=403)


def flow_unknown() -> HTMLResponse:
    return page("This link was already used",
                "<p>This connection was confirmed already, or the link is unknown. "
                "Start again from <a href='/integrations'>your connected accounts</a>.</p>",
                status_code=404)


def flow_expired() -> HTMLResponse:
    return page("This connection took too long",
                "<p>Nothing was stored and the access was revoked. Please start again.</p>",
                status_code=400)


def not_yours() -> HTMLResponse:
    return page("No such account", "<p>You have no connected account with this id.</p>",
                status_code=404)


def service_refused(error: OAuthManagerError) -> HTMLResponse:
    # The detail never contains a secret (docs/api.md, "Errors"); the request id finds the log.
    return page("oauth-manager refused", f"""
      <p>oauth-manager answered {error.status} <code class='code'>{escape(error.code)}</code>:
      {escape(error.detail)}</p><p>Request id: {escape(error.request_id or '-')}</p>""",
                status_code=502)


def service_unreachable() -> HTMLResponse:
    return page("oauth-manager cannot be reached",
                "<p>Try again in a moment.</p>", status_code=502)


def event_list(events: list[WebhookEvent]) -> str:
    if not events:
        return "<p>None yet.</p>"
    items = "".join(f"<li>{escape(event.timestamp.isoformat())} {escape(event.type)} "
                    f"{escape(str(event.data.get('provider', '')))}</li>" for event in events)
    return f"<ul>{items}</ul>"
