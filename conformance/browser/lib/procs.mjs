// Child processes of a journey run (bridge, validator, Apache, scripts/demo):
// started with their output in a log file, waited on by polling, and always
// stopped — by the runner's tear-down, and as a last resort when the runner
// itself exits, is interrupted or overruns its own deadline.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const running = new Set();
const tempDirs = new Set();

// Last resort (the runner is exiting without its tear-down): every child is
// killed — with its whole process group where it has one, so that nothing
// it started (Apache's workers) outlives it — and temporary folders go.
function killAll() {
  for (const p of running) {
    try { process.kill(p.group ? -p.proc.pid : p.proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  if (process.env.CERTME_CONFORMANCE_KEEP) return;
  for (const d of tempDirs) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}
process.on('exit', killAll);
for (const [signal, number] of [['SIGHUP', 1], ['SIGINT', 2], ['SIGTERM', 15]]) {
  process.on(signal, () => { killAll(); process.exit(128 + number); });
}

// Ends the whole run (children included) if it takes longer than `ms`: ctest's
// own timeout would kill only this process and leave its children behind.
export function runDeadline(ms, name) {
  const t = setTimeout(() => {
    console.error(`${name}: overall deadline of ${ms / 1000} s passed; stopping everything`);
    killAll();
    process.exit(1);
  }, ms);
  t.unref();
}

// A temporary folder removed when the runner exits, whatever the path.
export function tempDir(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

// Polls `check` (an async function returning truthy when done) until it
// succeeds or `ms` pass; throws with `what` and the last error then.
export async function waitFor(what, check, ms, intervalMs = 100) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

// Runs a command to completion (bounded); returns {code, stdout, stderr}.
export function run(cmd, args, { cwd, env, timeoutMs = 60000, input } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, timeout: timeoutMs, encoding: 'utf8', input: input ?? '' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

// Like run() but throws unless the exit code is 0; returns trimmed stdout.
export function runOk(cmd, args, opts) {
  const r = run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${r.code ?? r.signal}:\n${r.stderr}${r.stdout}`);
  }
  return r.stdout.trim();
}

// A long-running child. `group: true` starts it in its own process group so
// that stop() reaches everything it started (scripts/demo's children).
export class Proc {
  constructor(name, cmd, args, { cwd, env, logDir, group = false } = {}) {
    this.name = name;
    this.logPath = path.join(logDir ?? cwd, `${name}.log`);
    const log = fs.openSync(this.logPath, 'w');
    this.group = group;
    this.exit = null;
    this.proc = spawn(cmd, args, { cwd, env, stdio: ['ignore', log, log], detached: group });
    fs.closeSync(log);
    running.add(this);
    this.exited = new Promise((resolve) => {
      const done = (exit) => {
        if (this.exit) return;
        this.exit = exit;
        running.delete(this);
        resolve(exit);
      };
      this.proc.once('exit', (code, signal) => done({ code, signal }));
      this.proc.once('error', (err) => done({ code: null, signal: null, error: err.message }));
    });
  }

  logTail(lines = 30) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  signal(sig) {
    if (this.exit) return;
    try { process.kill(this.group ? -this.proc.pid : this.proc.pid, sig); } catch { /* gone */ }
  }

  // SIGTERM, then SIGKILL after `graceMs`. Returns the exit and whether it
  // needed the SIGKILL.
  async stop(graceMs = 5000) {
    if (this.exit) return { ...this.exit, killed: false };
    this.signal('SIGTERM');
    const t = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
    if (t) return { ...t, killed: false };
    this.signal('SIGKILL');
    return { ...(await this.exited), killed: true };
  }
}

// Environment of this process without any CERTME_* setting, so that a
// developer's shell cannot change what a test runs.
export function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CERTME_')));
  return { ...env, ...extra };
}

// Runs `fn`; when it throws, runs `onFailure` (a screenshot, say) and adds
// `logs()` (the servers' last lines) to the error's message before passing
// it on.
export async function withLogs(fn, logs, onFailure = async () => {}) {
  try {
    return await fn();
  } catch (err) {
    await Promise.resolve().then(onFailure).catch(() => {});
    err.message += `\n${logs()}`;
    throw err;
  }
}
