// The hosted connect page. Its URLs are relative: public_url may sit under a path behind a
// proxy, and the page must never load or call anything outside it. It acts for one user with a connect session's token, which arrives
// in the URL fragment (never sent to a server), is kept in sessionStorage for this tab (the
// provider round trip is a full-page navigation in the same tab) and removed from the address
// bar at once. No framework, no build step, no third-party code.
'use strict';

const TOKEN_KEY = 'oam_connect_session';
const DEMO_KEY = 'oam_connect_demo';

const OUTCOME_WORDS = {
  connected: 'The account is connected.',
  access_denied: 'You did not allow access, so nothing was connected.',
  account_mismatch:
    'You signed in with another account than the one being reconnected, so nothing changed. ' +
    'Sign in with that account, or connect the other one as a new account.',
  browser_mismatch: 'The connection was finished in another browser. Please start it again here.',
  state_invalid: 'This connection attempt was already used or is unknown. Please start again.',
  state_expired: 'The connection took too long. Please start again.',
  start_link_used: 'This connection link was already used. Please start again.',
};

function takeSessionToken() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const fromLink = fragment.get('session');
  if (fromLink) sessionStorage.setItem(TOKEN_KEY, fromLink);
  if (fromLink && fragment.get('demo') === '1') sessionStorage.setItem(DEMO_KEY, '1');
  if (window.location.hash) {
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

// What the provider round trip came back with (?status=…&error=…), then a clean address bar.
function takeOutcome() {
  const query = new URLSearchParams(window.location.search);
  const status = query.get('status');
  if (window.location.search) history.replaceState(null, '', window.location.pathname);
  if (status === 'connected') return { kind: 'ok', text: OUTCOME_WORDS.connected };
  if (status === 'error') {
    // Only codes we know are put in words; anything else in the address bar (which anyone can
    // write) gets the generic sentence, never its own text.
    const code = query.get('error');
    const text = Object.hasOwn(OUTCOME_WORDS, code) ? OUTCOME_WORDS[code]
      : 'The connection failed. Please try again in a moment.';
    return { kind: 'error', text };
  }
  return null;
}

function showMessage(kind, text) {
  const message = document.getElementById('message');
  message.className = `message ${kind}`;
  message.textContent = text;
  message.hidden = false;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `request failed (${status})`);
    this.status = status;
    this.code = problem.code || '';
  }
}

async function call(token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 204) return null;
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, answer);
  return answer;
}

// OpenID Connect's standard scopes (OIDC Core §5.4, §11), for a provider the catalog does not
// describe.
const STANDARD_SCOPE_WORDS = {
  openid: 'Confirm who you are',
  email: 'See your email address',
  profile: 'See your name and basic profile',
  address: 'See your postal address',
  phone: 'See your phone number',
  offline_access: 'Keep access while you are away',
};

// The scope names in words, from the provider's catalog (a discovered provider's scopes are
// "described" by their own names); a scope nobody describes is shown by its name.
function describeScopes(provider, names) {
  const words = new Map((provider ? provider.scopes : []).map((s) => [s.name, s.description]));
  return names.map((name) => {
    const described = words.get(name);
    if (described && described !== name) return described;
    return Object.hasOwn(STANDARD_SCOPE_WORDS, name) ? STANDARD_SCOPE_WORDS[name] : name;
  });
}

function fillList(list, items) {
  list.replaceChildren(...items.map((text) => {
    const item = document.createElement('li');
    item.textContent = text;
    return item;
  }));
}

function sinceText(isoTime) {
  const when = new Date(isoTime);
  if (Number.isNaN(when.getTime())) return '';
  return `since ${when.toLocaleDateString(undefined, { dateStyle: 'medium' })}`;
}

class ConnectPage {
  constructor(token) {
    this.token = token;
    this.providers = new Map();
  }

  async load() {
    const session = await call(this.token, 'GET', 'v1/connect/session');
    this.providers = new Map(session.providers.map((p) => [p.id, p]));
    this.renderIntegrations(session.integrations, session.reconnect_integration_id);
    this.renderProviders(session.providers, session.integrations);
    if (sessionStorage.getItem(DEMO_KEY) === '1') await this.renderDemo(session.integrations);
    if (session.return_to) {
      const back = document.getElementById('back-link');
      back.href = session.return_to;
      // Leaving for the application: the session's token stays behind in no storage.
      back.addEventListener('click', () => {
        sessionStorage.removeItem(TOKEN_KEY);
        sessionStorage.removeItem(DEMO_KEY);
      });
      document.getElementById('back').hidden = false;
    }
    document.getElementById('loading').hidden = true;
  }

  renderProviders(providers, integrations) {
    const template = document.getElementById('provider-card');
    const cards = providers.map((provider) => {
      const card = template.content.firstElementChild.cloneNode(true);
      card.querySelector('.name').textContent = provider.display_name;
      fillList(card.querySelector('.scopes'), describeScopes(provider, provider.default_scopes));
      const button = card.querySelector('.connect');
      // With one connected already, say that this adds a second account.
      const connected = integrations.some((integration) => integration.provider === provider.id);
      button.textContent = connected ? `Connect another ${provider.display_name} account`
        : `Connect ${provider.display_name}`;
      button.addEventListener('click', () => this.start(button, provider.id));
      return card;
    });
    document.getElementById('providers').replaceChildren(...cards);
    document.getElementById('providers-empty').hidden = cards.length > 0;
  }

  renderIntegrations(integrations, reconnectId) {
    const template = document.getElementById('integration-card');
    const cards = integrations.map((integration) => {
      const provider = this.providers.get(integration.provider);
      const name = provider ? provider.display_name : integration.provider;
      const account = integration.account.email || integration.account.name ||
        integration.account.id;
      const card = template.content.firstElementChild.cloneNode(true);
      card.querySelector('.name').textContent = name;
      card.querySelector('.account').textContent = account;
      const status = card.querySelector('.status');
      const needsReauth = integration.status === 'needs_reauth';
      status.textContent = needsReauth ? 'Needs to be reconnected' : 'Connected';
      status.classList.add(integration.status);
      card.querySelector('.since').textContent = sinceText(integration.created_at);
      fillList(card.querySelector('.scopes'), describeScopes(provider, integration.scopes));
      const reconnect = card.querySelector('.reconnect');
      reconnect.textContent = `Reconnect ${name}`;
      reconnect.hidden = !(needsReauth || integration.id === reconnectId) || !provider;
      reconnect.addEventListener('click', () => this.start(reconnect, integration.provider,
                                                            integration.id));
      const disconnect = card.querySelector('.disconnect');
      disconnect.textContent = `Disconnect ${name}`;
      disconnect.setAttribute('aria-label', `Disconnect ${name} (${account})`);
      disconnect.addEventListener('click', () => this.confirmDisconnect(disconnect, integration,
                                                                        name, account));
      return card;
    });
    document.getElementById('connected').replaceChildren(...cards);
    document.getElementById('connected-empty').hidden = cards.length > 0;
  }

  // The demo only (GET /demo opened this page): a ready command per connected account.
  async renderDemo(integrations) {
    const section = document.getElementById('demo');
    section.hidden = integrations.length === 0;
    if (section.hidden) return;
    let demo;
    try {
      demo = await call(this.token, 'GET', 'demo/curl');
    } catch (error) {
      document.getElementById('demo-commands').textContent = error.message;
      return;
    }
    const commands = integrations.map((integration) => {
      const block = document.createElement('pre');
      const code = document.createElement('code');
      code.textContent = `curl -s -X POST '${demo.tokens_url}' \\\n` +
        `  -H 'Authorization: Bearer ${demo.service_jwt}' \\\n` +
        "  -H 'Content-Type: application/json' \\\n" +
        `  -d '{"integration_id":"${integration.id}"}' -w '\\n'`;
      block.append(code);
      return block;
    });
    document.getElementById('demo-commands').replaceChildren(...commands);
  }

  // A full-page navigation to our start link, which goes on to the provider and comes back here.
  async start(button, providerId, integrationId) {
    button.disabled = true;
    try {
      const body = { provider: providerId };
      if (integrationId) body.integration_id = integrationId;
      const started = await call(this.token, 'POST', 'v1/connect/session/authorize', body);
      window.location.assign(started.authorization_url);
    } catch (error) {
      button.disabled = false;
      this.fail(error);
    }
  }

  confirmDisconnect(button, integration, name, account) {
    const dialog = document.getElementById('confirm-disconnect');
    document.getElementById('confirm-text').textContent =
      `The application will no longer be able to use ${name} (${account}). ` +
      'You can connect it again later.';
    dialog.addEventListener('close', async () => {
      if (dialog.returnValue !== 'disconnect') {
        button.focus();
        return;
      }
      await this.disconnect(button, integration, name);
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  }

  async disconnect(button, integration, name) {
    button.disabled = true;
    try {
      await call(this.token, 'DELETE', `v1/connect/session/integrations/${encodeURIComponent(integration.id)}`);
      showMessage('ok', `${name} is disconnected.`);
      await this.load();
      document.getElementById('main').focus();
    } catch (error) {
      button.disabled = false;
      this.fail(error);
    }
  }

  fail(error) {
    if (error instanceof ApiError && error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showMessage('error', 'This page has expired. Go back to the application and open it again.');
      return;
    }
    showMessage('error', `${error.message}`);
  }
}

async function main() {
  const token = takeSessionToken();
  const outcome = takeOutcome();
  if (outcome) showMessage(outcome.kind, outcome.text);
  if (!token) {
    document.getElementById('loading').hidden = true;
    showMessage('error', 'This page needs a link from the application. Go back to the ' +
                'application and open it again.');
    return;
  }
  const page = new ConnectPage(token);
  try {
    await page.load();
  } catch (error) {
    document.getElementById('loading').hidden = true;
    page.fail(error);
  }
}

document.addEventListener('DOMContentLoaded', main);
