// The hosted connect page and the connect flow's browser defences, in real headless Chromium
// against the real service and the real OIDC peer's login and consent pages.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import {
  launchChromium, missingParts, screenshotPath, serversRequired, startService,
} from './harness.mjs';

const missing = missingParts();
if (missing && serversRequired) throw new Error(`the browser tests cannot run: missing ${missing}`);
const skip = missing ? `missing ${missing}` : false;

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

async function eventually(check, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
}

// The peer's own pages: a login form (any name, any password), then consent.
async function signInAtProvider(page, account) {
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

async function integrationsOf(service, user) {
  const listed = await service.api('GET', '/v1/integrations', service.jwt(user));
  return listed.json.integrations.filter((integration) => integration.status !== 'revoked');
}

async function newSession(service, user, body = {}) {
  const made = await service.api('POST', '/v1/connect-sessions', service.jwt(user), body);
  assert.equal(made.status, 201, made.text);
  return made.json;
}

// The service (with `extra` configuration) and a Chromium for one describe block, started before
// its tests and stopped after them; the tests read them from the returned object.
function serviceAndBrowser(extra = {}) {
  const env = {};
  before(async () => {
    env.service = await startService(extra);
    env.browser = await launchChromium();
  });
  after(async () => {
    await env.browser?.close();
    env.service?.stop();
  });
  return env;
}

describe('the hosted connect page', { skip }, () => {
  const env = serviceAndBrowser();

  test('connects an account through the provider, lists it and disconnects it', async () => {
    const session = await newSession(env.service, 'alice');
    const context = await env.browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(session.connect_url);
    await page.getByRole('heading', { name: 'Connect your accounts' }).waitFor();
    assert.ok(!page.url().includes('session='), 'the token leaves the address bar at once');
    await page.getByText('No account is connected yet.').waitFor();
    await page.screenshot({ path: screenshotPath('connect-page-empty-desktop.png'), fullPage: true });

    await page.getByRole('button', { name: 'Connect testidp' }).click();
    await page.waitForURL((url) => url.origin === env.service.provider.issuer);
    await signInAtProvider(page, 'alice-account');
    await page.waitForURL(`${env.service.baseUrl}/connect`);
    await page.getByRole('status').getByText('The account is connected.').waitFor();
    await page.getByText('alice-account@example.test').waitFor();
    assert.equal((await integrationsOf(env.service, 'alice')).length, 1);
    await page.screenshot({ path: screenshotPath('connect-page-connected-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('connect-page-connected-360.png'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `nothing is wider than 360 px (overflow ${overflow}px)`);

    // Disconnect asks first; cancelling keeps the account.
    await page.getByRole('button', { name: /^Disconnect testidp/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect this account?' });
    await dialog.waitFor();
    await page.screenshot({ path: screenshotPath('connect-page-confirm-360.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await integrationsOf(env.service, 'alice')).length, 1, 'cancel keeps it');
    await page.getByRole('button', { name: /^Disconnect testidp/ }).click();
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('status').getByText('testidp is disconnected.').waitFor();
    await page.getByText('No account is connected yet.').waitFor();
    assert.equal((await integrationsOf(env.service, 'alice')).length, 0);
    assert.equal((await env.service.provider.stats()).revoked, 2, 'revoked at the provider');
    await context.close();
  });

  test('is usable with the keyboard alone', async () => {
    const session = await newSession(env.service, 'keyboard-user');
    const context = await env.browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(session.connect_url);
    await page.getByRole('button', { name: 'Connect testidp' }).waitFor();
    // Tab reaches the connect button; Enter starts the flow.
    for (let i = 0; i < 10; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
      if (focused === 'Connect testidp') break;
    }
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Connect testidp');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.origin === env.service.provider.issuer);
    await context.close();
  });

  test('says so when its link has expired or is missing', async () => {
    const session = await newSession(env.service, 'alice');
    await env.service.api('DELETE', `/v1/connect-sessions/${session.id}`, env.service.jwt('alice'));
    const context = await env.browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(session.connect_url);
    await page.getByRole('status').getByText(/has expired/).waitFor();
    await page.goto(`${env.service.baseUrl}/connect`);
    await page.getByRole('status').getByText(/needs a link from the application/).waitFor();
    await context.close();
  });
});

describe('the browser defences of a connect flow', { skip }, () => {
  const env = serviceAndBrowser();

  // Alice's browser opens her start link; the provider URL it leads to is finished in another
  // browser (another person, other cookies): refused, nothing stored.
  test('a provider URL finished in a second browser is refused and stores nothing', async () => {
    const started = await env.service.api('POST', '/v1/integrations/testidp/authorize',
      env.service.jwt('alice'), {});
    const alice = await env.browser.newContext();
    const opened = await alice.request.get(started.json.authorization_url, { maxRedirects: 0 });
    assert.equal(opened.status(), 303);
    const providerUrl = opened.headers().location;

    const bob = await env.browser.newContext();
    const page = await bob.newPage();
    await page.goto(providerUrl);
    await signInAtProvider(page, 'bob-account');
    await page.waitForURL((url) => url.pathname === '/v1/oauth/callback/testidp');
    await page.getByText(/started in another browser/).waitFor();
    assert.equal((await integrationsOf(env.service, 'alice')).length, 0);

    // The start link itself, opened again anywhere, is spent.
    const again = await bob.newPage();
    const answer = await again.goto(started.json.authorization_url);
    assert.equal(answer.status(), 400);
    await again.getByText(/already opened/).waitFor();
    await page.screenshot({ path: screenshotPath('browser-mismatch-desktop.png') });
    await alice.close();
    await bob.close();
  });

  // Reconnecting with another account at the provider is refused, never merged.
  test('a reconnect that signs in with another account is refused', async () => {
    const first = await newSession(env.service, 'carol');
    const context = await env.browser.newContext();
    let page = await context.newPage();
    await page.goto(first.connect_url);
    await page.getByRole('button', { name: 'Connect testidp' }).click();
    await signInAtProvider(page, 'carol-account');
    await page.getByRole('status').getByText('The account is connected.').waitFor();
    const [integration] = await integrationsOf(env.service, 'carol');
    await context.close();

    const revokedBefore = (await env.service.provider.stats()).revoked;
    const reconnect = await newSession(env.service, 'carol', { integration_id: integration.id });
    const other = await env.browser.newContext();  // signed out at the provider
    page = await other.newPage();
    await page.goto(reconnect.connect_url);
    await page.getByRole('button', { name: 'Reconnect testidp' }).click();
    await signInAtProvider(page, 'someone-else');
    await page.getByRole('status').getByText(/another account than the one being reconnected/).waitFor();
    const after = await integrationsOf(env.service, 'carol');
    assert.equal(after.length, 1);
    assert.equal(after[0].account.id, 'carol-account', 'never merged');
    await eventually(async () => (await env.service.provider.stats()).revoked > revokedBefore,
      'the other account\'s grant is revoked at the provider');
    await other.close();
  });
});

// An application's confirm page (as the FastAPI example does it): it knows its logged-in user
// from its own cookie and confirms the flow as that user.
function startApplication(serviceRef) {
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    const user = /(?:^|; )app_user=([^;]+)/.exec(request.headers.cookie || '')?.[1];
    if (url.pathname === '/login') {
      response.writeHead(200, { 'Set-Cookie': `app_user=${url.searchParams.get('user')}; Path=/; HttpOnly` });
      response.end('logged in');
      return;
    }
    if (url.pathname === '/oauth/confirm' && user) {
      const flow = url.searchParams.get('flow');
      const confirmed = await serviceRef.service.api('POST',
        `/v1/connect/flows/${encodeURIComponent(flow)}/confirm`, serviceRef.service.jwt(user), {});
      response.writeHead(confirmed.status, { 'Content-Type': 'text/plain' });
      response.end(confirmed.status === 200 ? 'connected'
        : `refused: ${confirmed.json?.code}: ${confirmed.json?.detail}`);
      return;
    }
    response.writeHead(404);
    response.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('with [connect] confirm_url', { skip }, () => {
  const ref = {};
  let app;
  let browser;

  before(async () => {
    app = await startApplication(ref);
    const appUrl = `http://127.0.0.1:${app.address().port}`;
    ref.service = await startService({
      OAUTH_MANAGER_CONNECT_CONFIRM_URL: `${appUrl}/oauth/confirm`,
    });
    ref.appUrl = appUrl;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    ref.service?.stop();
    app?.close();
  });

  // The attack the browser binding alone cannot stop: Alice's start link, opened first by Bob
  // (so bound to Bob's browser), approved with Bob's account. The application sees Bob's
  // session at its confirm page: refused, and Bob's grant revoked at the provider.
  test('a flow begun by one user and finished by another is refused and revoked', async () => {
    const { service, appUrl } = ref;
    const started = await service.api('POST', '/v1/integrations/testidp/authorize',
      service.jwt('alice'), {});
    const bob = await browser.newContext();
    const page = await bob.newPage();
    await page.goto(`${appUrl}/login?user=bob`);
    await page.goto(started.json.authorization_url);
    await signInAtProvider(page, 'bob-account');
    await page.waitForURL((url) => url.pathname === '/oauth/confirm');
    await page.getByText(/refused: flow_user_mismatch/).waitFor();
    assert.equal((await integrationsOf(service, 'alice')).length, 0);
    assert.equal((await integrationsOf(service, 'bob')).length, 0);
    await eventually(async () => (await service.provider.stats()).revoked === 2,
      'Bob\'s grant is revoked at the provider');
    await bob.close();
  });

  test('the user who began the flow confirms it and is connected', async () => {
    const { service, appUrl } = ref;
    const started = await service.api('POST', '/v1/integrations/testidp/authorize',
      service.jwt('dave'), {});
    const dave = await browser.newContext();
    const page = await dave.newPage();
    await page.goto(`${appUrl}/login?user=dave`);
    await page.goto(started.json.authorization_url);
    await signInAtProvider(page, 'dave-account');
    await page.waitForURL((url) => url.pathname === '/oauth/confirm');
    await page.getByText('connected').waitFor();
    assert.equal((await integrationsOf(service, 'dave')).length, 1);
    await dave.close();
  });
});

// §6: from `make run` to a token with no provider account: /demo, the demo provider's own
// login and consent pages, the page's ready curl command, disconnect.
describe('the five-minute demo', { skip }, () => {
  const env = serviceAndBrowser({ OAUTH_MANAGER_DEMO_ENABLED: 'true' });

  test('connects a demo account, fetches its token with the shown command, disconnects', async () => {
    const context = await env.browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${env.service.baseUrl}/demo`);
    await page.getByRole('button', { name: 'Connect Demo provider' }).click();
    await page.getByLabel('Your name').fill('Ada Lovelace');
    await page.screenshot({ path: screenshotPath('demo-login-desktop.png') });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('status').getByText('The account is connected.').waitFor();
    await page.getByText('ada-lovelace@demo.invalid').waitFor();

    const command = await page.locator('#demo-commands code').first().textContent();
    await page.screenshot({ path: screenshotPath('demo-connected-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('demo-connected-360.png'), fullPage: true });
    // What the command does, done here: the URL, the JWT and the body it names.
    const url = /curl -s -X POST '([^']+)'/.exec(command)[1];
    const jwt = /Bearer ([^']+)'/.exec(command)[1];
    const body = /-d '([^']+)'/.exec(command)[1];
    const fetched = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      body,
    });
    assert.equal(fetched.status, 200, await fetched.clone().text());
    const token = await fetched.json();
    assert.ok(token.access_token.length >= 40);

    // A refresh goes through the demo provider's token endpoint and rotates its refresh token.
    const { integration_id: id } = JSON.parse(body);
    const refreshed = await env.service.api('POST', `/v1/integrations/${id}/refresh`, env.service.jwt('demo-user'), {});
    assert.equal(refreshed.status, 200, refreshed.text);

    await page.getByRole('button', { name: /^Disconnect Demo provider/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('status').getByText('Demo provider is disconnected.').waitFor();
    const after = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${jwt}`, 'Content-Type': 'application/json' },
      body,
    });
    assert.notEqual(after.status, 200, 'no token after the disconnect');
    assert.match(env.service.log(), /"event":"demo\.enabled"/, 'the log says the demo is on, with its link');
    await context.close();
  });
});
