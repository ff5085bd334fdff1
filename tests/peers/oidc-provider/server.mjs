// A real OpenID Connect provider (panva/oidc-provider, certified by the OpenID Foundation) for the
// integration tests, on 127.0.0.1 and a free port. Everything here is ordinary oidc-provider
// configuration; the only test-specific part is that login and consent complete themselves
// (no person at a browser): the account is the authorization request's login_hint (default
// "test-user"), and login_hint "deny" makes the user refuse consent (access_denied).
//
// With INTERACTIVE=1 a person (or a browser test) goes through oidc-provider's own login and
// consent pages instead (its devInteractions: any login name, any password).
//
// Environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (comma-separated),
// ACCESS_TOKEN_TTL (seconds, default 3600), INTERACTIVE. Prints one JSON line {"issuer": "..."} when ready.
// POST /test/ttl?seconds=N sets the lifetime of access tokens issued from then on.
// GET /test/stats answers how many grants of each type succeeded (authorization_code,
// refresh_token) and how many revocation requests succeeded.
import http from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const interactive = process.env.INTERACTIVE === '1';
const stats = { authorization_code: 0, refresh_token: 0, revoked: 0 };
// Access token lifetime in seconds; POST /test/ttl?seconds=N changes it for tokens issued next.
let accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL || 3600);

function account(id) {
  return {
    accountId: id,
    async claims() {
      return { sub: id, email: `${id}@example.test`, email_verified: true, name: `Test User ${id}` };
    },
  };
}

async function main() {
  const { privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

  const server = http.createServer();
  await new Promise((resolve) => server.listen(Number(process.env.PORT || 0), '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: (process.env.REDIRECT_URIS || '').split(',').filter(Boolean),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['oauth-manager-test-cookie-key'] },
    scopes: ['openid', 'email', 'profile', 'offline_access', 'calendar', 'drive'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    pkce: { methods: ['S256'], required: () => true },
    features: {
      devInteractions: { enabled: interactive },
      revocation: { enabled: true },
    },
    ttl: { AccessToken: () => accessTokenTtl },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    findAccount: async (ctx, id) => account(id),
    ...(interactive ? {} : { interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` } }),
  });
  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params.grant_type;
    if (type in stats) stats[type] += 1;
  });
  // Revocation requests answered 200 (RFC 7009), counted on the way out.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token/revocation' && ctx.method === 'POST' && ctx.status === 200) {
      stats.revoked += 1;
    }
  });

  // Login and consent, completed at once.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/test/stats') {
      ctx.body = stats;
      return;
    }
    if (ctx.path === '/test/ttl' && ctx.method === 'POST') {
      accessTokenTtl = Number(ctx.query.seconds);
      ctx.body = { access_token_ttl: accessTokenTtl };
      return;
    }
    const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
    if (!match || interactive) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const hint = details.params.login_hint || 'test-user';
    let result;
    if (hint === 'deny') {
      result = { error: 'access_denied', error_description: 'the user refused' };
    } else if (details.prompt.name === 'login') {
      result = { login: { accountId: hint } };
    } else {
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      result = { consent: { grantId: await grant.save() } };
    }
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true }));
  });

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
