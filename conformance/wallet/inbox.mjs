// The wallet inbox (docs/wallet-protocol.md §8b) with off-the-shelf npm
// packages only (ethers for EIP-712): proves the eID key over the bridge's
// fresh challenge, reads (waiting up to --wait seconds) the logins a
// service started for this eID (OIDC CIBA), prints each one's binding
// message, and answers the first with login.mjs, exactly as a QR login.
//
// Usage: node inbox.mjs --bridge URL --key 0xPRIVATE --enrollment FILE [--wait S] [--refuse]
//   URL    the bridge's public URL
// Exit 0 when the bridge took the answer; 3 when nothing was pending.
import { Wallet } from 'ethers';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const api = `${arg('bridge').replace(/\/+$/, '')}/wallet/v1`;
const wallet = new Wallet(arg('key'));
const wait = Number(arg('wait') ?? 0);

const got = await fetch(`${api}/inbox/challenge`, { headers: { accept: 'application/json' } });
const challenge = await got.json();
if (got.status !== 200) throw new Error(`challenge: ${got.status} ${JSON.stringify(challenge)}`);
const expiry = Math.floor(Date.now() / 1000) + 60;
const types = { InboxAccess: [
  { name: 'eid', type: 'address' }, { name: 'challenge', type: 'bytes32' }, { name: 'expiry', type: 'uint256' }] };
const signature = await wallet.signTypedData(challenge.domain, types,
  { eid: wallet.address, challenge: challenge.challenge, expiry });
const res = await fetch(`${api}/inbox`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: JSON.stringify({ version: 1, eid: wallet.address, challenge: challenge.challenge, expiry, signature, wait }),
});
const inbox = await res.json();
if (res.status !== 200) throw new Error(`inbox: ${res.status} ${JSON.stringify(inbox)}`);
if (inbox.requests.length === 0) {
  console.log('no pending requests');
  process.exit(3);
}
const first = inbox.requests[0];
if (first.binding_message) console.log(`binding message: ${first.binding_message}`);
const argv = [path.join(import.meta.dirname, 'login.mjs'), '--link', `${api}/l/${first.document.code}`,
  '--key', arg('key'), '--enrollment', arg('enrollment')];
if (process.argv.includes('--refuse')) argv.push('--refuse');
process.stdout.write(execFileSync(process.execPath, argv, { encoding: 'utf8' }));
