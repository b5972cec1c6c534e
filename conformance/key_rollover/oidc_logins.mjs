// openid-client code-flow logins in a loop, for the key-rollover test
// (run.py): each login's ID token is verified by openid-client against the
// JWKS it fetched and caches (enableNonRepudiationChecks), as a relying
// party does; and each token is verified once more, a few seconds later,
// against a freshly fetched JWKS, so that a token signed just before a
// promotion must still verify with the retired key.
//
// The relying party keeps its openid-client Configuration (and with it the
// library's JWKS cache) for CACHE_SECONDS, then discovers again. The
// library looks a missing kid up again only when its copy is a minute old,
// so a key that signed before it was published would fail these logins:
// the bridge's pre-publication period (longer than CACHE_SECONDS) is what
// keeps them whole.
//
// Usage: node oidc_logins.mjs ISSUER CLIENT_ID SECRET REDIRECT_URI WORKERS CACHE_SECONDS
// Prints one JSON line per login ({ok, kid} or {ok:false, error}) and per
// re-verification ({reverified, kid} or {ok:false, error}); stops at SIGTERM
// after the logins in flight, with a last line {"done": true}.

import * as oidc from 'openid-client';
import * as jose from 'jose';
import { Browser } from '../oidc/lib/browser.mjs';
import { callbackOf } from '../oidc/lib/flows.mjs';

const [issuer, clientId, secret, redirectUri, workers, cacheSeconds] = process.argv.slice(2);
const rpOrigin = new URL(redirectUri).origin;
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });

const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let config = null;
let configuredAt = 0;
async function configuration() {
  if (!config || Date.now() - configuredAt > Number(cacheSeconds) * 1000) {
    configuredAt = Date.now();
    config = await oidc.discovery(new URL(issuer), clientId, { id_token_signed_response_alg: 'RS256' },
      oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] });
  }
  return config;
}
const pending = [];  // [issued at ms, id token]

async function login() {
  const config = await configuration();
  const verifier = oidc.randomPKCECodeVerifier();
  const params = {
    redirect_uri: redirectUri, scope: 'openid', response_type: 'code', state: oidc.randomState(),
    nonce: oidc.randomNonce(), code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  const browser = new Browser();
  const outcome = await browser.drive(oidc.buildAuthorizationUrl(config, params), { rpOrigin, identity: 'ion' });
  const tokens = await oidc.authorizationCodeGrant(config, callbackOf({ outcome, browser }), {
    pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce, idTokenExpected: true,
  });
  if (tokens.claims()?.sub === undefined) throw new Error('no sub in the ID token');
  const kid = jose.decodeProtectedHeader(tokens.id_token).kid;
  pending.push([Date.now(), tokens.id_token]);
  return kid;
}

async function reverify() {
  while (pending.length && Date.now() - pending[0][0] > 3000) {
    const [, token] = pending.shift();
    const res = await fetch((await configuration()).serverMetadata().jwks_uri, { cache: 'no-store' });
    const jwks = jose.createLocalJWKSet(await res.json());
    const { protectedHeader } = await jose.jwtVerify(token, jwks, { issuer, audience: clientId, clockTolerance: 5 });
    emit({ reverified: true, kid: protectedHeader.kid, at: Date.now() });
  }
}

async function worker() {
  while (!stopping) {
    try {
      emit({ ok: true, kid: await login(), at: Date.now() });
      await reverify();
    } catch (e) {
      emit({ ok: false, error: String(e?.stack ?? e), at: Date.now() });
    }
    await sleep(50);
  }
}

await Promise.all(Array.from({ length: Number(workers) }, worker));
// The tokens left: wait out their delay, then verify them too.
await sleep(3100);
try { await reverify(); } catch (e) { emit({ ok: false, error: String(e?.stack ?? e) }); }
emit({ done: true });
