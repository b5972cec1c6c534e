// The test relying parties, written into the dev clients file the bridge loads
// at start-up (CERTME_OIDC_DEV_CLIENTS_FILE), and the built-in identities of
// the development login double.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toYaml } from './yaml.mjs';

export const kAcrSubstantial = 'http://eidas.europa.eu/LoA/substantial';

// Built-in identities of the development login double (shared contract).
export const kIdentities = {
  ion: {
    address: '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23',
    given_name: 'Ion',
    family_name: 'Popescu',
    idnp: '2001234567890',
    birthdate: '1985-04-12',
    email: 'ion.popescu@example.md',
    phone_number: '+37369123456',
    locale: 'ro',
  },
  maria: {
    address: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
    given_name: 'Maria',
    family_name: 'Rusu',
    idnp: '2009876543210',
    birthdate: '1992-11-03',
    email: 'maria.rusu@example.md',
    phone_number: '+37378111222',
    locale: 'ru',
  },
};

const kScopes = ['openid', 'profile', 'email', 'phone', 'address', 'certme', 'offline_access'];

// Every attribute key of the catalogue (config/claims.yaml): the test clients
// may receive all of them, so what is released depends on scopes alone.
function catalogueKeys() {
  const file = fileURLToPath(new URL('../../../config/claims.yaml', import.meta.url));
  const keys = [...fs.readFileSync(file, 'utf8').matchAll(/^\s*- key:\s*(\S+)\s*$/gm)].map((m) => m[1]);
  if (keys.length === 0) throw new Error(`no attribute keys found in ${file}`);
  return keys;
}

function secret() {
  return crypto.randomBytes(32).toString('base64url');
}

// RP key pair for private_key_jwt (RFC 7523 §2.2), made fresh for each run:
// the public half goes into the clients file, the private half stays here.
async function rpKeyPair(kid) {
  const pair = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    false, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    privateKey: { key: pair.privateKey, kid },
    publicJwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
  };
}

// Each entry: `yaml` is the clients-file record; the other fields are what the
// runner needs to act as that client (secret, auth method, key, ID token alg).
export async function makeClients(rp) {
  const attributes = catalogueKeys();
  const base = (id, extra = {}) => {
    const s = secret();
    return {
      id,
      secret: s,
      auth: extra.token_endpoint_auth_method ?? 'client_secret_basic',
      idTokenAlg: extra.id_token_signed_response_alg ?? 'RS256',
      redirectUri: rp.url(`/cb/${id}`),
      otherRedirectUri: rp.url(`/cb2/${id}`),
      postLogoutRedirectUri: rp.url(`/logged-out/${id}`),
      yaml: {
        client_id: id,
        client_secret: s,
        names: {
          ro: `Serviciu de test ${id} — ă î ș ț`,
          ru: `Тестовая служба ${id}`,
          en: `Test service ${id}`,
        },
        redirect_uris: [rp.url(`/cb/${id}`), rp.url(`/cb2/${id}`)],
        post_logout_redirect_uris: [rp.url(`/logged-out/${id}`)],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        subject_type: 'public',
        scopes: kScopes,
        attributes,
        ...extra,
      },
    };
  };

  const pk = await rpKeyPair('rp-pkjwt-key-1');
  const pkjwt = base('rp-pkjwt', {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [pk.publicJwk] },
  });
  delete pkjwt.yaml.client_secret;
  pkjwt.secret = undefined;
  pkjwt.privateKey = pk.privateKey;

  // Signed request objects (RFC 9101): required, RS256 only, its own key.
  const jarKey = await rpKeyPair('rp-jar-key-1');
  const jar = base('rp-jar', {
    jwks: { keys: [jarKey.publicJwk] },
    require_signed_request_object: true,
    request_object_signing_alg: 'RS256',
  });
  jar.requestKey = jarKey.privateKey;
  // A key the bridge never saw, with the registered key's kid.
  jar.strangerKey = (await rpKeyPair('rp-jar-key-1')).privateKey;

  // Sender-constrained tokens (RFC 9449): a confidential client registered
  // to always use DPoP, and a public client whose refresh token DPoP binds.
  const spaDpop = base('spa-dpop', { token_endpoint_auth_method: 'none' });
  delete spaDpop.yaml.client_secret;
  spaDpop.secret = undefined;

  // FAPI 2.0 Security Profile (docs/oidc.md): private_key_jwt with an ES256
  // key; the RSA key is registered too, so that an RS256 assertion is
  // refused for its algorithm, not for an unknown key.
  const fapiEc = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const ecJwk = await crypto.subtle.exportKey('jwk', fapiEc.publicKey);
  const fapiRsa = await rpKeyPair('rp-fapi-rsa');
  const { alg: _rs256, ...rsaJwk } = fapiRsa.publicJwk;
  const fapi = base('rp-fapi', {
    profile: 'fapi2',
    token_endpoint_auth_method: 'private_key_jwt',
    id_token_signed_response_alg: 'ES256',
    jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: ecJwk.x, y: ecJwk.y, kid: 'rp-fapi-ec', use: 'sig' }, rsaJwk] },
  });
  delete fapi.yaml.client_secret;
  fapi.secret = undefined;
  fapi.privateKey = { key: fapiEc.privateKey, kid: 'rp-fapi-ec' };
  fapi.rsaKey = fapiRsa.privateKey;

  const clients = [
    jar,
    fapi,
    base('rp-dpop', { dpop_bound_access_tokens: true }),
    spaDpop,
    base('rp-basic'),
    base('rp-basic2'),
    base('rp-post', { token_endpoint_auth_method: 'client_secret_post' }),
    pkjwt,
    base('rp-es256', { id_token_signed_response_alg: 'ES256' }),
    base('rp-ps256', { id_token_signed_response_alg: 'PS256' }),
    base('rp-pairwise', { subject_type: 'pairwise' }),
    base('rp-cc', { grant_types: ['client_credentials'] }),
    base('rp-par', { require_pushed_authorization_requests: true }),
    base('rp-bcl', {
      backchannel_logout_uri: rp.url('/backchannel/rp-bcl'),
      backchannel_logout_session_required: true,
    }),
    base('rp-fcl', { frontchannel_logout_uri: rp.url('/frontchannel/rp-fcl') }),
  ];
  return Object.fromEntries(clients.map((c) => [c.id, c]));
}

export function clientsFile(clients) {
  return toYaml({ clients: Object.values(clients).map((c) => c.yaml) });
}
