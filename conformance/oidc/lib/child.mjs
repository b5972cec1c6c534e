// Long-running child processes of a journey (the validator service, nginx):
// output in a log file in the run's work folder, stopped with SIGTERM (then
// SIGKILL) by the journey's tear-down, and killed as a last resort when the
// runner exits without it. Short commands go through runOk.

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const running = new Set();
process.on('exit', () => {
  for (const child of running) {
    try { child.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Child {
  constructor(name, binary, argv, { cwd, env }) {
    this.name = name;
    this.logPath = path.join(cwd, `${name}.log`);
    const log = fs.openSync(this.logPath, 'a');
    this.exit = null;
    this.proc = spawn(binary, argv, { cwd, env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    running.add(this);
    this.exited = new Promise((resolve) => {
      const done = (exit) => { this.exit = exit; running.delete(this); resolve(exit); };
      this.proc.once('exit', (code, signal) => done({ code, signal }));
      this.proc.once('error', (error) => done({ code: null, signal: null, error }));
    });
  }

  logTail(lines = 30) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(graceMs = 5000) {
    if (this.exit) return this.exit;
    this.proc.kill('SIGTERM');
    const result = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
    if (result) return result;
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

// Runs a command to its end; resolves with its exit code and output, never
// rejects (the caller asserts on the code).
export function run(binary, argv, { cwd, env, timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    execFile(binary, argv, { cwd, env, timeout: timeoutMs, maxBuffer: 4 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

// The same, failing with the command's own words when it does not succeed;
// resolves with its standard output, trimmed.
export async function runOk(binary, argv, options) {
  const r = await run(binary, argv, options);
  if (r.code !== 0) {
    throw new Error(`${path.basename(binary)} ${argv.join(' ')} failed (${r.code}):\n${r.stderr || r.stdout}`);
  }
  return r.stdout.trim();
}

// Polls `check` every 100 ms until it returns true or `timeoutMs` passes.
export async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${last.message}` : ''}`);
}
