// A sample provider site: what a service does to accept certME through the
// bridge with a stock OpenID Connect client (openid-client), configured only
// from the bridge's discovery document and its client credentials.
//
//   node server.mjs            (reads the settings below from the environment)
//
// CERTME_ISSUER      the bridge's issuer URL      (default http://127.0.0.1:8080)
// SAMPLE_PORT        port of this site             (default 8081)
// SAMPLE_CLIENT_ID / SAMPLE_CLIENT_SECRET          (default: the demo client)
import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';

const issuer = process.env.CERTME_ISSUER ?? 'http://127.0.0.1:8080';
const port = Number(process.env.SAMPLE_PORT ?? 8081);
const clientId = process.env.SAMPLE_CLIENT_ID ?? 'demo-rp';
const clientSecret = process.env.SAMPLE_CLIENT_SECRET ?? 'demo-secret-change-me-0123456789abcdef';
const base = `http://127.0.0.1:${port}`;
const redirectUri = `${base}/callback`;

// Plain http is only acceptable because both ends are on this machine.
const config = await discoverWithRetry();
const sessions = new Map(); // sid cookie → { pending?, claims?, userinfo?, idToken? }

async function discoverWithRetry() {
  for (let attempt = 1; ; attempt++) {
    try {
      return await oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
        execute: [oidc.allowInsecureRequests],
      });
    } catch (e) {
      if (attempt >= 30) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'cache-control': 'no-store',
  });
  res.end(`<!doctype html><html lang="ro"><head><meta charset="utf-8"><title>Serviciul demonstrativ</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:3rem auto}a.certme{display:inline-block;background:#0b5cad;color:#fff;padding:.8rem 1.4rem;border-radius:.4rem;text-decoration:none;font-weight:bold}table{border-collapse:collapse}td{border:1px solid #ccc;padding:.3rem .6rem}</style>
</head><body><h1>Serviciul demonstrativ</h1>${body}</body></html>`);
}

function session(req, res) {
  const m = /(?:^|;\s*)sample_sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
  if (m && sessions.has(m[1])) return sessions.get(m[1]);
  const sid = crypto.randomBytes(24).toString('base64url');
  const s = {};
  sessions.set(sid, s);
  res.setHeader('set-cookie', `sample_sid=${sid}; Path=/; HttpOnly; SameSite=Lax`);
  return s;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const s = session(req, res);
  try {
    if (url.pathname === '/') {
      if (s.claims) {
        const rows = Object.entries({ ...s.claims, ...s.userinfo })
          .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
          .join('');
        return page(res, 200, `<p>Sunteți autentificat cu certME.</p><table>${rows}</table><p><a href="/logout">Ieșire</a></p>`);
      }
      // The button a provider puts on its site: a link that starts the code flow.
      return page(res, 200, `<p><a class="certme" href="/login">Conectare cu certME</a></p>`);
    }
    if (url.pathname === '/login') {
      const verifier = oidc.randomPKCECodeVerifier();
      s.pending = { verifier, state: oidc.randomState(), nonce: oidc.randomNonce() };
      const target = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: s.pending.state,
        nonce: s.pending.nonce,
        ui_locales: 'ro',
      });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    if (url.pathname === '/callback') {
      if (!s.pending) return page(res, 400, '<p>Nu există o autentificare în curs. <a href="/">Înapoi</a></p>');
      const { verifier, state, nonce } = s.pending;
      delete s.pending;
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
      });
      s.claims = tokens.claims();
      s.idToken = tokens.id_token;
      s.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, s.claims.sub);
      res.writeHead(302, { location: '/' }).end();
      return;
    }
    if (url.pathname === '/logout') {
      const hint = s.idToken;
      for (const k of Object.keys(s)) delete s[k];
      const target = oidc.buildEndSessionUrl(config, { id_token_hint: hint, post_logout_redirect_uri: `${base}/` });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    page(res, 404, '<p>Pagina nu există.</p>');
  } catch (e) {
    // The library's message (e.g. an OAuth error code) is safe to show; no stack.
    page(res, 400, `<p>Autentificarea nu a reușit: ${esc(e.error ?? e.message)}</p><p><a href="/">Înapoi</a></p>`);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`sample provider: ${base}/  (client ${clientId} at ${issuer})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
