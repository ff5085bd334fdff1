// What the browser tests run against, all real and all on 127.0.0.1: the oauth-manager binary
// (`serve`, SQLite in a temporary directory), the OpenID Connect test peer (panva/oidc-provider)
// with its own login and consent pages, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = process.env.OAM_SOURCE_DIR || path.resolve(here, '../..');
export const binary = process.env.OAM_BINARY || path.join(sourceDir, 'build/oauth-manager');
export const artifactsDir = process.env.OAM_ARTIFACTS || path.join(sourceDir, 'build/test-artifacts');
const peerDir = path.join(sourceDir, 'tests/peers/oidc-provider');
const chromiumPath = process.env.OAM_CHROMIUM || '/usr/bin/chromium';

export const AUDIENCE = 'oauth-manager';
const JWT_SECRET = randomBytes(32).toString('base64url');
const CLIENT_ID = 'oauth-manager-browser-test';
const CLIENT_SECRET = randomBytes(24).toString('base64url');

// Why the tests cannot run here, or null. Under scripts/with-test-services (CI) a missing part
// is a failure, not a skip.
export function missingParts() {
  const missing = [];
  if (!existsSync(binary)) missing.push(`the service binary (${binary})`);
  if (!existsSync(path.join(peerDir, 'node_modules'))) missing.push('the OIDC peer (make test-peers)');
  if (!existsSync(path.join(here, 'node_modules/playwright-core'))) missing.push('playwright-core (make test-peers)');
  if (!existsSync(chromiumPath)) missing.push(`Chromium (${chromiumPath}; make deps)`);
  return missing.length ? missing.join(', ') : null;
}
export const serversRequired = Boolean(process.env.OAM_TEST_REQUIRE_SERVERS);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A child process whose output is kept (for a failure's message) and which is killed at the end.
class Child {
  constructor(command, args, env) {
    this.output = '';
    this.process = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout.on('data', (chunk) => { this.output += chunk; });
    this.process.stderr.on('data', (chunk) => { this.output += chunk; });
  }

  waitFor(pattern, what, timeoutMs = 20000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what} did not start:\n${this.output.slice(-2000)}`));
      }, timeoutMs);
      const check = () => {
        const match = this.output.match(pattern);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const exited = (code) => {
        cleanup();
        reject(new Error(`${what} exited (${code}):\n${this.output.slice(-2000)}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.process.stdout.off('data', check);
        this.process.stderr.off('data', check);
        this.process.off('exit', exited);
      };
      this.process.stdout.on('data', check);
      this.process.stderr.on('data', check);
      this.process.once('exit', exited);
      check();
    });
  }

  stop() {
    if (this.process.exitCode === null) this.process.kill('SIGTERM');
  }
}

// The OIDC peer with its login and consent pages, knowing `redirectUris`.
export async function startProvider(redirectUris) {
  const child = new Child('node', [path.join(peerDir, 'server.mjs')], {
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URIS: redirectUris.join(','),
    INTERACTIVE: '1',
  });
  const [, line] = await child.waitFor(/(\{"issuer":[^\n]*\})\n/, 'the OIDC peer');
  const { issuer } = JSON.parse(line);
  return {
    issuer,
    stop: () => child.stop(),
    async stats() {
      const response = await fetch(`${issuer}/test/stats`);
      return response.json();
    },
  };
}

// oauth-manager on a free port, with the peer as provider `testidp`. `extra` adds configuration
// (OAUTH_MANAGER_<SECTION>_<KEY> variables).
export async function startService(extra = {}) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const provider = await startProvider([`${baseUrl}/v1/oauth/callback/testidp`]);
  const dir = mkdtempSync(path.join(process.env.OAM_TEST_TMPDIR || os.tmpdir(), 'oam-browser-'));
  const child = new Child(binary, ['serve'], {
    OAUTH_MANAGER_SERVER_LISTEN: `127.0.0.1:${port}`,
    OAUTH_MANAGER_SERVER_THREADS: '2',
    OAUTH_MANAGER_DATABASE_URL: `sqlite://${path.join(dir, 'browser.db')}`,
    OAUTH_MANAGER_CRYPTO_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    OAUTH_MANAGER_AUTH_HS256_SECRET: JWT_SECRET,
    OAUTH_MANAGER_AUTH_AUDIENCE: AUDIENCE,
    OAUTH_MANAGER_PROVIDERS_TESTIDP_ISSUER: provider.issuer,
    OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_ID: CLIENT_ID,
    OAUTH_MANAGER_PROVIDERS_TESTIDP_CLIENT_SECRET: CLIENT_SECRET,
    OAUTH_MANAGER_PROVIDERS_TESTIDP_ALLOW_INSECURE_LOOPBACK: 'true',
    OAUTH_MANAGER_PROVIDERS_TESTIDP_SCOPES: 'openid,email,profile,offline_access',
    OAUTH_MANAGER_LOG_FORMAT: 'json',
    ...extra,
  });
  try {
    await child.waitFor(/"event":"server\.listening"/, 'oauth-manager');
  } catch (error) {
    provider.stop();
    throw error;
  }
  return {
    baseUrl,
    provider,
    log: () => child.output,
    stop() {
      child.stop();
      provider.stop();
    },
    // A caller JWT (HS256) the way an application mints one.
    jwt(subject, roles = ['user']) {
      const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
        sub: subject, aud: AUDIENCE, roles, iat: now, exp: now + 600,
      })}`;
      const signature = createHmac('sha256', Buffer.from(JWT_SECRET)).update(unsigned).digest('base64url');
      return `${unsigned}.${signature}`;
    },
    async api(method, target, token, body) {
      const response = await fetch(`${baseUrl}${target}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
      });
      const text = await response.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: response.status, json, text };
    },
  };
}

export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // As root on a machine without outside network: no sandbox, and nothing that calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function screenshotPath(name) {
  mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}
