// A relying party as a provider would run it: Debian's Apache httpd with
// mod_auth_openidc, started in the foreground with its own ServerRoot and
// configuration in a temporary folder, listening on 127.0.0.1 only. The
// OpenID Connect settings are only what an integrator is told to set: the
// bridge's discovery URL, the client id and secret, the redirect URI, a
// crypto passphrase and the scopes. /protected/claims is a CGI page that
// prints the validated claims mod_auth_openidc hands over (OIDC_CLAIM_*).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { Proc, cleanEnv, freePort, tempDir, waitFor } from './procs.mjs';

const kModules = '/usr/lib/apache2/modules';
const kHttpd = '/usr/sbin/apache2';

// Prints every OIDC_CLAIM_* variable as a table row, HTML-escaped.
const kClaimsCgi = `#!/bin/sh
printf 'Content-Type: text/html; charset=utf-8\\r\\n\\r\\n'
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Protected page</title></head><body>\\n'
printf '<h1>Protected page</h1><p>Validated claims received from the certME bridge:</p><table id="claims">\\n'
env | grep '^OIDC_CLAIM_' | sort | sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g' \\
  -e 's/^OIDC_CLAIM_\\([^=]*\\)=\\(.*\\)$/<tr><th>\\1<\\/th><td class="\\1">\\2<\\/td><\\/tr>/'
printf '</table></body></html>\\n'
`;

export function apacheMissing() {
  for (const f of [kHttpd, `${kModules}/mod_auth_openidc.so`, `${kModules}/mod_cgid.so`]) {
    if (!fs.existsSync(f)) return f;
  }
  return null;
}

export class Apache {
  // Picks the port first: the client's redirect URI must be registered at
  // the bridge before the bridge starts.
  static async reserve() {
    const a = new Apache();
    a.port = await freePort();
    a.url = `http://127.0.0.1:${a.port}`;
    a.redirectUri = `${a.url}/protected/redirect_uri`;
    a.protectedUrl = `${a.url}/protected/claims`;
    return a;
  }

  async start({ discoveryUrl, clientId, clientSecret, scopes }) {
    // Its own folder, world-readable, because the CGI children run as
    // www-data when the test runs as root; the configuration (with the
    // client secret) is read by the root parent only.
    this.dir = tempDir('certme-apache-');
    fs.chmodSync(this.dir, 0o755);
    const cgiDir = path.join(this.dir, 'cgi-bin');
    const runDir = path.join(this.dir, 'run');
    fs.mkdirSync(cgiDir, { mode: 0o755 });
    fs.mkdirSync(runDir, { mode: 0o755 });
    fs.mkdirSync(path.join(this.dir, 'htdocs'), { mode: 0o755 });
    fs.writeFileSync(path.join(cgiDir, 'claims'), kClaimsCgi, { mode: 0o755 });
    const asRoot = process.getuid?.() === 0;
    const conf = `# Generated for one browser-journey run.
ServerRoot "${this.dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:${this.port}
PidFile "${runDir}/httpd.pid"
DefaultRuntimeDir "${runDir}"
Mutex file:${runDir} default
ScriptSock "${runDir}/cgid.sock"
ErrorLog "${this.dir}/error.log"
LogLevel warn
${asRoot ? 'User www-data\nGroup www-data' : ''}
LoadModule mpm_event_module ${kModules}/mod_mpm_event.so
LoadModule authz_core_module ${kModules}/mod_authz_core.so
LoadModule authz_user_module ${kModules}/mod_authz_user.so
LoadModule authn_core_module ${kModules}/mod_authn_core.so
LoadModule alias_module ${kModules}/mod_alias.so
LoadModule cgid_module ${kModules}/mod_cgid.so
LoadModule auth_openidc_module ${kModules}/mod_auth_openidc.so
DocumentRoot "${this.dir}/htdocs"
ScriptAlias /protected/ "${cgiDir}/"

OIDCProviderMetadataURL ${discoveryUrl}
OIDCClientID ${clientId}
OIDCClientSecret ${clientSecret}
OIDCRedirectURI ${this.redirectUri}
OIDCCryptoPassphrase ${crypto.randomBytes(24).toString('base64url')}
OIDCScope "${scopes}"

<Location /protected/>
  AuthType openid-connect
  Require valid-user
</Location>
`;
    const confPath = path.join(this.dir, 'httpd.conf');
    fs.writeFileSync(confPath, conf, { mode: 0o600 });
    this.proc = new Proc('apache', kHttpd, ['-f', confPath, '-DFOREGROUND'], {
      cwd: this.dir, env: cleanEnv(), logDir: this.dir, group: true,
    });
    await waitFor('Apache to listen', async () => {
      if (this.proc.exit) throw new Error(`apache2 exited (${JSON.stringify(this.proc.exit)}): ${this.logTail()}`);
      const r = await fetch(`${this.url}/`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return true;
    }, 20000);
    return this;
  }

  logTail() {
    let s = this.proc ? this.proc.logTail(10) : '';
    try { s += '\n' + fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').trimEnd().split('\n').slice(-20).join('\n'); } catch { /* none */ }
    return s;
  }

  async stop() {
    if (this.proc) await this.proc.stop();
    if (this.dir && !process.env.CERTME_CONFORMANCE_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
