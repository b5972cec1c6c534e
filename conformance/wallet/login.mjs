// A certME wallet written only with off-the-shelf npm packages (ethers for
// keccak, commitments and EIP-712; eciesjs for ECIES), logging in at a
// running bridge (docs/wallet-protocol.md §3-§6).
//
// A sign request (kind sign) is answered with the signatures of sign.mjs.
// Usage: node login.mjs --link LINK --key 0xPRIVATE --enrollment FILE [--refuse]
//   LINK   certme://login?u=…&c=… or …/wallet/v1/l/CODE (from the login page)
//   FILE   the validator's enrollment hand-over (`certme validator enroll`):
//          {"attributes": [{"name","value","salt"}], …}
// Prints the bridge's answer; exit 0 when it is {"status":"ok"}.
import { AbiCoder, Wallet, concat, getAddress, keccak256, toUtf8Bytes } from 'ethers';
import { PublicKey, encrypt } from 'eciesjs';
import fs from 'node:fs';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function parseLink(link) {
  if (link.startsWith('certme://login?')) {
    const q = new URLSearchParams(link.slice('certme://login?'.length));
    return { base: q.get('u'), code: q.get('c') };
  }
  const i = link.lastIndexOf('/l/');
  return { base: link.slice(0, i), code: link.slice(i + 3) };
}

const { base, code } = parseLink(arg('link'));
const wallet = new Wallet(arg('key'));
const held = JSON.parse(fs.readFileSync(arg('enrollment'), 'utf8')).attributes;
const url = `${base}/requests/${code}`;

const req = await (await fetch(url, { headers: { accept: 'application/json' } })).json();
if (req.version !== 1 || req.code !== code) throw new Error(`unexpected request: ${JSON.stringify(req)}`);
if (req.expiry <= Date.now() / 1000) throw new Error('request expired');
console.log(`service: ${req.service.names.en ?? req.service.id}; asks for: ${req.attributes.join(', ')}`);

let answer;
if (process.argv.includes('--refuse')) {
  // A refusal is signed by the eID too (§4): only an eID holder can refuse.
  const refusalTypes = { Refusal: [
    { name: 'code', type: 'string' }, { name: 'nonce', type: 'bytes32' }, { name: 'service', type: 'string' }] };
  const refusalSignature = await wallet.signTypedData(req.domain, refusalTypes,
    { code, nonce: req.nonce, service: req.service.id });
  answer = { version: 1, code, refused: true, eid: wallet.address, refusalSignature };
} else {
  const coder = AbiCoder.defaultAbiCoder();
  const plain = req.attributes.map((name) => {
    const a = held.find((h) => h.name === name);
    if (!a) throw new Error(`no attribute ${name}`);
    return { key: name, value: a.value, salt: a.salt.startsWith('0x') ? a.salt : `0x${a.salt}` };
  });
  // Ledger commitment: keccak256(abi.encode(address, bytes32 keccak(name), string value, bytes32 salt)).
  const commitments = plain.map((a) => keccak256(coder.encode(
    ['address', 'bytes32', 'string', 'bytes32'], [wallet.address, keccak256(toUtf8Bytes(a.key)), a.value, a.salt])));
  const attributesHash = keccak256(concat(commitments));
  const domain = req.domain;
  const loginTypes = { Login: [
    { name: 'code', type: 'string' }, { name: 'nonce', type: 'bytes32' }, { name: 'service', type: 'string' },
    { name: 'attributesHash', type: 'bytes32' }, { name: 'expiry', type: 'uint256' }] };
  const loginSignature = await wallet.signTypedData(domain, loginTypes,
    { code, nonce: req.nonce, service: req.service.id, attributesHash, expiry: req.expiry });
  const consentTypes = { Consent: [
    { name: 'user', type: 'address' }, { name: 'provider', type: 'address' }, { name: 'attrKeys', type: 'bytes32[]' },
    { name: 'nonce', type: 'bytes32' }, { name: 'expiry', type: 'uint256' }] };
  const consentSignature = req.consent ? await wallet.signTypedData(domain, consentTypes, {
    user: wallet.address, provider: getAddress(req.consent.provider),
    attrKeys: req.attributes.map((n) => keccak256(toUtf8Bytes(n))), nonce: req.nonce, expiry: req.consent.expiry,
  }) : undefined;
  const sealed = encrypt(PublicKey.fromHex(req.bridgeKey.slice(2)).toBytes(false),
    Buffer.from(JSON.stringify(plain), 'utf8'));
  answer = { version: 1, code, eid: wallet.address, loginSignature, consentSignature,
    attributes: Buffer.from(sealed).toString('base64url') };
  // A sign request (§10): the same identity answer plus one signature per item.
  if (req.kind === 'sign') {
    const { signItems } = await import('./sign.mjs');
    console.log(`signs: ${req.sign.items.map((i) => i.name).join(', ')}`);
    answer.signatures = await signItems(req, wallet);
  }
}

const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify(answer) });
const text = await res.text();
console.log(`${res.status} ${text}`);
process.exit(res.status === 200 ? 0 : 1);
