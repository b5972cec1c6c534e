// A SAML service provider as an integrator sets one up: Debian's Apache
// httpd with mod_auth_mellon (Lasso underneath), in the foreground with its
// own ServerRoot in a temporary folder, on 127.0.0.1 only. Its SP metadata
// (signing and encryption certificate, the assertion consumer and two
// Single Logout endpoints: HTTP-Redirect for the browser, SOAP for the
// identity provider's back-channel) is what the bridge's registration
// imports; the bridge's own metadata comes from its /saml/metadata.
// /protected/attrs is a CGI page printing the MELLON_* attributes mellon
// hands over.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { Proc, cleanEnv, freePort, tempDir, waitFor } from './procs.mjs';

const kModules = '/usr/lib/apache2/modules';
const kHttpd = '/usr/sbin/apache2';

// Prints the MELLON_* variables as an HTML table, escaped; never cached.
const kAttrsCgi = `#!/bin/sh
printf 'Content-Type: text/html; charset=utf-8\\r\\nCache-Control: no-store\\r\\n\\r\\n'
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Service B</title></head><body>\\n'
printf '<h1>Service B</h1><table id="attributes">\\n'
env | grep '^MELLON_' | sort | sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g' \\
  -e 's/^MELLON_\\([^=]*\\)=\\(.*\\)$/<tr><th>\\1<\\/th><td class="\\1">\\2<\\/td><\\/tr>/'
printf '</table></body></html>\\n'
`;

export function mellonMissing() {
  for (const f of [kHttpd, `${kModules}/mod_auth_mellon.so`, `${kModules}/mod_cgid.so`, `${kModules}/mod_mpm_event.so`,
    `${kModules}/mod_setenvif.so`]) {
    if (!fs.existsSync(f)) return f;
  }
  if (spawnSync('sh', ['-c', 'command -v openssl']).status !== 0) return 'openssl';
  return null;
}

export class Mellon {
  // Port, key and certificate first: the SP metadata is registered at the
  // bridge before the bridge starts.
  static async reserve() {
    const m = new Mellon();
    m.port = await freePort();
    m.url = `http://127.0.0.1:${m.port}`;
    m.entityId = `${m.url}/mellon/metadata`;
    m.protectedUrl = `${m.url}/protected/attrs`;
    m.sloSoapUrl = `${m.url}/mellon/logout`;
    // World-readable folder: Apache's children run as www-data when the
    // test runs as root and read the key (a throw-away test key).
    m.dir = tempDir('certme-mellon-');
    fs.chmodSync(m.dir, 0o755);
    for (const d of ['cgi-bin', 'run', 'htdocs']) fs.mkdirSync(path.join(m.dir, d), { mode: 0o755 });
    m.keyFile = path.join(m.dir, 'sp.key');
    m.certFile = path.join(m.dir, 'sp.crt');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-subj', '/CN=mellon-service-b', '-keyout', m.keyFile, '-out', m.certFile], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    fs.chmodSync(m.keyFile, 0o644);
    return m;
  }

  spMetadata() {
    const cert = fs.readFileSync(this.certFile, 'utf8').split('\n').filter((l) => l && !l.includes('-----')).join('');
    const key = (use) => `<KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}` +
      '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>';
    return `<?xml version="1.0" encoding="UTF-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${this.entityId}">
 <SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  ${key('signing')}
  ${key('encryption')}
  <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:SOAP" Location="${this.sloSoapUrl}"/>
  <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${this.url}/mellon/logout"/>
  <NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</NameIDFormat>
  <AssertionConsumerService index="0" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${this.url}/mellon/postResponse"/>
 </SPSSODescriptor>
</EntityDescriptor>
`;
  }

  async start({ idpMetadata }) {
    const d = this.dir;
    fs.writeFileSync(path.join(d, 'sp-metadata.xml'), this.spMetadata(), { mode: 0o644 });
    fs.writeFileSync(path.join(d, 'idp-metadata.xml'), idpMetadata, { mode: 0o644 });
    fs.writeFileSync(path.join(d, 'cgi-bin', 'attrs'), kAttrsCgi, { mode: 0o755 });
    fs.writeFileSync(path.join(d, 'htdocs', 'index.html'), '<!doctype html><title>B</title><p>service B</p>\n', { mode: 0o644 });
    const asRoot = process.getuid?.() === 0;
    const conf = `# Generated for one journey run.
ServerRoot "${d}"
ServerName 127.0.0.1
Listen 127.0.0.1:${this.port}
PidFile "${d}/run/httpd.pid"
DefaultRuntimeDir "${d}/run"
Mutex file:${d}/run default
ErrorLog "${d}/error.log"
LogLevel warn auth_mellon:${process.env.CERTME_MELLON_LOGLEVEL ?? "info"}
# Every request with its time and duration: the run looks for the bridge's
# SOAP LogoutRequest here.
LogFormat "%{%H:%M:%S}t.%{msec_frac}t %m %U %>s %D us" timed
CustomLog "${d}/access.log" timed
${asRoot ? 'User www-data\nGroup www-data' : ''}
LoadModule mpm_event_module ${kModules}/mod_mpm_event.so
LoadModule authn_core_module ${kModules}/mod_authn_core.so
LoadModule authz_core_module ${kModules}/mod_authz_core.so
LoadModule authz_user_module ${kModules}/mod_authz_user.so
LoadModule alias_module ${kModules}/mod_alias.so
LoadModule setenvif_module ${kModules}/mod_setenvif.so
LoadModule cgid_module ${kModules}/mod_cgid.so
LoadModule auth_mellon_module ${kModules}/mod_auth_mellon.so
# One process with threads: mellon builds its Lasso server (metadata,
# keys) once per process, so a single process answers fastest.
StartServers 1
ServerLimit 1
ThreadsPerChild 16
MaxRequestWorkers 16
ScriptSock "${d}/run/cgid.sock"
Timeout 30
DocumentRoot "${d}/htdocs"
<Directory />
  Require all granted
</Directory>
MellonCacheSize 50
# Plain http on loopback: mellon marks its cookie test SameSite=None, which
# Chromium accepts only on a Secure cookie, and Secure needs https. Without
# the attribute the cookie is Lax, and the bridge and this service are the
# same site (127.0.0.1), so it still comes back with the posted Response.
SetEnvIf Request_URI "^" MELLON_DISABLE_SAMESITE=1
<Location />
  MellonEnable info
  MellonEndpointPath /mellon
  MellonSPPrivateKeyFile "${d}/sp.key"
  MellonSPCertFile "${d}/sp.crt"
  MellonSPMetadataFile "${d}/sp-metadata.xml"
  MellonIdPMetadataFile "${d}/idp-metadata.xml"
  MellonSecureCookie Off
  MellonSignatureMethod rsa-sha256
</Location>
ScriptAlias /protected/attrs "${d}/cgi-bin/attrs"
<Location /protected>
  AuthType Mellon
  MellonEnable auth
  Require valid-user
</Location>
`;
    const confPath = path.join(d, 'httpd.conf');
    fs.writeFileSync(confPath, conf, { mode: 0o600 });
    const check = spawnSync(kHttpd, ['-f', confPath, '-t'], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`apache2 refused the mellon configuration: ${check.stderr}`);
    this.proc = new Proc('mellon', kHttpd, ['-f', confPath, '-DFOREGROUND'], {
      cwd: d, env: cleanEnv(), logDir: d, group: true,
    });
    await waitFor('Apache (mellon) to listen', async () => {
      if (this.proc.exit) throw new Error(`apache2 exited (${JSON.stringify(this.proc.exit)}): ${this.logTail()}`);
      const r = await fetch(`${this.url}/index.html`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200;
    }, 20000);
    return this;
  }

  // Requests mellon answered so far, one "HH:MM:SS.mmm METHOD PATH STATUS
  // DURATION us" line each (the access log).
  requests() {
    try {
      return fs.readFileSync(path.join(this.dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  logTail(lines = 20) {
    let s = this.proc ? this.proc.logTail(10) : '';
    try { s += '\n' + fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n'); } catch { /* none */ }
    return s;
  }

  async stop() {
    if (this.proc) await this.proc.stop();
    if (this.dir && !process.env.CERTME_CONFORMANCE_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
