// An mTLS front for a journey: a test CA made with openssl at run time (a
// server certificate for 127.0.0.1 and client certificates), Debian's nginx
// terminating TLS in front of one bridge with the reference proxy settings
// (config/nginx/certme-proxy.conf: the verified client certificate goes on
// in X-SSL-Client-Cert), and a fetch for node that trusts the test CA and
// presents a client certificate, for openid-client's customFetch.
//
// nginx reaches the bridge from 127.0.0.2 (proxy_bind), the only address in
// the bridge's server.trusted_proxies, so a caller on 127.0.0.1 talking to
// the bridge directly cannot forge the certificate header.

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Child, runOk, waitFor } from './child.mjs';

const kProxyConf = fileURLToPath(new URL('../../../config/nginx/certme-proxy.conf', import.meta.url));
export const kProxyAddress = '127.0.0.2';

// The test PKI in `dir`: ca.pem, server.{pem,key}, and for each name in
// `clients` NAME.{pem,key} with subject "CN=NAME,O=certME test".
export async function makeTestPki(dir, clients) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(dir, name);
  const ossl = (argv) => runOk('openssl', argv, { cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await ossl(['req', '-x509', ...ec, '-days', '2', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-subj', '/O=certME test/CN=certME test CA']);
  const issue = async (name, subject, ext) => {
    await ossl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject]);
    fs.writeFileSync(f(`${name}.ext`), ext);
    await ossl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'),
      '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`)]);
  };
  await issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const pki = { dir, ca: fs.readFileSync(f('ca.pem')), caFile: f('ca.pem'), clients: {} };
  for (const name of clients) {
    await issue(name, `/O=certME test/CN=${name}`, 'extendedKeyUsage=clientAuth\n');
    const cert = fs.readFileSync(f(`${name}.pem`));
    pki.clients[name] = {
      cert, key: fs.readFileSync(f(`${name}.key`)),
      // RFC 5280 string form, as tls_client_auth_subject_dn takes it.
      subjectDn: `CN=${name},O=certME test`,
      // RFC 8705 §3.1: base64url SHA-256 of the DER certificate.
      x5tS256: crypto.createHash('sha256').update(new crypto.X509Certificate(cert).raw).digest('base64url'),
    };
  }
  return pki;
}

// nginx on 127.0.0.1:`port` with TLS, an optional client certificate
// verified against the test CA, and everything proxied to `upstream`.
export class NginxFront {
  constructor({ dir, pki, port }) {
    this.dir = dir;
    this.pki = pki;
    this.port = port;
    this.url = `https://127.0.0.1:${port}`;
  }

  async start(upstream) {
    const d = this.dir;
    fs.mkdirSync(path.join(d, 'tmp'), { recursive: true, mode: 0o700 });
    // As root nginx would switch its workers to "nobody", who cannot read
    // this private folder; keep them as the invoking user.
    const user = process.getuid?.() === 0 ? 'user root;' : '';
    fs.writeFileSync(path.join(d, 'nginx.conf'), `${user}
daemon off;
worker_processes 1;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 256; }
http {
    access_log ${d}/access.log;
    client_body_temp_path ${d}/tmp/body;
    proxy_temp_path ${d}/tmp/proxy;
    fastcgi_temp_path ${d}/tmp/fastcgi;
    uwsgi_temp_path ${d}/tmp/uwsgi;
    scgi_temp_path ${d}/tmp/scgi;
    server {
        listen 127.0.0.1:${this.port} ssl;
        ssl_certificate ${this.pki.dir}/server.pem;
        ssl_certificate_key ${this.pki.dir}/server.key;
        ssl_client_certificate ${this.pki.caFile};
        ssl_verify_client optional;
        ssl_verify_depth 2;
        location / {
            if ($ssl_client_verify ~ ^FAILED) { return 400; }
            include ${kProxyConf};
            proxy_bind ${kProxyAddress};
            proxy_pass ${upstream};
        }
    }
}
`);
    this.child = new Child('nginx', 'nginx', ['-p', d, '-e', path.join(d, 'error.log'), '-c', path.join(d, 'nginx.conf')],
      { cwd: d, env: process.env });
    const probe = tlsFetch({ ca: this.pki.ca });
    await waitFor('nginx to answer /healthz through TLS', async () => {
      if (this.child.exit) throw new Error(`nginx exited: ${this.logTail()}`);
      const res = await probe(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.status === 200;
    }, 15000);
    return this;
  }

  logTail() {
    let errors = '';
    try { errors = fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').trimEnd().split('\n').slice(-15).join('\n'); } catch { /* none */ }
    return `${this.child?.logTail(10) ?? ''}\n${errors}`;
  }

  async stop() {
    await this.child?.stop();
  }
}

const kNullBodyStatus = new Set([101, 204, 205, 304]);

// A fetch (the subset openid-client and the scripted browser use: a URL or
// string, method, headers, a string / URLSearchParams / bytes body, signal;
// never following redirects) over node's https with the test CA trusted
// and, given `cert` and `key`, that client certificate presented.
export function tlsFetch({ ca, cert, key } = {}) {
  return async (input, init = {}) => {
    const request = new Request(input, {
      method: init.method, headers: init.headers, body: init.body, redirect: 'manual',
    });
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers = Object.fromEntries(request.headers.entries());
    if (body) headers['content-length'] = String(body.length);
    const options = {
      method: request.method, hostname: url.hostname, port: url.port || 443,
      path: `${url.pathname}${url.search}`, headers, ca, cert, key,
      agent: false, signal: init.signal ?? undefined,
    };
    return new Promise((resolve, reject) => {
      const req = https.request(options, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
          }
          const payload = kNullBodyStatus.has(res.statusCode) ? null : Buffer.concat(chunks);
          resolve(new Response(payload, { status: res.statusCode, statusText: res.statusMessage, headers: out }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  };
}
