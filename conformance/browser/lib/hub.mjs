// The certME side of a journey with the bridge in hub mode (a provider
// account per service, docs/ledger.md): the command line every such journey
// takes, a ledger backend (../ledgers/*.mjs) with an authorized validator,
// users enrolled into the reference wallet, the validator service, the bridge
// with the wallet login only, and the helpers reading what they logged.
//
//   const args = journeyArgs('conformance.x', 'x.mjs');        // --certme, --ledger, --artifacts
//   const hub = await Hub.start({ certme: args.certme, work, ledgerModule: args.ledgerModule });
//   const address = hub.enrollWallet(walletFile, ['first_name=Ion', …]);
//   hub.startValidator();
//   await hub.startBridge({ CERTME_OIDC_DEV_CLIENTS_FILE: … });  // hub.bridge.url
//   …
//   await hub.stop();
//
// Every certme process of the run gets hub.env (the ledger, the keys, the
// wallet's passphrase) and nothing of the caller's CERTME_* environment.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Proc, cleanEnv, freePort, runOk, waitFor } from './procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../../..');

// --certme PATH (or $CERTME_BIN), --ledger MODULE (default the embedded
// ledger) and --artifacts DIR; exits with a message when the binary is
// missing. `ledgerName` prefixes screenshots.
export function journeyArgs(name, script) {
  const argv = process.argv.slice(2);
  const opt = (flag, dflt) => {
    const i = argv.indexOf(`--${flag}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  const certmeArg = opt('certme', process.env.CERTME_BIN);
  if (!certmeArg) fail(`usage: ${script} --certme PATH [--ledger MODULE] [--artifacts DIR]`);
  const certme = path.resolve(certmeArg);
  if (!fs.existsSync(certme)) fail(`certme binary not found at ${certme} (build the certme target first)`);
  const ledgerModule = path.resolve(opt('ledger', path.join(here, '..', 'ledgers', 'embedded.mjs')));
  return { certme, ledgerModule, ledgerName: path.basename(ledgerModule, '.mjs'), artifacts: opt('artifacts'), fail };
}

export const addressIn = (text) => (/0x[0-9a-fA-F]{40}/.exec(text) ?? [null])[0];
export const sameAddress = (a, b) =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

export class Hub {
  static async start({ certme, work, ledgerModule }) {
    const hub = new Hub();
    hub.certme = certme;
    hub.work = work;
    const kek = path.join(work, 'keys', 'provider.kek');
    fs.mkdirSync(path.dirname(kek), { recursive: true, mode: 0o700 });
    fs.writeFileSync(kek, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    hub.env = {
      CERTME_WALLET_PASSPHRASE: 'correct horse battery staple',
      CERTME_LEDGER_VALIDATOR_KEY_FILE: path.join(work, 'keys', 'validator.key'),
      CERTME_LEDGER_PROVIDER_ACCOUNTS: 'hub',
      CERTME_LEDGER_PROVIDER_KEK_FILE: kek,
      CERTME_LEDGER_ANSWER_TIMEOUT_SECONDS: '20',
    };
    const backend = await import(pathToFileURL(ledgerModule).href);
    hub.ledger = await backend.start({
      certme, work,
      run: (bin, argv, fragment) => runOk(bin, argv, { cwd: work, env: cleanEnv({ ...hub.env, ...fragment }) }),
    });
    Object.assign(hub.env, hub.ledger.env);
    const validator = hub.run(['ledger', 'keygen', '--out', hub.env.CERTME_LEDGER_VALIDATOR_KEY_FILE]);
    hub.run(['admin', 'authorize-validator', validator]);
    return hub;
  }

  // `certme ARGV` to completion with the run's settings; its trimmed stdout.
  run(argv, extra = {}) {
    return runOk(this.certme, argv, { cwd: this.work, env: cleanEnv({ ...this.env, ...extra }) });
  }

  // A new reference wallet at `walletFile` whose eID the validator enrolled
  // and issued with `attrs` ("name=value"), imported; its address.
  enrollWallet(walletFile, attrs) {
    const address = this.run(['wallet', 'create', '--wallet', walletFile]);
    const base = path.join(this.work, path.basename(walletFile, '.json'));
    this.run(['validator', 'enroll', '--user', address, ...attrs.flatMap((a) => ['--attr', a]),
      '--out', `${base}-enrollment.json`]);
    this.run(['wallet', 'approve-enrolment', `${base}-enrollment.json`, '--wallet', walletFile,
      '--out', `${base}-enrolment.sig`]);
    this.run(['validator', 'issue', `${base}-enrollment.json`, '--consent', `${base}-enrolment.sig`]);
    this.run(['wallet', 'import', `${base}-enrollment.json`, '--wallet', walletFile]);
    return address;
  }

  startValidator() {
    this.validator = new Proc('validator', this.certme, ['validator', 'serve'], { cwd: this.work, env: cleanEnv(this.env) });
    return this.validator;
  }

  // The validator service's answers so far, from its log (one JSON line per
  // answered request, naming the provider that asked).
  validatorAnswers() {
    let text = '';
    try { text = fs.readFileSync(this.validator.logPath, 'utf8'); } catch { return []; }
    return text.split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } })
      .filter((e) => e.msg === 'validation answered');
  }

  // `certme idp` with the wallet login only, on a free port of 127.0.0.1,
  // its store in the work folder, plus `settings`; waits for /healthz.
  async startBridge(settings = {}) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    Object.assign(this.env, {
      CERTME_SERVER_PORT: String(port),
      CERTME_SERVER_PUBLIC_URL: base,
      CERTME_STORE_SQLITE_PATH: path.join(this.work, 'idp.db'),
      CERTME_LOGIN_DEV_LOGIN: 'false',
      CERTME_LOGIN_WALLET_LOGIN: 'true',
      CERTME_LOGIN_WALLET_KEY_FILE: path.join(this.work, 'keys', 'wallet-login.key'),
      CERTME_OIDC_CLAIMS_FILE: path.join(repo, 'config', 'claims.yaml'),
      CERTME_KEYS_DEV_KEY_DIR: path.join(this.work, 'dev-keys'),
      ...settings,
    });
    const bridge = new Proc('bridge', this.certme, ['idp'], { cwd: this.work, env: cleanEnv(this.env) });
    bridge.url = base;
    this.bridge = bridge;
    await waitFor('the bridge to answer /healthz', async () => {
      if (bridge.exit) throw new Error(`certme idp exited: ${bridge.logTail()}`);
      const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      return r.status === 200;
    }, 30000);
    return bridge;
  }

  // The last lines of the bridge's and the validator's logs.
  logs(lines = 20) {
    return [this.bridge, this.validator].filter(Boolean).map((p) => `--- ${p.name}\n${p.logTail(lines)}`).join('\n');
  }

  async stop() {
    await this.bridge?.stop();
    await this.validator?.stop();
    await this.ledger?.stop();
  }
}
