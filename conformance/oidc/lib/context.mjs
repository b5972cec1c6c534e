// Shared state of one conformance run: the relying-party endpoint, the test
// clients, and the bridge instances (the main one, and one with a 2-second
// authorization code lifetime for the expiry case).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { RelyingPartyEndpoint } from './rp.mjs';
import { Bridge } from './server.mjs';
import { clientsFile, makeClients } from './fixtures.mjs';

export async function setUp({ binary }) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certme-conformance-'));
  const rp = await new RelyingPartyEndpoint().start();
  const clients = await makeClients(rp);
  const clientsPath = path.join(workDir, 'clients.yaml');
  fs.writeFileSync(clientsPath, clientsFile(clients), { mode: 0o600 });

  const main = new Bridge({ binary, name: 'main', workDir, env: {
    CERTME_OIDC_DEV_CLIENTS_FILE: clientsPath,
    // Dynamic registration (registration_cases.mjs) needs the console.
    CERTME_ADMIN_ENABLED: 'true',
    CERTME_OIDC_REGISTRATION_ENABLED: 'true',
  } });
  const shortCode = new Bridge({
    binary, name: 'short-code-ttl', workDir,
    env: { CERTME_OIDC_DEV_CLIENTS_FILE: clientsPath, CERTME_OIDC_CODE_TTL_SECONDS: '2' },
  });
  // Same development mode with the login double switched off: /login/dev
  // must not exist there.
  const noDevLogin = new Bridge({
    binary, name: 'no-dev-login', workDir,
    env: { CERTME_OIDC_DEV_CLIENTS_FILE: clientsPath, CERTME_LOGIN_DEV_LOGIN: 'false' },
  });
  const ctx = new Context({ workDir, rp, clients, main, shortCode, noDevLogin });
  const started = await Promise.allSettled([main.start(), shortCode.start(), noDevLogin.start()]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await ctx.tearDown({ keep: true });
    throw failed.reason;
  }
  return ctx;
}

class Context {
  constructor({ workDir, rp, clients, main, shortCode, noDevLogin }) {
    Object.assign(this, { workDir, rp, clients, main, shortCode, noDevLogin });
    this.configs = new Map();
  }

  client(id) {
    const c = this.clients[id];
    if (!c) throw new Error(`no test client ${id}`);
    return c;
  }

  clientAuth(client) {
    switch (client.auth) {
      case 'client_secret_basic': return oidc.ClientSecretBasic(client.secret);
      case 'client_secret_post': return oidc.ClientSecretPost(client.secret);
      case 'private_key_jwt': return oidc.PrivateKeyJwt(client.privateKey);
      case 'none': return oidc.None();
      default: throw new Error(`unsupported auth ${client.auth}`);
    }
  }

  // openid-client Configuration for `client` at `bridge` (Discovery 1.0 §4),
  // cached. Every configuration also verifies ID token signatures against
  // the bridge's JWKS (enableNonRepudiationChecks), not only the claims.
  async config(clientId, bridge = this.main) {
    const key = `${bridge.name}/${clientId}`;
    if (!this.configs.has(key)) {
      const client = this.client(clientId);
      const metadata = {
        id_token_signed_response_alg: client.idTokenAlg,
        redirect_uris: [client.redirectUri],
      };
      if (client.secret) metadata.client_secret = client.secret;
      const config = await oidc.discovery(new URL(bridge.url), client.id, metadata, this.clientAuth(client), {
        execute: [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks],
      });
      this.configs.set(key, config);
    }
    return this.configs.get(key);
  }

  // Removes the work directory unless asked to keep it (failed start-up, or
  // CERTME_CONFORMANCE_KEEP=1 to inspect logs and the SQLite file).
  async tearDown({ keep = false } = {}) {
    const results = {};
    for (const bridge of [this.main, this.shortCode, this.noDevLogin]) results[bridge.name] = await bridge.stop();
    await this.rp.stop();
    if (keep || process.env.CERTME_CONFORMANCE_KEEP === '1') {
      console.error(`conformance: logs and data kept in ${this.workDir}`);
    } else {
      fs.rmSync(this.workDir, { recursive: true, force: true });
    }
    return results;
  }
}
