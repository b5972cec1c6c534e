// A sample provider site: what a service does to accept certME through the
// bridge with a stock OpenID Connect client (openid-client), configured only
// from the bridge's discovery document and its client credentials. Its pages
// speak Romanian, Russian or English (the language links, else the
// browser's Accept-Language), and it asks the bridge for the same language
// (ui_locales). After a login it greets the user with the validated
// attributes by name and the level of assurance in words; a refused,
// expired or failed login gets a page that says so and offers Try again.
//
// The second way in, /qr: the QR code on this site's own page. The page
// loads the bridge's <certme-login> element (/certme-login.js); its button
// POSTs to /auth/certme/start, where this backend makes the device
// authorization (RFC 8628) with its client credentials and hands the page
// only what it may show (never the device_code), then polls the token
// endpoint in the background (openid-client's device flow). When the element
// sees the login done it goes to /auth/certme/complete, which signs the user
// in with the tokens the poll got. That page runs under a strict CSP: scripts
// only from the bridge, no inline script.
//
//   node server.mjs            (reads the settings below from the environment)
//
// CERTME_ISSUER      the bridge's issuer URL      (default http://127.0.0.1:8080)
// SAMPLE_PORT        port of this site             (default 8081)
// SAMPLE_CLIENT_ID / SAMPLE_CLIENT_SECRET          (default: the demo client)
import http from 'node:http';
import crypto from 'node:crypto';
import * as oidc from 'openid-client';

import { claimLabels, kLangs, loaText, pickLang, readableValue, texts } from './texts.mjs';

const issuer = process.env.CERTME_ISSUER ?? 'http://127.0.0.1:8080';
const port = Number(process.env.SAMPLE_PORT ?? 8081);
const clientId = process.env.SAMPLE_CLIENT_ID ?? 'demo-rp';
const clientSecret = process.env.SAMPLE_CLIENT_SECRET ?? 'demo-secret-change-me-0123456789abcdef';
const base = `http://127.0.0.1:${port}`;
const redirectUri = `${base}/callback`;

// Plain http is only acceptable because both ends are on this machine.
const config = await discoverWithRetry();
const sessions = new Map(); // sid cookie → { lang?, pending?, device?, csrf?, claims?, userinfo?, idToken? }

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
const bridgeOrigin = new URL(issuer).origin;

const style = `body{font-family:sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.4}
a.certme{display:inline-block;background:#0b5cad;color:#fff;padding:.8rem 1.4rem;border-radius:.4rem;text-decoration:none;font-weight:bold}
nav.lang{text-align:right;font-size:.9rem}nav.lang a,nav.lang strong{margin-left:.5rem}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f5f8;font-weight:normal}button{font:inherit;padding:.5rem 1.2rem;border-radius:.4rem;border:1px solid #0b5cad;background:#fff;color:#0b5cad;cursor:pointer}
.problem{border-left:.3rem solid #b3261e;padding:.2rem 1rem}.refused{border-left-color:#0b5cad}
details{margin-top:2rem;color:#444}code{font-size:.85rem;word-break:break-all}`;

// A page of this site in `lang`; `path` is where the language links point.
function page(res, status, lang, body, path = '/', csp = undefined) {
  const t = texts[lang];
  const links = kLangs
    .map((l) => (l === lang ? `<strong>${l.toUpperCase()}</strong>` : `<a href="${esc(path)}?lang=${l}" hreflang="${l}">${l.toUpperCase()}</a>`))
    .join('');
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    // The log-out form goes to this site, which sends the browser on to the bridge.
    'content-security-policy': csp ?? `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${bridgeOrigin}`,
    'cache-control': 'no-store',
  });
  res.end(`<!doctype html><html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(t.service)}</title>
<style>${style}</style></head><body><nav class="lang" aria-label="${esc(t.language)}">${links}</nav>
<h1>${esc(t.service)}</h1>${body}</body></html>`);
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

const when = (seconds, lang) =>
  new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'medium' }).format(new Date(seconds * 1000));

// What the user reads after logging in: who they are, the validated
// attributes by name, the level of assurance in words; the raw claims stay
// behind "technical details".
function welcomePage(s, lang) {
  const t = texts[lang];
  const all = { ...s.claims, ...s.userinfo };
  const name = [all.given_name, all.family_name].filter(Boolean).join(' ');
  const rows = Object.keys(claimLabels)
    .filter((k) => all[k] !== undefined && all[k] !== null && all[k] !== '')
    .map((k) => `<tr><th scope="row">${esc(claimLabels[k][lang])}</th><td>${esc(readableValue(k, all[k], lang))}</td></tr>`)
    .join('');
  const raw = Object.entries(all)
    .map(([k, v]) => {
      let shown = typeof v === 'object' ? JSON.stringify(v) : String(v);
      if (['iat', 'exp', 'auth_time', 'nbf'].includes(k) && Number.isInteger(v)) shown += ` (${new Date(v * 1000).toISOString()})`;
      return `<tr><td><code>${esc(k)}</code></td><td><code>${esc(shown)}</code></td></tr>`;
    })
    .join('');
  const signedAt = Number.isInteger(s.claims.auth_time) ? s.claims.auth_time : s.claims.iat;
  return `<h2>${esc(t.welcome(name))}</h2><p>${esc(t.signedIn)}</p>
<p>${esc(t.validated)}</p><table>${rows}</table>
<p>${esc(t.loa)}: <strong>${esc(loaText(s.claims.acr, lang))}</strong><br>
${esc(t.signedInAt)}: ${esc(when(signedAt, lang))}</p>
<form method="post" action="/logout"><button type="submit">${esc(t.logout)}</button></form>
<details><summary>${esc(t.technical)}</summary>
<table><tr><th>${esc(t.claim)}</th><th>${esc(t.value)}</th></tr>${raw}</table></details>`;
}

// A login that did not end with a user: what happened in words, a way to
// try again, and the protocol's code only as a reference.
function problemPage(res, lang, code, retry = '/login') {
  const t = texts[lang];
  let title = t.failedTitle, text = t.failed, status = 400, cls = 'problem';
  if (code === 'access_denied') [title, text, status, cls] = [t.refusedTitle, t.refused, 200, 'problem refused'];
  else if (code === 'expired' || code === 'login_required' || code === 'invalid_grant') [title, text] = [t.expiredTitle, t.expired];
  else if (code === 'unmet_authentication_requirements') [title, text] = [t.unmetTitle, t.unmet];
  else if (code === 'temporarily_unavailable' || code === 'server_error' || code === 'unreachable')
    [title, text, status] = [t.unavailableTitle, t.unavailable, 503];
  page(res, status, lang, `<div class="${cls}"><h2>${esc(title)}</h2><p>${esc(text)}</p></div>
<p><a class="certme" href="${esc(retry)}">${esc(t.retry)}</a></p><p><a href="/">${esc(t.home)}</a></p>
<details><summary>${esc(t.technical)}</summary><p>${esc(t.errorCode)}: <code>${esc(code)}</code></p></details>`);
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

// The library's OAuth error code names what happened (shown as a reference
// only); anything else is the bridge not answering as expected.
function errorCode(e) {
  const code = typeof e.error === 'string' && /^[a-z_]{1,64}$/.test(e.error) ? e.error
    : e.cause?.code === 'ECONNREFUSED' ? 'unreachable' : 'failed';
  if (code === 'failed' && e.name !== 'AbortError') console.error(`sample provider: ${e.message}`);
  return code;
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const s = session(req, res);
  // The page language: a choice made with the language links stays for the
  // session; the bridge is asked to speak the same (ui_locales).
  if (kLangs.includes(url.searchParams.get('lang'))) s.lang = url.searchParams.get('lang');
  const lang = s.lang ?? pickLang(null, req.headers['accept-language']);
  const t = texts[lang];
  try {
    if (url.pathname === '/') {
      if (s.claims) return page(res, 200, lang, welcomePage(s, lang));
      // The button a provider puts on its site: a link that starts the code flow.
      return page(res, 200, lang, `<p>${esc(t.intro)}</p><p><a class="certme" href="/login">${esc(t.button)}</a></p>
<p><a href="/qr">${esc(t.qrLink)}</a></p>`);
    }
    if (url.pathname === '/qr') {
      if (s.claims) return res.writeHead(302, { location: '/' }).end();
      // The element's start request carries this token; a cross-site form
      // or script cannot read it, so it cannot start logins for this session.
      s.csrf ??= crypto.randomBytes(24).toString('base64url');
      return page(res, 200, lang, `<h2>${esc(t.qrTitle)}</h2><p>${esc(t.qrIntro)}</p>
<certme-login start="/auth/certme/start" complete="/auth/certme/complete" lang="${lang}" csrf-token="${esc(s.csrf)}"></certme-login>
<script src="${esc(bridgeOrigin)}/certme-login.js"></script>
<p><a href="/">${esc(t.home)}</a></p>`, '/qr',
      // Strict: scripts only from the bridge (no inline script), reads only
      // from this site (the start) and the bridge (the login's status).
      `default-src 'none'; script-src ${bridgeOrigin}; connect-src 'self' ${bridgeOrigin}; ` +
      `style-src 'unsafe-inline'; img-src 'self'; form-action 'self' ${bridgeOrigin}; base-uri 'none'`);
    }
    if (url.pathname === '/auth/certme/start' && req.method === 'POST') {
      if (!s.csrf || req.headers['x-csrf-token'] !== s.csrf) return json(res, 403, { error: 'csrf' });
      s.device?.abort.abort();
      const device = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile email', ui_locales: lang });
      const d = { abort: new AbortController() };
      // The backend polls the token endpoint (at the interval the bridge
      // asks); the page follows the login at the bridge meanwhile.
      d.done = oidc.pollDeviceAuthorizationGrant(config, device, undefined, { signal: d.abort.signal })
        .then(async (tokens) => {
          d.claims = tokens.claims();
          d.idToken = tokens.id_token;
          d.userinfo = await oidc.fetchUserInfo(config, tokens.access_token, d.claims.sub);
        })
        .catch((e) => { d.claims = undefined; d.error = errorCode(e); });
      s.device = d;
      // What the page may know: never the device_code.
      return json(res, 200, {
        user_code: device.user_code,
        verification_uri: device.verification_uri,
        verification_uri_complete: device.verification_uri_complete,
        expires_in: device.expires_in,
        certme_status_uri: device.certme_status_uri,
      });
    }
    if (url.pathname === '/auth/certme/complete') {
      const d = s.device;
      if (!d) return problemPage(res, lang, 'expired');
      // The element comes here when the bridge says done; the next poll
      // (at most one interval away) has the tokens.
      await Promise.race([d.done, new Promise((r) => setTimeout(r, 30000))]);
      if (!d.claims) return problemPage(res, lang, d.error ?? 'expired', '/qr');
      delete s.device;
      Object.assign(s, { claims: d.claims, idToken: d.idToken, userinfo: d.userinfo });
      res.writeHead(302, { location: '/' }).end();
      return;
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
        ui_locales: lang,
      });
      res.writeHead(302, { location: target.href }).end();
      return;
    }
    if (url.pathname === '/callback') {
      // No login under way in this browser: an old or reused link.
      if (!s.pending) {
        const error = url.searchParams.get('error') ?? '';
        return problemPage(res, lang, /^[a-z_]{1,64}$/.test(error) ? error : 'expired');
      }
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
    if (url.pathname === '/logout' && req.method === 'POST') {
      const hint = s.idToken;
      for (const k of Object.keys(s)) if (k !== 'lang') delete s[k];
      if (!hint) return res.writeHead(303, { location: '/' }).end();
      const target = oidc.buildEndSessionUrl(config, { id_token_hint: hint, post_logout_redirect_uri: `${base}/` });
      res.writeHead(303, { location: target.href }).end();
      return;
    }
    page(res, 404, lang, `<p>${esc(t.notFound)}</p><p><a href="/">${esc(t.home)}</a></p>`);
  } catch (e) {
    const code = errorCode(e);
    if (url.pathname === '/auth/certme/start') return json(res, 502, { error: code });
    problemPage(res, lang, code);
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`sample provider: ${base}/  (client ${clientId} at ${issuer})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
