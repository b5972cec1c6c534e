// A registry of contract version 1 (the committed artifact in
// ledger-client/contracts/v1/) on a local chain, for the `certme ledger
// migrate` journey: deploys it administered by ADMIN_KEY, authorizes the
// validator and provider, and has the validator issue an eID to USER the
// way version 1 did (no user signature). Writes the user's values and salts
// as an enrollment hand-over to OUT (its registry field names version 1; the
// journey points it at the migrated registry).
//
// Usage: node v1_registry.mjs RPC_URL ADMIN_KEYFILE VALIDATOR_KEYFILE PROVIDER USER OUT
// Prints the version 1 registry's address and its deployment block.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
// ethers from the wallet conformance kit's npm install (scripts/deps).
const require = createRequire(path.join(here, '../../conformance/wallet/package.json'));
const { AbiCoder, ContractFactory, JsonRpcProvider, Wallet, hexlify, keccak256, randomBytes, toUtf8Bytes } =
  require('ethers');

const [rpcUrl, adminKeyFile, validatorKeyFile, providerAddr, user, out] = process.argv.slice(2);
const v1 = path.join(here, '../../ledger-client/contracts/v1');
const abi = JSON.parse(fs.readFileSync(path.join(v1, 'CertMeRegistryV1.abi.json'), 'utf8'));
const bin = '0x' + fs.readFileSync(path.join(v1, 'CertMeRegistryV1.bin'), 'utf8').trim();
const keyOf = (f) => JSON.parse(fs.readFileSync(f, 'utf8')).private_key;

const node = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, pollingInterval: 50 });
const admin = new Wallet(keyOf(adminKeyFile), node);
const validator = new Wallet(keyOf(validatorKeyFile), node);
// Nonces counted here (the provider's answers may be cached between sends).
let adminNonce = await node.getTransactionCount(admin.address, 'pending');
const next = () => ({ gasPrice: 0, nonce: adminNonce++ });

const factory = new ContractFactory(abi, bin, admin);
const registry = await factory.deploy(admin.address, next());
const deployed = await registry.deploymentTransaction().wait();
await (await registry.addValidator(validator.address, next())).wait();
await (await registry.addProvider(providerAddr, next())).wait();

const attributes = [
  { name: 'first_name', value: 'Ion' },
  { name: 'idnp', value: '2001234567890' },
].map((a) => ({ ...a, salt: hexlify(randomBytes(32)) }));
const keys = attributes.map((a) => keccak256(toUtf8Bytes(a.name)));
const coder = AbiCoder.defaultAbiCoder();
const commitments = attributes.map((a, i) =>
  keccak256(coder.encode(['address', 'bytes32', 'string', 'bytes32'], [user, keys[i], a.value, a.salt])));
const validatorNonce = await node.getTransactionCount(validator.address, 'pending');
await (await registry.connect(validator).issueEid(user, keys, commitments, 2, { gasPrice: 0, nonce: validatorNonce }))
  .wait();

const address = await registry.getAddress();
fs.writeFileSync(out, JSON.stringify({
  format: 'certme-enrollment-1', user, validator: validator.address, registry: address,
  chain_id: Number((await node.getNetwork()).chainId), loa: 'substantial', attributes,
}, null, 2) + '\n', { mode: 0o600 });
console.log(`${address} ${deployed.blockNumber}`);
