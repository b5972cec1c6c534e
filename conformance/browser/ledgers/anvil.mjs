// Ledger backend of a journey run: the CertMeRegistry contract on a real EVM
// chain — anvil (npm @foundry-rs/anvil, installed by scripts/deps into
// ledger-client/contracts/node_modules) on 127.0.0.1 with a port it picks,
// without fees, the registry deployed with `certme ledger deploy`. Same
// shape as embedded.mjs: start({ certme, work, run }) → { env, stop() }.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Proc, waitFor } from '../lib/procs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const contracts = path.resolve(here, '..', '..', '..', 'ledger-client', 'contracts');

function anvilBinary() {
  if (process.env.CERTME_ANVIL) return process.env.CERTME_ANVIL;
  for (const arch of ['linux-amd64', 'linux-arm64']) {
    const p = path.join(contracts, 'node_modules', '@foundry-rs', `anvil-${arch}`, 'bin', 'anvil');
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`anvil is not installed (npm ci in ${contracts}; scripts/deps does it)`);
}

export async function start({ certme, work, run }) {
  const node = new Proc('anvil', anvilBinary(),
    ['--host', '127.0.0.1', '--port', '0', '--base-fee', '0', '--gas-price', '0', '--accounts', '1'],
    { cwd: work });
  let port = 0;
  await waitFor('anvil listening', () => {
    if (node.exit) throw new Error(`anvil exited: ${node.logTail()}`);
    const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(node.logPath, 'utf8'));
    if (m) port = Number(m[1]);
    return port !== 0;
  }, 30000);
  const env = {
    CERTME_LEDGER_BACKEND: 'evm',
    CERTME_LEDGER_EVM_RPC_URL: `http://127.0.0.1:${port}`,
    CERTME_LEDGER_EVM_PRIORITY_FEE_WEI: '0',  // the chain charges no fees
    CERTME_LEDGER_EVM_POLL_INTERVAL_MS: '100',
    CERTME_LEDGER_ADMIN_KEY_FILE: path.join(work, 'keys', 'admin.key'),
  };
  env.CERTME_LEDGER_REGISTRY_ADDRESS = run(certme, ['ledger', 'deploy'], env);
  return { env, stop: async () => { await node.stop(); } };
}
