// The relying party's own HTTP endpoint, served by the runner on 127.0.0.1:
// it receives back-channel logout POSTs (OpenID Connect Back-Channel Logout
// 1.0 §2.5) and front-channel logout GETs (Front-Channel Logout 1.0 §2), and
// answers anything else (redirect_uri, post_logout_redirect_uri) with 200.
// Every request is recorded so cases can assert on what the bridge sent.

import http from 'node:http';

export class RelyingPartyEndpoint {
  constructor() {
    this.requests = [];
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start() {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.origin = `http://127.0.0.1:${this.server.address().port}`;
    return this;
  }

  async stop() {
    this.server.closeAllConnections?.();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }

  url(path) {
    return `${this.origin}${path}`;
  }

  handle(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url, this.origin);
      const record = {
        method: req.method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        record.form = Object.fromEntries(new URLSearchParams(record.body));
      }
      this.requests.push(record);
      // Back-Channel Logout §2.8 / Front-Channel Logout §2: no caching.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end('<!doctype html><title>rp</title>');
    });
  }

  received(predicate) {
    return this.requests.filter(predicate);
  }

  // Resolves with the first recorded request matching `predicate`, polling
  // for at most `timeoutMs`; null when none arrived.
  async waitFor(predicate, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.requests.find(predicate);
      if (hit) return hit;
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
