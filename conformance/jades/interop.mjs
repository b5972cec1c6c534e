// JAdES ES256K interop (crypto/jades.h ↔ code that is not ours): node's
// own ES256K (OpenSSL, RFC 8812: ECDSA on secp256k1 over SHA-256, r||s) and
// npm jose's JWS helpers verify what the C++ code signs, and the C++
// verifier accepts what node signs, high s included. npm jose 6 has no
// ES256K (WebCrypto lacks secp256k1), so the signature itself goes through
// node:crypto with the key imported from the header's jwk.
//
//   node conformance/jades/interop.mjs --helper <build>/tests/crypto/jades_interop
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';

const helperAt = process.argv.indexOf('--helper');
if (helperAt < 0 || !process.argv[helperAt + 1]) {
  console.error('usage: node interop.mjs --helper <path of jades_interop>');
  process.exit(2);
}
const helper = process.argv[helperAt + 1];
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const b64u = (buf) => Buffer.from(buf).toString('base64url');

function newKey() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  return { privateKey, publicKey, skHex: Buffer.from(jwk.d, 'base64url').toString('hex'), pub,
           jwk: { kty: 'EC', crv: 'secp256k1', x: jwk.x, y: jwk.y } };
}

function address(pub) {
  return execFileSync(helper, ['address', pub.toString('hex')], { encoding: 'utf8' }).trim();
}

function cppVerify(flattened) {
  const r = spawnSync(helper, ['verify'], { input: JSON.stringify(flattened), encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

// The profile's header, built here field by field from the design, not by our code.
function header(key, { name, hashM, digest, sigT }) {
  return {
    alg: 'ES256K',
    jwk: key.jwk,
    kid: `eip155:31337:${address(key.pub)}`,
    sigT,
    sigD: { mId: 'http://uri.etsi.org/19182/ObjectIdByURIHash', pars: [name], hashM, hashV: [b64u(digest)] },
    crit: ['sigT', 'sigD'],
    certme: { ledger: 'eip155:31337:0x2DDD27F64fFcBd7799161e2909296972aE1055E0', request: '0x' + '5a'.repeat(32) },
  };
}

function nodeSign(key, hdr) {
  const protectedB64 = b64u(JSON.stringify(hdr));
  const sig = crypto.sign('sha256', Buffer.from(protectedB64 + '.'), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { protected: protectedB64, payload: '', signature: b64u(sig) };
}

function withS(flattened, highS) {
  const sig = Buffer.from(flattened.signature, 'base64url');
  let s = BigInt('0x' + sig.subarray(32).toString('hex'));
  if ((s > N / 2n) !== highS) s = N - s;
  const out = Buffer.concat([sig.subarray(0, 32), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]);
  return { ...flattened, signature: b64u(out) };
}

test('node and jose verify a JAdES the C++ code signed', () => {
  const key = newKey();
  const document = crypto.randomBytes(1000);
  const digest = crypto.createHash('sha256').update(document).digest();
  const name = 'contract nr. 7 — ţară.pdf';
  const out = execFileSync(helper, ['sign', key.skHex, digest.toString('hex'), name, '1796649600'], { encoding: 'utf8' });
  const jws = JSON.parse(out);
  assert.deepEqual(Object.keys(jws).sort(), ['payload', 'protected', 'signature']);
  assert.equal(jws.payload, '');
  const hdr = jose.decodeProtectedHeader(jws);
  assert.equal(hdr.alg, 'ES256K');
  assert.deepEqual([...hdr.crit].sort(), ['sigD', 'sigT']);
  assert.equal(hdr.sigT, '2026-12-07T13:20:00Z');
  assert.equal(hdr.kid, `eip155:31337:${address(key.pub)}`);
  assert.equal(hdr.sigD.mId, 'http://uri.etsi.org/19182/ObjectIdByURIHash');
  assert.deepEqual(hdr.sigD.pars, [name]);
  assert.equal(hdr.sigD.hashM, 'S256');
  // The document's digest, compared by the verifier itself.
  assert.equal(hdr.sigD.hashV[0], b64u(digest));
  const publicKey = crypto.createPublicKey({ key: hdr.jwk, format: 'jwk' });
  const input = Buffer.from(jws.protected + '.');
  const signature = jose.base64url.decode(jws.signature);
  assert.equal(signature.length, 64);
  assert.ok(crypto.verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
  // A signature over another header does not verify.
  const other = Buffer.from(jws.protected.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) + '.');
  assert.ok(!crypto.verify('sha256', other, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature));
});

test('the C++ verifier accepts JAdES node signed (S256, S384, high and low s)', () => {
  const key = newKey();
  for (const hashM of ['S256', 'S384']) {
    const document = crypto.randomBytes(3000);
    const digest = crypto.createHash(hashM === 'S256' ? 'sha256' : 'sha384').update(document).digest();
    const jws = nodeSign(key, header(key, { name: 'report.xlsx', hashM, digest, sigT: '2026-12-07T13:20:05Z' }));
    for (const highS of [false, true]) {
      const r = cppVerify(withS(jws, highS));
      assert.equal(r.status, 0, r.err);
      assert.equal(r.out, `${address(key.pub)} 2026-12-07T13:20:05Z ${hashM} ${digest.toString('hex')} report.xlsx`);
    }
  }
});

test('the C++ verifier refuses a tampered signature and a header outside the profile', () => {
  const key = newKey();
  const digest = crypto.createHash('sha256').update('x').digest();
  const good = header(key, { name: 'a.pdf', hashM: 'S256', digest, sigT: '2026-12-07T13:20:05Z' });
  const jws = nodeSign(key, good);
  const sig = Buffer.from(jws.signature, 'base64url');
  sig[5] ^= 1;
  assert.equal(cppVerify({ ...jws, signature: b64u(sig) }).status, 1);
  // Signed correctly, but with a critical extension nobody here knows.
  assert.equal(cppVerify(nodeSign(key, { ...good, crit: ['sigT', 'sigD', 'exp'], exp: 1 })).status, 1);
  // Signed correctly by another key than the header's jwk names.
  const thief = newKey();
  const forged = nodeSign(thief, good);
  assert.equal(cppVerify(forged).status, 1);
  // An attached payload is not this profile.
  assert.equal(cppVerify({ ...jws, payload: 'eyJ4IjoxfQ' }).status, 1);
});

test('the verification snippet of docs/signing.md accepts the document and refuses another', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jades-'));
  try {
    const key = newKey();
    const document = join(dir, 'contract.pdf');
    writeFileSync(document, crypto.randomBytes(5000));
    const digest = crypto.createHash('sha256').update(readFileSync(document)).digest('hex');
    const signature = join(dir, 'contract.pdf.jades.json');
    writeFileSync(signature, execFileSync(helper, ['sign', key.skHex, digest, 'contract.pdf', '1796649600']));
    const example = new URL('./verify_example.mjs', import.meta.url).pathname;
    const ok = spawnSync(process.execPath, [example, document, signature], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /valid: true/);
    writeFileSync(document, 'another document');
    assert.equal(spawnSync(process.execPath, [example, document, signature]).status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
