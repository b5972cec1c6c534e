// Starts and stops a bridge instance the way an operator would in development
// mode: `certme idp` with no config file, settings from CERTME_* environment
// variables, readiness from GET /healthz, shutdown with SIGTERM.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository's attribute catalogue; the bridge resolves its default
// (config/claims.yaml) against its working directory, which here is a
// temporary directory so that instances never share generated keys.
const kClaimsFile = fileURLToPath(new URL('../../../config/claims.yaml', import.meta.url));

const kStartTimeoutMs = 20000;
const kStopTimeoutMs = 5000;

const running = new Set();

// Last-resort cleanup so no bridge outlives the runner, whatever ends it.
function killAll() {
  for (const bridge of running) {
    try { bridge.proc.kill('SIGTERM'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const [signal, number] of [['SIGHUP', 1], ['SIGINT', 2], ['SIGTERM', 15]]) {
  process.on(signal, () => { killAll(); process.exit(128 + number); });
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Bridge {
  constructor({ binary, name, workDir, env }) {
    this.binary = binary;
    this.name = name;
    this.workDir = workDir;
    this.extraEnv = env;
    this.exit = null; // {code, signal} once exited
  }

  logTail(lines = 40) {
    try {
      const text = fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n');
      return text.slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async start() {
    let lastError;
    // A port picked free can be taken before the bridge binds it; retry then.
    for (let attempt = 0; attempt < 3; ++attempt) {
      this.port = await freePort();
      this.url = `http://127.0.0.1:${this.port}`;
      this.logPath = path.join(this.workDir, `${this.name}.log`);
      try {
        await this.spawnAndWait();
        return this;
      } catch (err) {
        lastError = err;
        if (!/address already in use|EADDRINUSE|bind/i.test(this.logTail())) break;
      }
    }
    throw lastError;
  }

  async spawnAndWait() {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CERTME_')));
    Object.assign(env, {
      CERTME_SERVER_PORT: String(this.port),
      CERTME_SERVER_PUBLIC_URL: this.url,
      CERTME_STORE_SQLITE_PATH: path.join(this.workDir, `${this.name}.db`),
      CERTME_LOGIN_DEV_LOGIN: 'true',  // overridable through env below
      CERTME_OIDC_CLAIMS_FILE: kClaimsFile,
      CERTME_KEYS_DEV_KEY_DIR: path.join(this.workDir, `${this.name}-dev-keys`),
      ...this.extraEnv,
    });
    const log = fs.openSync(this.logPath, 'w');
    this.exit = null;
    this.proc = spawn(this.binary, ['idp'], { cwd: this.workDir, env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    running.add(this);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
      });
      this.proc.once('error', (err) => {
        this.exit = { code: null, signal: null, error: err };
        running.delete(this);
        resolve(this.exit);
      });
    });

    const deadline = Date.now() + kStartTimeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(`bridge "${this.name}" exited before it was healthy ` +
          `(${this.exit.error ? this.exit.error.message : `code ${this.exit.code}, signal ${this.exit.signal}`}); log:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch { /* not listening yet */ }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`bridge "${this.name}" not healthy on ${this.url}/healthz within ${kStartTimeoutMs} ms; log:\n${this.logTail()}`);
  }

  // SIGTERM, then SIGKILL if it has not exited after kStopTimeoutMs.
  // Returns {code, signal, killed}.
  async stop() {
    if (!this.proc || this.exit) return { ...this.exit, killed: false };
    this.proc.kill('SIGTERM');
    const timer = sleep(kStopTimeoutMs).then(() => null);
    const result = await Promise.race([this.exited, timer]);
    if (result) return { ...result, killed: false };
    this.proc.kill('SIGKILL');
    return { ...(await this.exited), killed: true };
  }
}
