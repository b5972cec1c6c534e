// Compiles CertMeRegistry.sol with solc-js (offline: the compiler is the npm
// package, no download) and writes what the C++ build embeds:
//   CertMeRegistry.abi.json  the ABI (functions, events, custom errors)
//   CertMeRegistry.bin       the creation bytecode, hex, one line
// `node compile.mjs --check` compiles again and fails when the committed
// files differ from a fresh compile (the ctest case
// ledger_contract_compile_check), so the two cannot drift apart.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc');
const here = dirname(fileURLToPath(import.meta.url));

// Pinned: "paris" has no PUSH0, so the bytecode runs on every EVM chain a
// registry is likely to live on (Besu, GoQuorum, geth, anvil).
const EVM_VERSION = 'paris';

const input = {
  language: 'Solidity',
  sources: { 'CertMeRegistry.sol': { content: readFileSync(join(here, 'CertMeRegistry.sol'), 'utf8') } },
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 200 },
    viaIR: true,
    metadata: { bytecodeHash: 'none' },
    outputSelection: { 'CertMeRegistry.sol': { CertMeRegistry: ['abi', 'evm.bytecode.object'] } },
  },
};

const output = JSON.parse(solc.compile(JSON.stringify(input)));
const problems = (output.errors || []).filter((e) => e.severity === 'error');
for (const e of output.errors || []) console.error(e.formattedMessage);
if (problems.length) process.exit(1);

const contract = output.contracts['CertMeRegistry.sol'].CertMeRegistry;
const abi = JSON.stringify(contract.abi, null, 2) + '\n';
const bin = contract.evm.bytecode.object + '\n';
const files = { 'CertMeRegistry.abi.json': abi, 'CertMeRegistry.bin': bin };

if (process.argv.includes('--check')) {
  let drift = false;
  for (const [name, fresh] of Object.entries(files)) {
    let committed = '';
    try { committed = readFileSync(join(here, name), 'utf8'); } catch { committed = '<missing>'; }
    if (committed !== fresh) {
      console.error(`${name} differs from a fresh compile (solc ${solc.version()}); run: node compile.mjs`);
      drift = true;
    }
  }
  if (drift) process.exit(1);
  console.log(`CertMeRegistry: committed ABI and bytecode match solc ${solc.version()} (evmVersion ${EVM_VERSION})`);
} else {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(here, name), text);
  console.log(`CertMeRegistry: ${(bin.length - 1) / 2} bytes of creation code (solc ${solc.version()}, evmVersion ${EVM_VERSION})`);
}
