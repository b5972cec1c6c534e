// The independent check of docs/signing.md ("JAdES profile"), runnable:
//   node verify_example.mjs DOCUMENT SIGNATURE.json
// Exit status 0 when the signature is valid for the document.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const [documentPath, signaturePath] = process.argv.slice(2);
const jws = JSON.parse(readFileSync(signaturePath, 'utf8'));
const header = jose.decodeProtectedHeader(jws);
// The profile: ES256K, both JAdES members critical, nothing else critical.
if (header.alg !== 'ES256K' || [...header.crit].sort().join() !== 'sigD,sigT' || jws.payload !== '')
  throw new Error('not a certME JAdES signature');
// ES256K (RFC 8812) with the key from the header's jwk, over protected + "." (detached, empty payload).
const key = crypto.createPublicKey({ key: header.jwk, format: 'jwk' });
const valid = crypto.verify('sha256', Buffer.from(jws.protected + '.'), { key, dsaEncoding: 'ieee-p1363' },
                            jose.base64url.decode(jws.signature));
// sigD names the document by its hash.
const algorithm = { S256: 'sha256', S384: 'sha384' }[header.sigD.hashM];
const digest = crypto.createHash(algorithm).update(readFileSync(documentPath)).digest('base64url');
const matches = digest === header.sigD.hashV[0];
console.log({ valid, matches, signer: header.kid, signedAt: header.sigT, document: header.sigD.pars[0] });
process.exit(valid && matches ? 0 : 1);
