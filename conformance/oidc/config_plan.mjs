// oidcc-config-certification-test-plan, plus the discovery modules of the
// three logout plans. Discovery 1.0 §3 (metadata) and §4 (retrieval).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

const kPrivateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

export function register(ctx) {
  describe('oidcc-config-certification-test-plan', () => {
    let metadata;
    // Cases below the first also run alone (--test-name-pattern).
    const load = async () => {
      metadata ??= await (await fetch(`${ctx.main.url}/.well-known/openid-configuration`)).json();
      return metadata;
    };

    test('oidcc-discovery-endpoint-verification: document is JSON at the well-known path', async () => {
      const res = await fetch(`${ctx.main.url}/.well-known/openid-configuration`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      metadata = await res.json();
      // Discovery §4.3: issuer is exactly the URL the document was fetched under.
      assert.equal(metadata.issuer, ctx.main.url);
    });

    test('oidcc-discovery-endpoint-verification: openid-client accepts the issuer', async () => {
      // discovery() itself enforces Discovery §4.3 (issuer match) and fails
      // on malformed metadata.
      const config = await ctx.config('rp-basic');
      assert.equal(config.serverMetadata().issuer, ctx.main.url);
      assert.ok(config.serverMetadata().supportsPKCE('S256'), 'S256 not in code_challenge_methods_supported');
    });

    test('oidcc-discovery-endpoint-verification: required and relevant metadata', async () => {
      const m = await load();
      for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint']) {
        assert.equal(typeof m[endpoint], 'string', `${endpoint} missing`);
        const url = new URL(m[endpoint]);
        // Endpoints live under the public URL (https is for the TLS-terminating
        // proxy in production; development mode is plain http on loopback).
        assert.equal(url.origin, ctx.main.url, `${endpoint} not under the issuer`);
        assert.equal(url.hash, '', `${endpoint} has a fragment`);
      }
      assert.ok(m.response_types_supported?.includes('code'), 'response_types_supported lacks code');
      assert.ok(!m.response_types_supported.includes('token'), 'advertises response_type=token');
      assert.ok(m.scopes_supported?.includes('openid'), 'scopes_supported lacks openid');
      for (const t of ['public', 'pairwise']) {
        assert.ok(m.subject_types_supported?.includes(t), `subject_types_supported lacks ${t}`);
      }
      for (const alg of ['RS256', 'ES256', 'PS256']) {
        assert.ok(m.id_token_signing_alg_values_supported?.includes(alg), `id_token_signing_alg_values_supported lacks ${alg}`);
      }
      assert.ok(!m.id_token_signing_alg_values_supported.includes('none'), 'advertises unsigned ID tokens');
      for (const g of ['authorization_code', 'refresh_token', 'client_credentials']) {
        assert.ok(m.grant_types_supported?.includes(g), `grant_types_supported lacks ${g}`);
      }
      for (const a of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
        assert.ok(m.token_endpoint_auth_methods_supported?.includes(a), `token_endpoint_auth_methods_supported lacks ${a}`);
      }
      if (m.response_modes_supported) {
        for (const mode of ['query', 'form_post']) {
          assert.ok(m.response_modes_supported.includes(mode), `response_modes_supported lacks ${mode}`);
        }
      }
      assert.ok(m.code_challenge_methods_supported?.includes('S256'));
      assert.ok(!m.code_challenge_methods_supported.includes('plain'), 'PKCE plain advertised');
      // Signed request objects (RFC 9101) are taken as `request`; by
      // reference only as the PAR endpoint's request_uri.
      assert.equal(m.request_parameter_supported, true, 'request_parameter_supported is not true');
      assert.ok(!m.request_object_signing_alg_values_supported?.includes('none'), 'unsigned request objects advertised');
      assert.notEqual(m.request_uri_parameter_supported, true, 'request_uri_parameter_supported is true');
    });

    test('oidcc-discovery-endpoint-verification: recommended metadata (claims, acr)', async () => {
      await load();
      // Discovery §3 RECOMMENDED; the bridge's whole point is LoA substantial.
      assert.ok(Array.isArray(metadata.claims_supported) && metadata.claims_supported.includes('sub'),
        'claims_supported lacks sub');
      assert.ok(metadata.acr_values_supported?.includes('http://eidas.europa.eu/LoA/substantial'),
        'acr_values_supported lacks LoA substantial');
    });

    test('oidcc-discovery-endpoint-verification: JWKS has public signing keys only', async () => {
      const res = await fetch((await load()).jwks_uri);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/(jwk-set\+)?json/);
      const { keys } = await res.json();
      assert.ok(Array.isArray(keys) && keys.length > 0, 'JWKS has no keys');
      const kids = new Set();
      for (const key of keys) {
        // RFC 7518 §6 / RFC 8037 §2: the public members each key type needs.
        const required = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] }[key.kty];
        assert.ok(required, `unexpected kty ${key.kty} (symmetric or unknown key published)`);
        for (const member of required) {
          assert.equal(typeof key[member], 'string', `${key.kty} key ${key.kid} lacks "${member}"`);
        }
        assert.ok(key.kid, 'key without kid');
        assert.ok(!kids.has(key.kid), `duplicate kid ${key.kid}`);
        kids.add(key.kid);
        for (const member of kPrivateJwkMembers) {
          assert.ok(!(member in key), `JWKS key ${key.kid} exposes private member "${member}"`);
        }
        if (key.use) assert.equal(key.use, 'sig');
      }
      // One key per advertised algorithm family.
      assert.ok(keys.some((k) => k.kty === 'RSA'), 'no RSA key (RS256/PS256)');
      assert.ok(keys.some((k) => k.kty === 'EC' && k.crv === 'P-256'), 'no P-256 key (ES256)');
    });
  });

  describe('logout plans: discovery modules', () => {
    test('oidcc-rp-initiated-logout-discovery-endpoint-verification', async () => {
      const m = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(new URL(m.end_session_endpoint).origin, ctx.main.url);
    });

    test('oidcc-backchannel-logout-discovery-endpoint-verification', async () => {
      const m = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(m.backchannel_logout_supported, true);
      assert.equal(m.backchannel_logout_session_supported, true);
    });

    test('oidcc-frontchannel-logout-discovery-endpoint-verification', async () => {
      const m = (await ctx.config('rp-basic')).serverMetadata();
      assert.equal(m.frontchannel_logout_supported, true);
      assert.equal(m.frontchannel_logout_session_supported, true);
    });
  });
}
