// node-oidc-provider configured as the peer of scripts/bench-peer: the
// same two benchmark clients as scripts/bench-oidc registers at the bridge,
// its in-memory adapter, and a development login that signs in a fixed
// user without a page in between — the counterpart of the bridge's
// `login.dev_login` (idp/login/dev_authenticator.h).
//
// It speaks the bridge's development-login contract, so that the same load
// generator (bench/oidc_load) drives both servers unchanged:
//   authorize → 303 /login/dev?txn=<interaction uid>
//   GET  /login/dev?txn=  a small form (only with oidc_load --login-page)
//   POST /login/dev       txn, identity → login and consent in one step,
//                         303 → the resume URL → 303 redirect_uri?code
// Consent is granted with the login, as the bridge's development login does.
//
// Usage: node provider.mjs PORT   (listens on 127.0.0.1:PORT only)
// Prints "listening <issuer>" on stdout when ready.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node provider.mjs PORT');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = 'http://127.0.0.1/bench/callback';
const loginPath = '/login/dev';

// Signing keys made at start, kept for the process's life (the bridge's
// development keys: RSA-2048 and P-256).
function privateJwk(type, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
const jwks = {
  keys: [
    privateJwk('rsa', { modulusLength: 2048 }, 'bench-rs256', 'RS256'),
    privateJwk('ec', { namedCurve: 'P-256' }, 'bench-es256', 'ES256'),
  ],
};

// The bridge's development identity `ion` (idp/login/dev_authenticator.cc),
// with its attributes as standard claims.
const users = {
  ion: {
    sub: '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23',
    given_name: 'Ion',
    family_name: 'Popescu',
    name: 'Ion Popescu',
    birthdate: '1985-04-12',
    gender: 'male',
    locale: 'ro',
    email: 'ion.popescu@example.md',
    email_verified: true,
    phone_number: '+37369123456',
    phone_number_verified: true,
  },
};
const accountsBySub = new Map(Object.values(users).map((u) => [u.sub, u]));

function client(alg) {
  const id = `bench-${alg.toLowerCase()}`;
  return {
    client_id: id,
    client_secret: `${id}-secret`,
    redirect_uris: [redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: alg,
    scope: 'openid profile email phone',
  };
}

const provider = new Provider(issuer, {
  // No adapter: the library's own in-memory adapter (an LRU in the process).
  clients: [client('RS256'), client('ES256')],
  jwks,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'profile', 'email', 'phone', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'birthdate', 'gender', 'locale'],
    email: ['email', 'email_verified'],
    phone: ['phone_number', 'phone_number_verified'],
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    userinfo: { enabled: true },
    revocation: { enabled: true },
  },
  // As the bridge: PKCE (S256) on every code flow, a refresh token for
  // every client allowed the grant, rotated on every use.
  pkce: { required: () => true },
  issueRefreshToken: async (ctx, c) => c.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  interactions: {
    url: (ctx, interaction) => `${loginPath}?txn=${interaction.uid}`,
  },
  findAccount: async (ctx, sub) => {
    const user = accountsBySub.get(sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ ...user }) };
  },
  renderError: async (ctx, out) => {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `${out.error}: ${out.error_description ?? ''}\n`;
  },
});

async function readForm(req, limit = 8192) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// The development login, mounted before the provider's own routes.
provider.use(async (ctx, next) => {
  if (ctx.path !== loginPath) return next();
  ctx.set('Cache-Control', 'no-store');
  try {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = `<!doctype html><title>development login</title>
<form method="post" action="${loginPath}"><input type="hidden" name="txn" value="${escapeHtml(details.uid)}">
<label><input type="radio" name="identity" value="ion" checked> Ion Popescu</label>
<button type="submit">Log in</button></form>`;
      return undefined;
    }
    if (ctx.method !== 'POST') {
      ctx.status = 405;
      return undefined;
    }
    const form = await readForm(ctx.req);
    const user = users[form.get('identity') ?? ''];
    if (form.get('txn') !== details.uid || !user) {
      ctx.status = 400;
      ctx.body = 'unknown login or identity\n';
      return undefined;
    }
    const { params } = details;
    const grant = new provider.Grant({ accountId: user.sub, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    const grantId = await grant.save();
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: user.sub },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return undefined;
  } catch (err) {
    ctx.status = 400;
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `login failed: ${err.name}\n`;
    return undefined;
  }
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
