// Prints the worked example of docs/wallet-protocol.md §9: fixed keys and
// salts, a wallet's answer built with ethers + eciesjs, every digest
// cross-checked against the bridge's C++ code through the interop helpers.
// Signatures are deterministic (RFC 6979); the ECIES payload is not (fresh
// ephemeral key and nonce), so it differs on each run but always decrypts.
//
//   node example.mjs --ecies <ecies_interop> --wallet <wallet_interop>
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { encrypt, PrivateKey } from "eciesjs";
import { Wallet, TypedDataEncoder, keccak256, toUtf8Bytes, AbiCoder, concat, getBytes } from "ethers";

const { values: args } = parseArgs({ options: { ecies: { type: "string" }, wallet: { type: "string" } } });
const run = (bin, ...a) => execFileSync(bin, a, { encoding: "utf8" }).trim();
const same = (a, b, what) => { if (a !== b) throw new Error(`${what}: ${a} != ${b}`); return a; };

const user = new Wallet("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const bridgeKey = PrivateKey.fromHex(keccak256(toUtf8Bytes("certME example bridge key")));
const provider = new Wallet(keccak256(toUtf8Bytes("certME example provider key")));
const registry = new Wallet(keccak256(toUtf8Bytes("certME example registry"))).address;
const domain = { name: "certME", version: "1", chainId: 31337, verifyingContract: registry };
const code = Buffer.from(getBytes(keccak256(toUtf8Bytes("example code")))).toString("base64url");
const nonce = keccak256(toUtf8Bytes("example nonce"));
const expiry = 1767225720;  // 2026-01-01T00:02:00Z
const names = ["first_name", "last_name", "idnp"];
const values = { first_name: "Ion", last_name: "Popescu", idnp: "2001234567890" };
const attrs = names.map((key) => ({ key, value: values[key], salt: keccak256(toUtf8Bytes("salt:" + key)) }));

const request = {
  version: 1, code, nonce, expiry,
  service: { id: "demo-rp", names: { ro: "Serviciu demonstrativ", ru: "Демонстрационный сервис", en: "Demo service" } },
  attributes: names,
  purpose: { ro: "Autentificare", ru: "Аутентификация", en: "Sign-in" },
  bridgeKey: "0x" + bridgeKey.publicKey.toHex(false),
  domain,
  consent: { provider: provider.address, expiry },
};

const commitments = attrs.map((a) => same(
  keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32", "string", "bytes32"],
    [user.address, keccak256(toUtf8Bytes(a.key)), a.value, a.salt])),
  run(args.wallet, "commitment", user.address, a.key, a.value, a.salt), "commitment " + a.key));
const attributesHash = keccak256(concat(commitments));
const loginTypes = { Login: [
  { name: "code", type: "string" }, { name: "nonce", type: "bytes32" }, { name: "service", type: "string" },
  { name: "attributesHash", type: "bytes32" }, { name: "expiry", type: "uint256" }] };
const login = { code, nonce, service: "demo-rp", attributesHash, expiry };
const consentTypes = { Consent: [
  { name: "user", type: "address" }, { name: "provider", type: "address" }, { name: "attrKeys", type: "bytes32[]" },
  { name: "nonce", type: "bytes32" }, { name: "expiry", type: "uint256" }] };
const attrKeys = names.map((n) => same(keccak256(toUtf8Bytes(n)), run(args.wallet, "attribute-key", n), "key " + n));
const consent = { user: user.address, provider: provider.address, attrKeys, nonce, expiry: String(expiry) };
const domainType = [{ name: "name", type: "string" }, { name: "version", type: "string" },
  { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }];
const doc = (types, primaryType, message) =>
  JSON.stringify({ types: { EIP712Domain: domainType, ...types }, primaryType, domain, message });

const loginDigest = same(TypedDataEncoder.hash(domain, loginTypes, login),
  run(args.wallet, "typed-data-digest", doc(loginTypes, "Login", login)), "login digest");
const consentDigest = same(TypedDataEncoder.hash(domain, consentTypes, consent),
  run(args.wallet, "consent-digest", doc(consentTypes, "Consent", consent)), "consent digest");
const loginSignature = await user.signTypedData(domain, loginTypes, login);
const consentSignature = await user.signTypedData(domain, consentTypes, consent);
same(run(args.wallet, "recover", doc(loginTypes, "Login", login), loginSignature), user.address, "login signer");

const plaintext = JSON.stringify(attrs);
const payload = Buffer.from(encrypt(bridgeKey.publicKey.toBytes(false), Buffer.from(plaintext)));
same(Buffer.from(run(args.ecies, "decrypt", bridgeKey.toHex(), payload.toString("hex")), "hex").toString(),
  plaintext, "ECIES round trip");

const answer = { version: 1, code, eid: user.address, loginSignature, consentSignature,
  attributes: payload.toString("base64url") };
console.log(JSON.stringify({
  keys: { userKey: user.privateKey, bridgeKey: "0x" + bridgeKey.toHex(), providerAddress: provider.address, registry },
  request, plaintext, attrKeys, commitments, attributesHash, domainSeparator: TypedDataEncoder.hashDomain(domain),
  loginTypeHash: keccak256(toUtf8Bytes("Login(string code,bytes32 nonce,string service,bytes32 attributesHash,uint256 expiry)")),
  loginStructHash: TypedDataEncoder.hashStruct("Login", loginTypes, login), loginDigest,
  consentStructHash: TypedDataEncoder.hashStruct("Consent", consentTypes, consent), consentDigest,
  answer, payloadHex: payload.toString("hex"),
}, null, 2));
