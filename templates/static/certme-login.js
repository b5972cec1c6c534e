// <certme-login>: the "Conectare cu certME" button and the login's QR code on
// a service's own page (the device authorization grant, RFC 8628, with the
// QR code drawn by the service; docs/oidc.md "The <certme-login> element").
// Served by the bridge at /certme-login.js. No dependencies, no eval, no
// inline handlers or styles in the page: it works under a strict
// Content-Security-Policy that allows the bridge's origin in script-src and
// connect-src.
//
//   <script type="module" src="https://BRIDGE/certme-login.js"></script>
//   <certme-login start="/auth/certme/start" complete="/auth/certme/complete"
//                 lang="ro" csrf-token="…"></certme-login>
//
// start        the service's own backend (same origin). The element POSTs to
//              it (with X-CSRF-Token when csrf-token is set); the backend makes
//              the device authorization with its client credentials and answers
//              JSON {user_code, verification_uri_complete, expires_in,
//              certme_status_uri} — never the device_code.
// complete     where the browser goes once the login is done (the backend,
//              which polls the token endpoint, has the tokens by then or soon).
// lang         ro | ru | en (else the page's language, else ro).
//
// Events (bubbling, composed): "certme-login-state" at every change
// (detail.state); "certme-login" when done (detail.state "done"; cancel it
// to stay on the page instead of going to `complete`). The host element
// reflects the state in data-state.
(() => {
  'use strict';
  if (typeof customElements === 'undefined' || customElements.get('certme-login')) return;

  // The login pages' own texts (the bridge fills them in when it serves the file).
  const TEXTS = /*@certme-texts@*/null || {};
  const LANGS = ['ro', 'ru', 'en'];
  // The states of the wallet login (docs/wallet-protocol.md §8) and their texts.
  const OPEN = ['waiting', 'opened', 'approved', 'validating', 'code_expired'];
  const STATE_TEXT = {
    starting: 'login_component_starting',
    waiting: 'login_state_waiting',
    opened: 'login_state_opened',
    approved: 'login_state_approved',
    validating: 'login_state_validating',
    code_expired: 'login_state_renewing',
    done: 'login_state_done',
    refused: 'login_refused',
    expired: 'login_expired',
    eid_suspended: 'login_suspended',
    eid_revoked: 'login_revoked',
    service_not_authorized: 'login_service_not_authorized',
    validator_timeout: 'login_timeout',
    failed: 'login_failed',
    unknown: 'login_unknown',
    start_failed: 'login_component_start_failed',
    lost: 'login_state_lost',
  };
  const CSS = `
:host{display:block;font:inherit;color:inherit;max-width:26rem}
[hidden]{display:none!important}
button{font:inherit;font-weight:bold;cursor:pointer;border-radius:.4rem;padding:.8rem 1.4rem;border:2px solid #0b5cad;background:#0b5cad;color:#fff}
button.retry{background:#fff;color:#0b5cad}
button:disabled{opacity:.6;cursor:progress}
button:focus-visible,a:focus-visible,.status:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
.qr svg{display:block;width:100%;max-width:16rem;height:auto}
.qr{margin:.5rem 0}
.hint,.code,.total{font-size:.9rem}
.status{margin:.6rem 0;min-height:1.4em}
.status[data-state=done]{color:#1b6e20;font-weight:bold}
.status[data-state=refused],.status[data-state=expired],.status[data-state=failed],.status[data-state=unknown],
.status[data-state=eid_suspended],.status[data-state=eid_revoked],.status[data-state=validator_timeout],
.status[data-state=service_not_authorized],.status[data-state=start_failed]{color:#b3261e}
a.same{display:inline-block;margin:.2rem 0;color:#0b5cad}
.usercode{font-family:monospace;font-size:1.1rem;letter-spacing:.1em}`;

  const fmt = (n) => {
    n = Math.max(0, Math.floor(n));
    const m = Math.floor(n / 60), s = n % 60;
    return `${m}:${s < 10 ? '0' : ''}${s}`;
  };
  const httpUrl = (u) => {
    try {
      const x = new URL(u, document.baseURI);
      return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null;
    } catch (e) {
      return null;
    }
  };
  const el = (tag, cls, attrs) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };

  class CertmeLogin extends HTMLElement {
    static get observedAttributes() { return ['lang']; }

    constructor() {
      super();
      this.gen = 0;        // one per start: answers of an older start are ignored
      this.state = 'idle';
      this.timer = null;
      const root = this.attachShadow({ mode: 'open' });
      if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function') {
        // A constructed stylesheet: no <style> element for the page's CSP to refuse.
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
      }
      this.ui = {
        start: el('button', 'start', { type: 'button', part: 'button' }),
        login: el('div', 'login', { part: 'login' }),
        qr: el('div', 'qr', { part: 'qr' }),
        scan: el('p', 'hint'),
        countdown: el('p', 'hint countdown'),
        codeLeft: el('strong', 'code-left'),
        or: el('p', 'hint', { 'aria-hidden': 'true' }),
        same: el('a', 'same', { part: 'link' }),
        code: el('p', 'code'),
        codeText: el('span'),
        codeLink: el('a', 'usercode', { rel: 'noopener', target: '_blank' }),
        total: el('p', 'total'),
        loginLeft: el('span', 'login-left'),
        status: el('p', 'status', { role: 'status', 'aria-live': 'polite', tabindex: '-1', part: 'status' }),
        retry: el('button', 'retry', { type: 'button', part: 'retry' }),
      };
      const u = this.ui;
      u.countdown.append(el('span', 'countdown-text'), ' ', u.codeLeft);
      u.code.append(u.codeText, ' ', u.codeLink);
      u.total.append(el('span', 'total-text'), ' ', u.loginLeft);
      u.login.append(u.qr, u.scan, u.countdown, u.or, u.same, u.code, u.total);
      u.login.hidden = true;
      u.retry.hidden = true;
      root.append(u.start, u.login, u.status, u.retry);
      u.start.addEventListener('click', () => this.begin());
      u.retry.addEventListener('click', () => this.begin());
      this.texts();
    }

    attributeChangedCallback() { this.texts(); }

    disconnectedCallback() { this.stop(); }

    language() {
      const own = (this.getAttribute('lang') || '').slice(0, 2).toLowerCase();
      if (LANGS.includes(own)) return own;
      const page = (document.documentElement.getAttribute('lang') || '').slice(0, 2).toLowerCase();
      return LANGS.includes(page) ? page : 'ro';
    }

    t(key) {
      const cat = TEXTS[this.language()] || {};
      return cat[key] || (TEXTS.ro || {})[key] || key;
    }

    texts() {
      const u = this.ui;
      u.start.textContent = this.t('login_title');
      u.scan.textContent = this.t('login_scan');
      u.countdown.firstChild.textContent = this.t('login_countdown');
      u.or.textContent = this.t('login_or');
      u.same.textContent = this.t('login_same_device');
      u.codeText.textContent = this.t('login_component_code');
      u.total.firstChild.textContent = this.t('login_countdown_total');
      u.retry.textContent = this.t('login_retry');
      if (this.state !== 'idle') this.say(this.shown || this.state);
    }

    say(state) {
      this.shown = state;
      this.ui.status.textContent = this.t(STATE_TEXT[state] || 'login_failed');
      this.ui.status.setAttribute('data-state', state);
    }

    show(state) {
      if (this.shown !== state) this.say(state);
      if (state === this.state) return;
      this.state = state;
      this.setAttribute('data-state', state);
      this.dispatchEvent(new CustomEvent('certme-login-state', { bubbles: true, composed: true, detail: { state } }));
    }

    stop() {
      this.gen++;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }

    // A new login: the service's backend makes the device authorization.
    async begin() {
      this.stop();
      const gen = this.gen;
      const u = this.ui;
      u.retry.hidden = true;
      u.login.hidden = true;
      u.start.hidden = false;
      u.start.disabled = true;
      this.show('starting');
      const start = httpUrl(this.getAttribute('start') || '');
      let grant = null;
      try {
        if (!start || new URL(start).origin !== location.origin) throw new Error('start must be a URL of this site');
        const headers = { accept: 'application/json' };
        const csrf = this.getAttribute('csrf-token');
        if (csrf) headers['x-csrf-token'] = csrf;
        const r = await fetch(start, { method: 'POST', headers, credentials: 'same-origin', cache: 'no-store' });
        if (!r.ok) throw new Error(`start: ${r.status}`);
        grant = await r.json();
      } catch (e) {
        grant = null;
      }
      if (gen !== this.gen) return;
      const status = grant && httpUrl(grant.certme_status_uri);
      if (!status) return this.finish('start_failed');
      this.statusUri = status;
      this.left = 0;
      this.total = Number(grant.expires_in) || 0;
      this.renewing = false;
      const code = typeof grant.user_code === 'string' ? grant.user_code : '';
      const page = httpUrl(grant.verification_uri_complete || '');
      u.code.hidden = !code || !page;
      u.codeLink.textContent = code;
      if (page) u.codeLink.setAttribute('href', page);
      u.qr.replaceChildren();
      u.same.hidden = true;
      u.start.hidden = true;
      u.start.disabled = false;
      u.login.hidden = false;
      u.status.focus({ preventScroll: true });
      this.timer = setInterval(() => this.tick(gen), 1000);
      this.poll(gen, '');
    }

    tick(gen) {
      if (gen !== this.gen) return;
      this.left = Math.max(0, this.left - 1);
      this.total = Math.max(0, this.total - 1);
      this.clock();
      if (this.left <= 0 && (this.state === 'waiting' || this.state === 'opened') && this.drawn) this.renew(gen);
    }

    clock() {
      this.ui.codeLeft.textContent = fmt(this.left);
      this.ui.loginLeft.textContent = fmt(this.total);
    }

    // The bridge's long-poll: it answers when the state differs from `known`.
    async poll(gen, known) {
      let j = null;
      try {
        const url = known ? `${this.statusUri}&state=${encodeURIComponent(known)}` : this.statusUri;
        const r = await fetch(url, { credentials: 'omit', cache: 'no-store' });
        if (r.status === 200) j = await r.json();
      } catch (e) {
        j = null;
      }
      if (gen !== this.gen) return;
      if (!j || typeof j.state !== 'string') {
        this.say('lost');
        setTimeout(() => { if (gen === this.gen) this.poll(gen, ''); }, 3000);
        return;
      }
      if (this.take(gen, j)) this.poll(gen, j.state);
    }

    // POST to the status URI: a new QR code for an expired one.
    async renew(gen) {
      if (this.renewing) return;
      this.renewing = true;
      let j = null;
      try {
        const r = await fetch(this.statusUri, { method: 'POST', credentials: 'omit', cache: 'no-store' });
        if (r.status === 200) j = await r.json();
      } catch (e) {
        j = null;
      }
      this.renewing = false;
      if (gen !== this.gen || !j || typeof j.state !== 'string') return;
      this.take(gen, j);
    }

    // One answer of the bridge; false when the login is over.
    take(gen, j) {
      const u = this.ui;
      if (typeof j.code_expires_in === 'number') {
        this.left = j.code_expires_in;
        this.total = j.login_expires_in;
        this.clock();
      }
      if (!OPEN.includes(j.state)) {
        this.finish(j.state);
        return false;
      }
      if (typeof j.qr_svg === 'string') this.draw(j.qr_svg);
      const link = typeof j.link === 'string' && httpUrl(j.link);
      if (link) {
        u.same.setAttribute('href', link);
        u.same.hidden = false;
      }
      const showQr = j.state === 'waiting' || j.state === 'opened';
      u.qr.hidden = !showQr;
      u.countdown.hidden = !showQr;
      if (!showQr) u.same.hidden = true;
      this.show(j.state);
      if (j.state === 'code_expired') this.renew(gen);
      return true;
    }

    // The bridge's own SVG (idp/login/qr_svg.h), parsed as SVG, never as HTML.
    draw(text) {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = doc.documentElement;
      if (!svg || svg.namespaceURI !== 'http://www.w3.org/2000/svg' || svg.localName !== 'svg') return;
      for (const bad of svg.querySelectorAll('script,foreignObject')) bad.remove();
      this.ui.qr.replaceChildren(document.importNode(svg, true));
      this.drawn = true;
    }

    finish(state) {
      const u = this.ui;
      this.stop();
      this.drawn = false;
      u.start.hidden = true;
      u.start.disabled = false;
      u.login.hidden = true;
      u.qr.replaceChildren();
      this.show(STATE_TEXT[state] ? state : 'failed');
      if (state === 'done') {
        const go = this.dispatchEvent(new CustomEvent('certme-login', {
          bubbles: true, composed: true, cancelable: true, detail: { state },
        }));
        const complete = httpUrl(this.getAttribute('complete') || '');
        if (go && complete && new URL(complete).origin === location.origin) location.assign(complete);
        return;
      }
      u.retry.hidden = false;
      // Keyboard users land on the way on.
      if (this.shadowRoot.activeElement) u.retry.focus();
    }
  }

  customElements.define('certme-login', CertmeLogin);
})();
