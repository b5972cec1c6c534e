// The demo as a browser journey finds it: `scripts/demo --no-build` on free
// ports (the bridge, the sample provider, the production bridge) in a
// temporary demo folder, the demo's client registration rewritten for the
// sample provider's port, and one Chromium. Shared by the journeys that
// start from the demo (demo.mjs, device_login.mjs).
//
//   const world = demoWorld({ name: 'conformance.x', script: 'x.mjs', prefix: 'certme-x-', deadlineMs });
//   before(() => world.start());  after(() => world.stop());
//   world.env.SAMPLE_URL, world.browser, world.demo.logTail(), world.wallet('approve', ...)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { launchBrowser } from './browser.mjs';
import { Proc, cleanEnv, freePort, runDeadline, tempDir, waitFor } from './procs.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Reads --certme (or CERTME_BIN) and --artifacts, checks the sample
// provider's npm folder, arms the run's deadline and makes the work folder.
// Exits with a usage line when something is missing.
export function demoWorld({ name, script, prefix, deadlineMs }) {
  const args = process.argv.slice(2);
  const opt = (flag, dflt) => {
    const i = args.indexOf(`--${flag}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const certmeArg = opt('certme', process.env.CERTME_BIN);
  if (!certmeArg || !fs.existsSync(certmeArg)) {
    console.error(`${name}: usage: ${script} --certme PATH (the built certme binary)`);
    process.exit(1);
  }
  const sample = path.join(repo, 'examples', 'sample-provider');
  if (!fs.existsSync(path.join(sample, 'node_modules', 'openid-client'))) {
    console.error(`${name}: examples/sample-provider/node_modules is missing; ` +
      `run: npm ci --prefix ${sample}   (scripts/deps does this)`);
    process.exit(1);
  }
  runDeadline(deadlineMs, name);
  const work = tempDir(prefix);
  const artifacts = path.resolve(opt('artifacts', path.join(work, 'artifacts')));
  fs.mkdirSync(artifacts, { recursive: true });
  console.log(`${name}: screenshots in ${artifacts}`);
  return new DemoWorld(name, path.resolve(certmeArg), work, artifacts);
}

class DemoWorld {
  constructor(name, certme, work, artifacts) {
    Object.assign(this, { name, certme, work, artifacts });
    this.demoDir = path.join(work, 'demo');
    this.env = null;
    this.demo = null;
    this.browser = null;
  }

  // Free ports, the environment scripts/demo reads, the demo and Chromium.
  async start(readyMs = 90000) {
    const bridgePort = await freePort();
    const samplePort = await freePort();
    const productionPort = await freePort();
    // The demo's client registration, with the redirect URI on this run's port.
    const clients = fs.readFileSync(path.join(repo, 'examples', 'demo-clients.yaml'), 'utf8')
      .replaceAll('http://127.0.0.1:8081', `http://127.0.0.1:${samplePort}`);
    fs.writeFileSync(path.join(this.work, 'demo-clients.yaml'), clients);
    this.env = cleanEnv({
      CERTME_BIN: this.certme,
      CERTME_DEMO_DIR: this.demoDir,
      CERTME_SERVER_PORT: String(bridgePort),
      CERTME_SERVER_PUBLIC_URL: `http://127.0.0.1:${bridgePort}`,
      CERTME_OIDC_DEV_CLIENTS_FILE: path.join(this.work, 'demo-clients.yaml'),
      SAMPLE_PORT: String(samplePort),
      SAMPLE_URL: `http://127.0.0.1:${samplePort}`,
      CERTME_DEMO_PRODUCTION_PORT: String(productionPort),
      PRODUCTION_URL: `http://127.0.0.1:${productionPort}`,
    });
    this.demo = await this.startDemo('demo', readyMs);
    this.browser = await launchBrowser();
  }

  // scripts/demo as a newcomer starts it (again: a second start reuses the
  // demo folder); resolves once the sample provider answers.
  async startDemo(procName, readyMs = 90000) {
    const proc = new Proc(procName, 'bash', [path.join(repo, 'scripts', 'demo'), '--no-build'],
      { cwd: repo, env: this.env, logDir: this.work, group: true });
    await waitFor('the sample provider site', async () => {
      if (proc.exit) throw new Error(`scripts/demo exited (${JSON.stringify(proc.exit)}):\n${proc.logTail()}`);
      const r = await fetch(`${this.env.SAMPLE_URL}/`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      return r.status === 200;
    }, readyMs, 200);
    return proc;
  }

  // `certme wallet ARGS --wallet <demo wallet>` with the demo's passphrase;
  // resolves to { code, out }. `env` adds to (or blanks) the environment.
  wallet(args, { env = {}, cwd = repo } = {}) {
    const [verb, ...rest] = args;
    return new Promise((resolve) => {
      execFile(this.certme, ['wallet', verb, '--wallet', path.join(this.demoDir, 'wallet.json'), ...rest],
        { cwd, env: { ...this.env, CERTME_WALLET_PASSPHRASE: 'certme-demo', ...env }, timeout: 60000 },
        (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, out: stdout + stderr }));
    });
  }

  async stop() {
    await this.browser?.close().catch(() => {});
    await this.demo?.stop();
    if (process.env.CERTME_CONFORMANCE_KEEP) console.log(`${this.name}: kept ${this.work}`);
    else fs.rmSync(this.work, { recursive: true, force: true, maxRetries: 3 });
  }
}
