// A scripted user agent: a cookie jar, manual redirects, and the two pages a
// person would act on during a development login (the dev login form) or a
// logout confirmation. It never executes scripts; it follows only what the
// bridge sends as HTTP redirects or explicit forms, so a case that passes here
// passes for a browser with JavaScript disabled too.

import assert from 'node:assert/strict';
import { forms, title } from './html.mjs';

const kMaxHops = 12;

// RFC 6265 §5.1.4 path-match.
function pathMatches(requestPath, cookiePath) {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export class Browser {
  // `fetch`: the transport (another one trusts a test CA, see
  // mtls_front.mjs); `login`: how a person answers a login page other than
  // the development login, see drive().
  constructor(label = 'browser', { fetch: transport = fetch, login } = {}) {
    this.label = label;
    this.transport = transport;
    this.login = login;
    this.cookies = []; // {host, name, value, path, expires}
    this.trail = [];   // "METHOD url -> status" lines, for failure messages
  }

  cookieHeader(url) {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expires === undefined || c.expires > now);
    return this.cookies
      .filter((c) => c.host === url.hostname && pathMatches(url.pathname, c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  storeCookies(url, response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie = {
        host: url.hostname,
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: '/',
        expires: undefined,
      };
      let defaultPath = url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/';
      cookie.path = defaultPath;
      for (const attr of attrs) {
        const [k, ...rest] = attr.split('=');
        const key = k.trim().toLowerCase();
        const value = rest.join('=').trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        if (key === 'max-age') cookie.expires = Date.now() + Number(value) * 1000;
        if (key === 'expires' && cookie.expires === undefined) {
          const t = Date.parse(value);
          if (!Number.isNaN(t)) cookie.expires = t;
        }
      }
      this.cookies = this.cookies.filter(
        (c) => !(c.host === cookie.host && c.name === cookie.name && c.path === cookie.path));
      if (cookie.expires === undefined || cookie.expires > Date.now()) this.cookies.push(cookie);
    }
  }

  hasCookies(host) {
    return this.cookies.some((c) => c.host === host);
  }

  // One request, no redirect following. `form` (an object) makes it a POST
  // with an application/x-www-form-urlencoded body.
  async request(target, { method, form, headers = {} } = {}) {
    const url = new URL(target);
    const init = { method: method ?? (form ? 'POST' : 'GET'), redirect: 'manual', headers: { ...headers } };
    const cookie = this.cookieHeader(url);
    if (cookie) init.headers.cookie = cookie;
    if (form) {
      init.body = new URLSearchParams(form).toString();
      init.headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await this.transport(url, init);
    this.storeCookies(url, response);
    const body = await response.text();
    const location = response.headers.get('location');
    this.trail.push(`${init.method} ${url.href} -> ${response.status}${location ? ` (Location: ${location})` : ''}`);
    return {
      url,
      status: response.status,
      headers: response.headers,
      body,
      location: location ? new URL(location, url) : null,
    };
  }

  describeTrail() {
    return this.trail.slice(-kMaxHops).join('\n    ');
  }

  // Follows redirects from `start` until the browser leaves the bridge for a
  // relying party (any URL whose origin is `rpOrigin`), or stops on a page.
  // On the development login page it picks `identity` and submits (or refuses
  // with action=refuse when `refuse` is set), as a person would. On any
  // other page the browser's `login` (when it has one) may act as the person:
  // it gets the page and answers the next request ({url, method, form}), or
  // null to stop there.
  //
  // Returns one of:
  //   {kind: 'redirect', url}            the bridge redirected to the RP
  //   {kind: 'form_post', action, fields} an auto-submitting POST form to the RP
  //   {kind: 'page', status, body, url}   the bridge answered with a page
  // plus `sawLogin` (the dev login page was shown) and `steps` (pages seen).
  async drive(start, { rpOrigin, identity = 'ion', refuse = false, method = 'GET', form } = {}) {
    let next = { url: new URL(start), method, form };
    let sawLogin = false;
    const steps = [];
    for (let hop = 0; hop < kMaxHops; ++hop) {
      if (next.url.origin === rpOrigin && next.method === 'GET') {
        return { kind: 'redirect', url: next.url, sawLogin, steps };
      }
      const res = await this.request(next.url, { method: next.method, form: next.form });
      steps.push({ url: res.url, status: res.status });
      if ([301, 302, 303, 307, 308].includes(res.status)) {
        assert.ok(res.location, `${res.status} without Location from ${res.url.href}`);
        const keepMethod = res.status === 307 || res.status === 308;
        next = { url: res.location, method: keepMethod ? next.method : 'GET', form: keepMethod ? next.form : undefined };
        continue;
      }
      if (res.status === 200 && isDevLoginPage(res)) {
        sawLogin = true;
        const loginForm = devLoginForm(res);
        const fields = { txn: loginForm.hidden.txn, identity };
        if (refuse) fields.action = 'refuse';
        next = { url: new URL(loginForm.action || res.url.pathname, res.url), method: 'POST', form: fields };
        continue;
      }
      if (res.status === 200 && this.login) {
        const onward = await this.login(res, this);
        if (onward) {
          sawLogin = true;
          next = { url: new URL(onward.url, res.url), method: onward.method ?? 'GET', form: onward.form };
          continue;
        }
      }
      const rpForm = forms(res.body).find(
        (f) => f.method === 'post' && f.action && new URL(f.action, res.url).origin === rpOrigin);
      if (res.status === 200 && rpForm) {
        return { kind: 'form_post', action: new URL(rpForm.action, res.url), fields: rpForm.hidden, page: res, sawLogin, steps };
      }
      return { kind: 'page', status: res.status, body: res.body, url: res.url, headers: res.headers, sawLogin, steps };
    }
    assert.fail(`more than ${kMaxHops} hops without reaching the relying party:\n    ${this.describeTrail()}`);
  }
}

// The dev login page is the one at /login/dev offering a form with a txn;
// the answer to its POST (a redirect, or a form_post page) is not.
export function isDevLoginPage(res) {
  return res.url.pathname === '/login/dev' && forms(res.body).some((f) => 'txn' in f.hidden);
}

// The dev login page's form, checked against the shared contract: a POST to
// /login/dev carrying a hidden txn and a radio group of built-in identities.
export function devLoginForm(res) {
  const form = forms(res.body).find((f) => f.method === 'post' && 'txn' in f.hidden);
  assert.ok(form, `no POST form with a hidden txn on the dev login page (title "${title(res.body)}")`);
  assert.ok(form.hidden.txn.length >= 16, 'dev login txn looks too short to be unguessable');
  const identities = form.radios('identity');
  assert.ok(identities.includes('ion') && identities.includes('maria'),
    `dev login identities are [${identities.join(', ')}], want ion and maria`);
  return form;
}
