// Wallet interop suite: what a phone wallet built from off-the-shelf npm
// parts (eciesjs for ECIES, ethers for EIP-712 signatures and keccak) sends
// must be what the bridge's C++ code reads, and the other way round.
//
//   node run.mjs [--only ecies|eip712] --ecies <ecies_interop> --wallet <wallet_interop>
//
// The two helpers are small executables over crypto/ecies.h and
// ledger-client/ (eip712.h, attributes.h). Prints "N passed, M failed";
// exits 1 on any failure, including missing node_modules (never skips).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    only: { type: "string" },
    ecies: { type: "string" },
    wallet: { type: "string" },
  },
});

let ecies, ethers;
try {
  ecies = await import("eciesjs");
  ethers = await import("ethers");
} catch (e) {
  console.error(`wallet interop: npm dependencies missing (${e.message}).`);
  console.error("install them with scripts/deps, or: cd conformance/wallet && npm ci");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
if (!args.ecies || !args.wallet) {
  console.error("usage: node run.mjs [--only ecies|eip712] --ecies <ecies_interop> --wallet <wallet_interop>");
  process.exit(2);
}

let passed = 0, failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${String(e.message).split("\n").join("\n     ")}`);
  }
}
function eq(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, want ${expected}`);
}
// Runs a helper; returns {code, out, err} without throwing on exit 1.
function run(bin, ...argv) {
  try {
    return { code: 0, out: execFileSync(bin, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim(), err: "" };
  } catch (e) {
    return { code: e.status, out: String(e.stdout ?? "").trim(), err: String(e.stderr ?? "").trim() };
  }
}
function ok(bin, ...argv) {
  const r = run(bin, ...argv);
  if (r.code !== 0) throw new Error(`${bin} ${argv[0]} exited ${r.code}: ${r.err}`);
  return r.out;
}
const hex = (u8) => Buffer.from(u8).toString("hex");

// ------------------------------------------------------------------ ECIES
if (!args.only || args.only === "ecies") {
  const sk = new ecies.PrivateKey();
  const pubUncompressed = hex(sk.publicKey.toBytes(false));
  const pubCompressed = hex(sk.publicKey.toBytes(true));
  const sizes = [0, 1, 15, 16, 17, 100, 4096];

  await check("C++ pubkey derivation equals eciesjs", () => {
    eq(ok(args.ecies, "pubkey", sk.toHex()), pubUncompressed, "public key");
  });

  for (const n of sizes) {
    await check(`eciesjs encrypts ${n} bytes → C++ decrypts`, () => {
      const msg = randomBytes(n);
      // Either key form on the sender side yields the same payload format.
      for (const pub of [pubUncompressed, pubCompressed]) {
        const payload = ecies.encrypt(pub, msg);
        eq(payload.length, 97 + n, "payload length");
        eq(ok(args.ecies, "decrypt", sk.toHex(), hex(payload)), hex(msg), "plaintext");
      }
    });
    await check(`C++ encrypts ${n} bytes → eciesjs decrypts`, () => {
      const msg = randomBytes(n);
      for (const pub of [pubUncompressed, pubCompressed]) {
        const payload = Buffer.from(ok(args.ecies, "encrypt", pub, hex(msg)), "hex");
        eq(payload.length, 97 + n, "payload length");
        eq(hex(ecies.decrypt(sk.secret, payload)), hex(msg), "plaintext");
      }
    });
  }

  await check("attribute JSON as the wallet sends it round-trips", () => {
    const attrs = JSON.stringify([
      { key: "first_name", value: "Ștefan", salt: "0x" + hex(randomBytes(32)) },
      { key: "idnp", value: "2001234567890", salt: "0x" + hex(randomBytes(32)) },
    ]);
    const payload = ecies.encrypt(pubUncompressed, Buffer.from(attrs, "utf8"));
    const out = Buffer.from(ok(args.ecies, "decrypt", sk.toHex(), hex(payload)), "hex").toString("utf8");
    eq(out, attrs, "attributes");
  });

  await check("C++ refuses eciesjs payloads with any tampered region", () => {
    const payload = ecies.encrypt(pubUncompressed, Buffer.from("tamper me"));
    // ephemeral key X, nonce, tag, ciphertext
    for (const i of [10, 65, 81, 97, payload.length - 1]) {
      const t = Buffer.from(payload);
      t[i] ^= 1;
      const r = run(args.ecies, "decrypt", sk.toHex(), hex(t));
      eq(r.code, 1, `exit status for byte ${i}`);
    }
    const r = run(args.ecies, "decrypt", sk.toHex(), hex(payload.subarray(0, 96)));
    eq(r.code, 1, "exit status for a truncated payload");
  });

  await check("eciesjs refuses tampered C++ payloads", () => {
    const payload = Buffer.from(ok(args.ecies, "encrypt", pubUncompressed, hex(Buffer.from("x"))), "hex");
    for (const i of [65, 81, 97]) {
      const t = Buffer.from(payload);
      t[i] ^= 1;
      let threw = false;
      try { ecies.decrypt(sk.secret, t); } catch { threw = true; }
      if (!threw) throw new Error(`eciesjs accepted a payload tampered at byte ${i}`);
    }
  });

  await check("a payload for another key is refused", () => {
    const other = new ecies.PrivateKey();
    const payload = ecies.encrypt(other.publicKey.toHex(false), Buffer.from("not for you"));
    eq(run(args.ecies, "decrypt", sk.toHex(), hex(payload)).code, 1, "exit status");
  });
}

// ------------------------------------------------------------------ EIP-712
// The wallet protocol's types (docs/wallet-protocol.md §6): the ledger's
// Consent (ledger-client/eip712.h) and the bridge's Login, both under the
// ledger's domain.
const kLoginTypes = {
  Login: [
    { name: "code", type: "string" },
    { name: "nonce", type: "bytes32" },
    { name: "service", type: "string" },
    { name: "attributesHash", type: "bytes32" },
    { name: "expiry", type: "uint256" },
  ],
};
const kConsentTypes = {
  Consent: [
    { name: "user", type: "address" },
    { name: "provider", type: "address" },
    { name: "attrKeys", type: "bytes32[]" },
    { name: "nonce", type: "bytes32" },
    { name: "expiry", type: "uint256" },
  ],
};
const kDomainType = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
];

function typedData(domain, types, primaryType, message) {
  return JSON.stringify({ types: { EIP712Domain: kDomainType, ...types }, primaryType, domain, message });
}

if (!args.only || args.only === "eip712") {
  const { Wallet, TypedDataEncoder, keccak256, toUtf8Bytes, AbiCoder, concat, hexlify } = ethers;
  const user = Wallet.createRandom();
  const provider = Wallet.createRandom();
  const domain = {
    name: "certME",
    version: "1",
    chainId: 31337,
    verifyingContract: Wallet.createRandom().address,
  };
  const attributes = [
    { key: "first_name", value: "Ion", salt: hexlify(randomBytes(32)) },
    { key: "last_name", value: "Popescu", salt: hexlify(randomBytes(32)) },
    { key: "idnp", value: "2001234567890", salt: hexlify(randomBytes(32)) },
  ];
  const nonce = hexlify(randomBytes(32));
  const expiry = Math.floor(Date.now() / 1000) + 300;

  // commitment = keccak256(abi.encode(address user, bytes32 attrKey, string value, bytes32 salt))
  const commitment = (a) =>
    keccak256(AbiCoder.defaultAbiCoder().encode(
      ["address", "bytes32", "string", "bytes32"],
      [user.address, keccak256(toUtf8Bytes(a.key)), a.value, a.salt]));

  await check("attribute keys: ethers keccak256(name) equals AttributeKey", () => {
    for (const a of attributes)
      eq(ok(args.wallet, "attribute-key", a.key), keccak256(toUtf8Bytes(a.key)), a.key);
  });

  await check("commitments: ethers equals AttributeCommitment", () => {
    for (const a of attributes)
      eq(ok(args.wallet, "commitment", user.address, a.key, a.value, a.salt), commitment(a), a.key);
  });

  const attributesHash = keccak256(concat(attributes.map(commitment)));
  const login = { code: hexlify(randomBytes(8)).slice(2), nonce, service: "demo-rp", attributesHash, expiry };

  await check("Login digest: ethers TypedDataEncoder equals TypedDataDigest", () => {
    const doc = typedData(domain, kLoginTypes, "Login", login);
    eq(ok(args.wallet, "typed-data-digest", doc), TypedDataEncoder.hash(domain, kLoginTypes, login), "digest");
  });

  await check("Login signature by ethers recovers to the wallet's address", async () => {
    const sig = await user.signTypedData(domain, kLoginTypes, login);
    const doc = typedData(domain, kLoginTypes, "Login", login);
    eq(ok(args.wallet, "recover", doc, sig), user.address, "signer");
    // Any change to the signed message changes the signer.
    const forged = typedData(domain, kLoginTypes, "Login", { ...login, service: "other-rp" });
    const r = run(args.wallet, "recover", forged, sig);
    if (r.code === 0 && r.out === user.address) throw new Error("signature still valid for another service");
  });

  const consent = {
    user: user.address,
    provider: provider.address,
    attrKeys: attributes.map((a) => keccak256(toUtf8Bytes(a.key))),
    nonce,
    expiry: String(expiry),
  };

  await check("Consent digest: ethers equals TypedDataDigest and ConsentDigest", () => {
    const doc = typedData(domain, kConsentTypes, "Consent", consent);
    const want = TypedDataEncoder.hash(domain, kConsentTypes, consent);
    eq(ok(args.wallet, "typed-data-digest", doc), want, "generic digest");
    eq(ok(args.wallet, "consent-digest", doc), want, "struct digest");
  });

  await check("Consent signature by ethers recovers to the user", async () => {
    const sig = await user.signTypedData(domain, kConsentTypes, consent);
    eq(ok(args.wallet, "recover", typedData(domain, kConsentTypes, "Consent", consent), sig), user.address, "signer");
    // The same signature under another registry is somebody else's (or nobody's).
    const otherDomain = { ...domain, verifyingContract: Wallet.createRandom().address };
    const r = run(args.wallet, "recover", typedData(otherDomain, kConsentTypes, "Consent", consent), sig);
    if (r.code === 0 && r.out === user.address) throw new Error("consent valid under another registry");
  });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
