// A real OpenID Connect provider for the test suite: the npm package oidc-provider (OpenID-certified),
// with one client and a login page that signs in whoever the test says it is.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port", "issuer", "client": {client_id, client_secret, redirect_uris}, "keys": [private JWK]}.
// The suite makes the signing key, so a test can also forge tokens the provider "could" have signed
// (wrong audience, expired) and prove the app refuses them for that reason alone.
//
// Login: GET /interaction/:uid shows a form; POST /interaction/:uid/login with sub, email,
// email_verified ("true"/"false") and name signs that account in (the provider then keeps those
// claims for it); POST /interaction/:uid/abort answers the app with access_denied, as a person
// pressing "Cancel" at a real provider would. Consent is implied: the client is first-party.
//
// Registration (RFC 7591) is open at the discovery document's registration_endpoint: the browser
// tests register a client whose redirect URI is their live server's, whose port is only known then.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map();

const provider = new Provider(config.issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: config.keys },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  features: { devInteractions: { enabled: false }, registration: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
  cookies: { keys: ['only-for-tests'] },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    return claims && { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

const LOGIN_FORM = (uid) => `<!doctype html><title>Test provider</title>
<form method="post" action="/interaction/${uid}/login">
<label>sub <input name="sub"></label> <label>email <input name="email"></label>
<label>name <input name="name"></label>
<label><input type="checkbox" name="email_verified" value="true" checked> email verified</label>
<button>Sign in</button></form>
<form method="post" action="/interaction/${uid}/abort"><button>Cancel</button></form>`;

async function interaction(req, res, uid, action) {
  await provider.interactionDetails(req, res); // 400s for an unknown or finished interaction
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(LOGIN_FORM(uid));
    return;
  }
  const form = await readForm(req);
  if (action === 'login' && form.sub) {
    accounts.set(form.sub, {
      email: form.email || undefined,
      email_verified: form.email_verified === 'true',
      name: form.name || undefined,
    });
    await provider.interactionFinished(req, res, { login: { accountId: form.sub } },
      { mergeWithLastSubmission: false });
  } else {
    await provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'The person cancelled the sign-in.',
    }, { mergeWithLastSubmission: false });
  }
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(req.url.split('?')[0]);
  if (!match) {
    handle(req, res);
    return;
  }
  interaction(req, res, match[1], match[2]).catch((error) => {
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(String(error));
  });
});
server.listen(config.port, '127.0.0.1', () => console.log(`ready ${config.issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
