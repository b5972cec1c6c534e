#!/usr/bin/env node
// OpenID Connect conformance run: starts the bridge in development mode and
// drives it with openid-client through the cases modelled on the OpenID
// Foundation OP test plans (see ../README.md for the module list).
//
//   node conformance/oidc/run.mjs --certme <path to the certme binary>
//
// Exit status is non-zero when any case fails, when the bridge does not
// start, or when the npm dependencies are not installed.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function fail(message) {
  console.error(`conformance.oidc: ${message}`);
  process.exit(1);
}

for (const dep of ['openid-client', 'jose']) {
  if (!fs.existsSync(path.join(root, 'node_modules', dep, 'package.json'))) {
    fail(`npm dependency "${dep}" is not installed in ${path.join(root, 'node_modules')}.\n` +
      `  Install it with: npm ci --prefix ${root}   (scripts/deps does this)`);
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--certme');
const binary = at >= 0 ? args[at + 1] : process.env.CERTME_BIN;
if (!binary) fail('usage: run.mjs --certme <path to the certme binary>');
if (!fs.existsSync(binary)) fail(`certme binary not found at ${binary} (build the certme target first)`);

const { describe, test, after } = await import('node:test');
const { default: assert } = await import('node:assert/strict');
const { setUp } = await import('./lib/context.mjs');
const plans = await Promise.all(
  ['config_plan.mjs', 'basic_plan.mjs', 'extra_cases.mjs', 'token_management_cases.mjs', 'par_cases.mjs', 'jar_cases.mjs', 'dpop_cases.mjs', 'registration_cases.mjs', 'fapi_cases.mjs', 'logout_plans.mjs'].map((f) => import(`./${f}`)));

let ctx;
let startError;
try {
  ctx = await setUp({ binary: path.resolve(binary) });
} catch (err) {
  startError = err;
}

if (startError) {
  test('bridge starts in development mode and answers /healthz', () => { throw startError; });
} else {
  describe('certME bridge: OpenID Connect conformance', { concurrency: 1 }, () => {
    after(() => ctx.tearDown());
    for (const plan of plans) plan.register(ctx);

    test('bridge exits cleanly on SIGTERM', async () => {
      const result = await ctx.main.stop();
      assert.equal(result.killed, false, 'did not exit within 5 s of SIGTERM');
      assert.equal(result.code, 0, `exit code ${result.code}, signal ${result.signal}; log:\n${ctx.main.logTail()}`);
    });
  });
}
