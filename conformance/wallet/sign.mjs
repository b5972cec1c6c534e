// The `sign` kind of the wallet protocol (docs/wallet-protocol.md §10) for
// the npm-only wallet: per item of a sign request document, the JAdES
// protected header (docs/signing.md), its ES256K signature (ECDSA over
// SHA-256 on secp256k1, r||s; RFC 8812) and the EIP-712 SignedDigest the
// ledger records. Only off-the-shelf parts: ethers (secp256k1, EIP-712,
// checksums) and node's crypto (SHA-256).
import { SigningKey, getAddress, getBytes } from 'ethers';
import { createHash } from 'node:crypto';

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');

// Whole seconds, UTC, "Z" (JAdES sigT).
export function jadesTime(unixSeconds) {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The protected header (base64url of its JSON) for `item` of `req`.
export function protectedHeader(req, item, wallet, signedAt) {
  const pub = getBytes(wallet.signingKey.publicKey);  // 0x04 || x || y
  const chainId = String(req.domain.chainId);
  const header = {
    alg: 'ES256K',
    jwk: { kty: 'EC', crv: 'secp256k1', x: b64u(pub.slice(1, 33)), y: b64u(pub.slice(33, 65)) },
    kid: `eip155:${chainId}:${getAddress(wallet.address)}`,
    sigT: jadesTime(signedAt),
    sigD: {
      mId: 'http://uri.etsi.org/19182/ObjectIdByURIHash',
      pars: [item.name],
      hashM: item.hashM,
      hashV: [b64u(getBytes(item.digest))],
    },
    crit: ['sigT', 'sigD'],
    certme: { ledger: `eip155:${chainId}:${getAddress(req.domain.verifyingContract)}`, request: req.sign.request },
  };
  return b64u(Buffer.from(JSON.stringify(header), 'utf8'));
}

// ES256K over `protected + "."`: 64 bytes r||s, base64url.
export function es256k(wallet, protectedB64) {
  const digest = createHash('sha256').update(`${protectedB64}.`, 'ascii').digest();
  const sig = new SigningKey(wallet.privateKey).sign(digest);
  return b64u(Buffer.concat([getBytes(sig.r), getBytes(sig.s)]));
}

const signedDigestTypes = { SignedDigest: [
  { name: 'user', type: 'address' }, { name: 'provider', type: 'address' }, { name: 'digest', type: 'bytes32' },
  { name: 'request', type: 'bytes32' }, { name: 'signedAt', type: 'uint256' }] };

// The answer's `signatures` member: one entry per item, in order.
export async function signItems(req, wallet, signedAt = Math.floor(Date.now() / 1000)) {
  const out = [];
  for (const item of req.sign.items) {
    const prot = protectedHeader(req, item, wallet, signedAt);
    const ledgerDigest = '0x' + createHash('sha256').update(prot, 'ascii').digest('hex');
    const ledgerSignature = await wallet.signTypedData(req.domain, signedDigestTypes, {
      user: wallet.address, provider: getAddress(req.consent.provider), digest: ledgerDigest,
      request: req.sign.request, signedAt,
    });
    out.push({ protected: prot, signature: es256k(wallet, prot), ledgerSignature });
  }
  return out;
}
