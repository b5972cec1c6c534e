// Byte-exactness of the encodings the ledger shares with Ethereum tooling:
// ABI, EIP-712, commitments, selectors, CREATE addresses, transactions.
// Expected values come from the EIP-712 specification's example and from
// ethers v6 (TypedDataEncoder, signTypedData, AbiCoder, getCreateAddress)
// run once on the same inputs.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/ledger.h"
#include "ledger-client/registry_abi.h"
#include "ledger-client/transaction.h"

namespace certme {
namespace {

using nlohmann::json;

std::string H(const Bytes32& b) { return "0x" + HexEncode(abi::AsView(b)); }
std::string H(std::string_view b) { return "0x" + HexEncode(b); }
Bytes32 B32(std::string_view hex) { return abi::ToBytes32(*HexDecode(hex)); }
std::string A(std::string_view text) { return *ParseAddress(text); }

constexpr char kUserKey[] = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

// ---------------------------------------------------------------- ABI

TEST(AbiTest, EncodesDynamicArraysLikeSolidity) {
  std::string enc = abi::Encoder()
                        .Address(A("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"))
                        .Bytes32Array({Keccak256("a")})
                        .Bytes32Array({Keccak256("b")})
                        .Uint(2)
                        .Encode();
  EXPECT_EQ(H(enc),
            "0x0000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23"
            "0000000000000000000000000000000000000000000000000000000000000080"
            "00000000000000000000000000000000000000000000000000000000000000c0"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "3ac225168df54212a25c1c01fd35bebfea408fdac2e31ddd6f80a4bbf9a5f1cb"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "b5553de315e0edf504d9150af82dafa5c4667fa618ed0a6f19c69b41166c5510");
}

TEST(AbiTest, EncodesBytesAndStringsWithPadding) {
  std::string enc = abi::Encoder().Uint(5).Bytes(std::string("\x01\x02", 2)).String("certME \xc3\xa9").Encode();
  EXPECT_EQ(H(enc),
            "0x0000000000000000000000000000000000000000000000000000000000000005"
            "0000000000000000000000000000000000000000000000000000000000000060"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "0000000000000000000000000000000000000000000000000000000000000002"
            "0102000000000000000000000000000000000000000000000000000000000000"
            "0000000000000000000000000000000000000000000000000000000000000009"
            "636572744d4520c3a90000000000000000000000000000000000000000000000");
}

TEST(AbiTest, DecoderReadsWhatTheEncoderWrote) {
  std::vector<Bytes32> arr = {Keccak256("x"), Keccak256("y"), Keccak256("z")};
  std::string enc = abi::Encoder().Uint(7).Bytes("hello").Bytes32Array(arr).Address(std::string(20, '\x42')).Encode();
  abi::Decoder d(enc);
  EXPECT_EQ(*d.Uint64(), 7u);
  EXPECT_EQ(*d.Bytes(100), "hello");
  EXPECT_EQ(*d.Bytes32Array(10), arr);
  EXPECT_EQ(*d.Address(), std::string(20, '\x42'));
  abi::Decoder truncated(std::string_view(enc).substr(0, enc.size() - 32));
  EXPECT_TRUE(truncated.Uint64().ok());
  EXPECT_TRUE(truncated.Bytes(100).ok());
  EXPECT_FALSE(truncated.Bytes32Array(10).ok()) << "the array's last item is cut off";
}

TEST(AbiTest, DecoderRefusesMalformedInput) {
  std::string enc = abi::Encoder().Bytes("hello").Encode();
  {
    std::string bad = enc;
    bad[31] = 0x40;  // offset past the data
    EXPECT_FALSE(abi::Decoder(bad).Bytes(100).ok());
  }
  {
    std::string bad = enc;
    bad[63] = 0x7f;  // length past the data
    EXPECT_FALSE(abi::Decoder(bad).Bytes(1000).ok());
  }
  {
    std::string bad = enc;
    bad.back() = 1;  // non-zero padding
    EXPECT_FALSE(abi::Decoder(bad).Bytes(100).ok());
  }
  EXPECT_FALSE(abi::Decoder(enc).Bytes(4).ok()) << "longer than the caller's limit";
  std::string addr = abi::Encoder().Fixed(B32("ff00000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23")).Encode();
  EXPECT_FALSE(abi::Decoder(addr).Address().ok()) << "dirty address padding";
  std::string big = abi::Encoder().Fixed(B32("0000000000000000000000000000000000000000000000010000000000000000")).Encode();
  EXPECT_FALSE(abi::Decoder(big).Uint64().ok());
  std::string loa = abi::Encoder().Uint(256).Encode();
  EXPECT_FALSE(abi::Decoder(loa).Uint8().ok());
  std::string arr = abi::Encoder().Bytes32Array(std::vector<Bytes32>(5)).Encode();
  EXPECT_FALSE(abi::Decoder(arr).Bytes32Array(4).ok());
}

TEST(AbiTest, SelectorsMatchSolidity) {
  EXPECT_EQ(H(abi::Selector("transfer(address,uint256)")), "0xa9059cbb");
  EXPECT_EQ(H(abi::Selector(RegistryMethodSignature(RegistryMethod::kRequestValidation))), "0xebd8d3f2");
}

TEST(AbiTest, CommitmentMatchesSolidityAbiEncode) {
  auto user = EthKey::FromHex(kUserKey);
  ASSERT_TRUE(user.ok());
  Bytes32 c = AttributeCommitment(user->address(), AttributeKey("first_name"), "Ion", B32(std::string(64, '2')));
  EXPECT_EQ(H(c), "0x2094a4b5f7b82bf4c6e6afc3902e8906a06fb271a611d370b414595e92ef072d");
  // Any change of user, key, value or salt changes it.
  EXPECT_NE(AttributeCommitment(std::string(20, '\1'), AttributeKey("first_name"), "Ion", B32(std::string(64, '2'))), c);
  EXPECT_NE(AttributeCommitment(user->address(), AttributeKey("last_name"), "Ion", B32(std::string(64, '2'))), c);
  EXPECT_NE(AttributeCommitment(user->address(), AttributeKey("first_name"), "ion", B32(std::string(64, '2'))), c);
  EXPECT_NE(AttributeCommitment(user->address(), AttributeKey("first_name"), "Ion", B32(std::string(64, '3'))), c);
}

TEST(AbiTest, CreateAddressMatchesEthereum) {
  auto user = EthKey::FromHex(kUserKey);
  EXPECT_EQ(ChecksumAddress(CreateAddress(user->address(), 0)), "0xc0AAe1EdD7A76C8cf99E5bA3cA69599eD29540ea");
  // Well-known: the first contract anvil's account 0 deploys.
  EXPECT_EQ(ChecksumAddress(CreateAddress(A("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), 0)),
            "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  EXPECT_NE(CreateAddress(user->address(), 1), CreateAddress(user->address(), 0));
  EXPECT_NE(CreateAddress(user->address(), 300), CreateAddress(user->address(), 1));
}

TEST(AbiTest, EmbeddedRegistryAddressIsNoContractsAddress) {
  const std::string admin(20, '\x42');
  const std::string a = EmbeddedRegistryAddress(admin, 31337);
  ASSERT_EQ(a.size(), 20u);
  // keccak256("certME embedded registry" ‖ uint256(31337) ‖ admin)[12:]
  std::string pre = std::string("certME embedded registry") + std::string(30, '\0') + "\x7a\x69" + admin;
  const Bytes32 h = Keccak256(pre);
  EXPECT_EQ(a, std::string(reinterpret_cast<const char*>(h.data()) + 12, 20));
  EXPECT_NE(a, CreateAddress(admin, 0));
  EXPECT_NE(a, EmbeddedRegistryAddress(admin, 31338));
  EXPECT_NE(a, EmbeddedRegistryAddress(std::string(20, '\x43'), 31337));
}

// ---------------------------------------------------------------- calls and transactions

TEST(RegistryAbiTest, EveryCallRoundTrips) {
  std::vector<std::string> calls = {
      InitializeCall(std::string(20, '\1')),
      AccountCall(RegistryMethod::kAddValidator, std::string(20, '\2')),
      AccountCall(RegistryMethod::kRevokeEid, std::string(20, '\3')),
      IssueEidCall(std::string(20, '\4'), {Keccak256("a"), Keccak256("b")}, {Keccak256("c"), Keccak256("d")}, 2,
                   1700000600, std::string(65, '\10')),
      AccountCall(RegistryMethod::kProposeAdmin, std::string(20, '\11')),
      EncodeCall(RegistryCall{.method = RegistryMethod::kAcceptAdmin}),
      EncodeCall(RegistryCall{.method = RegistryMethod::kMoveEid, .account = std::string(20, '\12'),
                              .validator = std::string(20, '\13')}),
      EncodeCall(RegistryCall{.method = RegistryMethod::kReattestEid, .account = std::string(20, '\14'),
                              .attr_keys = {Keccak256("a")}, .commitments = {Keccak256("c")}, .loa = 3}),
      UpdateAttributesCall(std::string(20, '\5'), {Keccak256("a")}, {Keccak256("c")}),
      RequestValidationCall(std::string(20, '\6'), {Keccak256("a")}, Keccak256("n"), 1700000000, std::string(65, '\7')),
      AnswerValidationCall(42, {Keccak256("c")}, 3),
      PruneExpiredCall(std::string(20, '\10'), 256),
  };
  for (const auto& data : calls) {
    auto c = DecodeCall(data);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(EncodeCall(*c), data);
  }
  auto issue = DecodeCall(calls[3]);
  EXPECT_EQ(issue->expiry, 1700000600u) << "the enrolment's deadline";
  EXPECT_EQ(issue->signature, std::string(65, '\10'));
  EXPECT_EQ(DecodeCall(calls[6])->validator, std::string(20, '\13'));
  auto r = DecodeCall(calls[9]);
  EXPECT_EQ(r->method, RegistryMethod::kRequestValidation);
  EXPECT_EQ(r->expiry, 1700000000u);
  EXPECT_EQ(r->signature, std::string(65, '\7'));
  auto p = DecodeCall(calls.back());
  EXPECT_EQ(p->method, RegistryMethod::kPruneExpired);
  EXPECT_EQ(p->account, std::string(20, '\10'));
  EXPECT_EQ(p->count, 256u);
  std::string huge = calls.back();
  huge[4 + 32 + 24] = '\x80';  // count 2^63 + 256
  EXPECT_EQ(LedgerErrorOf(DecodeCall(huge).status()), LedgerErrorCode::kBadCalldata);
}

TEST(RegistryAbiTest, RefusesUnknownSelectorsAndNonCanonicalBytes) {
  EXPECT_EQ(LedgerErrorOf(DecodeCall("\x01\x02\x03\x04").status()), LedgerErrorCode::kBadCalldata);
  EXPECT_EQ(LedgerErrorOf(DecodeCall("ab").status()), LedgerErrorCode::kBadCalldata);
  std::string ok = AccountCall(RegistryMethod::kAddValidator, std::string(20, '\2'));
  EXPECT_EQ(LedgerErrorOf(DecodeCall(ok + std::string(32, '\0')).status()), LedgerErrorCode::kBadCalldata)
      << "trailing bytes";
  std::vector<Bytes32> many(kMaxAttributesPerCall + 1, Keccak256("k"));
  EXPECT_EQ(LedgerErrorOf(DecodeCall(IssueEidCall(std::string(20, '\4'), many, many, 2, 1, "")).status()),
            LedgerErrorCode::kBadCalldata);
}

TEST(TransactionTest, SignsVerifiesAndRoundTrips) {
  EthKey k = EthKey::Generate();
  SignedTransaction tx = SignTransaction(k, 31337, std::string(20, '\x11'), 3, AnswerValidationCall(1, {}, 2));
  EXPECT_TRUE(VerifyTransactionSignature(tx).ok());
  auto back = DecodeTransaction(EncodeTransaction(tx));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->chain_id, 31337u);
  EXPECT_EQ(back->from, k.address());
  EXPECT_EQ(back->nonce, 3u);
  EXPECT_EQ(back->calldata, tx.calldata);
  EXPECT_EQ(back->signature.rsv, tx.signature.rsv);
  EXPECT_EQ(TransactionHash(*back), TransactionHash(tx));
  // Every signed field is bound.
  for (int field = 0; field < 4; ++field) {
    SignedTransaction t = tx;
    if (field == 0) t.chain_id = 1;
    if (field == 1) t.registry[0] ^= 1;
    if (field == 2) t.nonce = 4;
    if (field == 3) t.calldata.back() ^= 1;
    EXPECT_EQ(LedgerErrorOf(VerifyTransactionSignature(t)), LedgerErrorCode::kBadSignature) << "field " << field;
  }
  SignedTransaction claimed = tx;
  claimed.from = EthKey::Generate().address();
  EXPECT_EQ(LedgerErrorOf(VerifyTransactionSignature(claimed)), LedgerErrorCode::kBadSignature);
  EXPECT_FALSE(DecodeTransaction(EncodeTransaction(tx) + "x").ok());
  EXPECT_FALSE(DecodeTransaction("").ok());
}

// ---------------------------------------------------------------- EIP-712

json MailDocument() {
  return json::parse(R"({
    "types": {
      "EIP712Domain": [{"name":"name","type":"string"},{"name":"version","type":"string"},
                       {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
      "Person": [{"name":"name","type":"string"},{"name":"wallet","type":"address"}],
      "Mail": [{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]
    },
    "primaryType": "Mail",
    "domain": {"name":"Ether Mail","version":"1","chainId":1,
               "verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
    "message": {"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
                "to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
                "contents":"Hello, Bob!"}
  })");
}

// The example of EIP-712 (its Example.js and the published digest).
TEST(Eip712Test, MailExampleFromTheSpecification) {
  json doc = MailDocument();
  EXPECT_EQ(*Eip712EncodeType(doc["types"], "Mail"),
            "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
  EXPECT_EQ(H(Keccak256(*Eip712EncodeType(doc["types"], "Mail"))),
            "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");
  EXPECT_EQ(H(*Eip712HashStruct(doc["types"], "Mail", doc["message"])),
            "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
  Eip712Domain d{"Ether Mail", "1", 1, A("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")};
  EXPECT_EQ(H(DomainSeparator(d)), "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
  auto digest = TypedDataDigest(doc);
  ASSERT_TRUE(digest.ok()) << digest.status().ToString();
  EXPECT_EQ(H(*digest), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

  // The spec's signature by keccak256("cow"): v=28, r=0x4355c47d…, s=0x07299936….
  EthKey cow = *EthKey::FromPrivateKey(std::string(abi::AsView(Keccak256("cow"))));
  EXPECT_EQ(cow.AddressHex(), "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826");
  EXPECT_EQ(cow.SignDigest(*digest).ToHex(),
            "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
            "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c");
  EXPECT_EQ(*RecoverAddress(*digest, *EthSignature::FromHex(cow.SignDigest(*digest).ToHex())), cow.address());
}

TEST(Eip712Test, DomainTypeIsDerivedWhenAbsentAsEthersDoes) {
  json doc = MailDocument();
  doc["types"].erase("EIP712Domain");
  EXPECT_EQ(H(*TypedDataDigest(doc)), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
}

Consent VectorConsent() {
  Consent c;
  c.user = EthKey::FromHex(kUserKey)->address();
  c.provider = A("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  c.attr_keys = {AttributeKey("first_name"), AttributeKey("idnp")};
  c.nonce = B32(std::string(64, '1'));
  c.expiry = 1700000600;
  return c;
}

Eip712Domain VectorDomain() {
  Eip712Domain d;
  d.chain_id = 31337;
  d.verifying_contract = A("0x5FbDB2315678afecb367f032d93F642f64180aa3");
  return d;
}

// Computed with ethers v6: TypedDataEncoder.hash and Wallet.signTypedData.
TEST(Eip712Test, ConsentMatchesEthersSignTypedData) {
  const Consent c = VectorConsent();
  const Eip712Domain d = VectorDomain();
  EXPECT_EQ(H(ConsentDigest(d, c)), "0xe795e9ac4fc624b3b5b96df5529c8eae6a9ed3cdcc2d816e9f76b2aaeaf06ad0");
  EXPECT_EQ(*TypedDataDigest(ConsentTypedData(d, c)), ConsentDigest(d, c));
  EthKey user = *EthKey::FromHex(kUserKey);
  EXPECT_EQ(SignConsent(user, d, c).ToHex(),
            "0x87ebb6ab85bcbd2bdcc1c50c8193c01a10f0ef36320141d5726f10975042e766"
            "0c7fb13c72bf32ecdf533a8e02ff4d9b4c3d9fb477dc832cb72d55e520d68bd41b");
  auto ethers_sig = EthSignature::FromHex(
      "0x87ebb6ab85bcbd2bdcc1c50c8193c01a10f0ef36320141d5726f10975042e766"
      "0c7fb13c72bf32ecdf533a8e02ff4d9b4c3d9fb477dc832cb72d55e520d68bd41b");
  EXPECT_EQ(*RecoverConsentSigner(d, c, *ethers_sig), user.address());
}

TEST(Eip712Test, EveryConsentFieldAndDomainFieldChangesTheDigest) {
  const Consent c = VectorConsent();
  const Eip712Domain d = VectorDomain();
  const Bytes32 base = ConsentDigest(d, c);
  std::vector<Consent> variants(7, c);
  variants[0].user[0] ^= 1;
  variants[1].provider[0] ^= 1;
  variants[2].attr_keys.pop_back();
  std::swap(variants[3].attr_keys[0], variants[3].attr_keys[1]);
  variants[4].attr_keys.push_back(AttributeKey("birth_date"));
  variants[5].nonce[0] ^= 1;
  variants[6].expiry += 1;
  for (size_t i = 0; i < variants.size(); ++i) EXPECT_NE(ConsentDigest(d, variants[i]), base) << "variant " << i;
  Eip712Domain other = d;
  other.chain_id = 1;
  EXPECT_NE(ConsentDigest(other, c), base);
  other = d;
  other.verifying_contract[19] ^= 1;
  EXPECT_NE(ConsentDigest(other, c), base);
  other = d;
  other.version = "2";
  EXPECT_NE(ConsentDigest(other, c), base);
}

// The direct Enrolment hash equals the generic typed-data algorithm's over
// the document a wallet signs, and every field is covered.
TEST(Eip712Test, EnrolmentDigestMatchesTypedDataAndCoversEveryField) {
  const Eip712Domain d = VectorDomain();
  Enrolment e{A("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), A("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
              {AttributeKey("idnp"), AttributeKey("first_name")}, {Keccak256("c1"), Keccak256("c2")}, 2, 1700000600};
  EXPECT_EQ(*TypedDataDigest(EnrolmentTypedData(d, e)), EnrolmentDigest(d, e));
  const Bytes32 base = EnrolmentDigest(d, e);
  std::vector<Enrolment> variants(7, e);
  variants[0].user[0] ^= 1;
  variants[1].validator[0] ^= 1;
  std::swap(variants[2].attr_keys[0], variants[2].attr_keys[1]);
  variants[3].commitments[1][0] ^= 1;
  variants[4].loa = 3;
  variants[5].deadline += 1;
  variants[6].commitments.pop_back();
  for (size_t i = 0; i < variants.size(); ++i) EXPECT_NE(EnrolmentDigest(d, variants[i]), base) << "variant " << i;
  EthKey user = *EthKey::FromHex(kUserKey);
  e.user = user.address();
  EXPECT_EQ(*RecoverEnrolmentSigner(d, e, SignEnrolment(user, d, e)), user.address());
}

TEST(Eip712Test, GenericHashingChecksValuesAgainstTypes) {
  json types = {{"T", {{{"name", "v"}, {"type", "uint8"}}}}};
  EXPECT_TRUE(Eip712HashStruct(types, "T", {{"v", 255}}).ok());
  EXPECT_FALSE(Eip712HashStruct(types, "T", {{"v", 256}}).ok());
  EXPECT_FALSE(Eip712HashStruct(types, "T", {{"v", -1}}).ok());
  EXPECT_FALSE(Eip712HashStruct(types, "T", {{"v", "abc"}}).ok());
  EXPECT_FALSE(Eip712HashStruct(types, "T", json::object()).ok()) << "missing member";
  json itypes = {{"T", {{{"name", "v"}, {"type", "int8"}}}}};
  EXPECT_TRUE(Eip712HashStruct(itypes, "T", {{"v", -128}}).ok());
  EXPECT_FALSE(Eip712HashStruct(itypes, "T", {{"v", -129}}).ok());
  EXPECT_FALSE(Eip712HashStruct(itypes, "T", {{"v", 128}}).ok());
  // Decimal, hex and number spellings of one value hash alike.
  json u = {{"T", {{{"name", "v"}, {"type", "uint256"}}}}};
  EXPECT_EQ(*Eip712HashStruct(u, "T", {{"v", 1000}}), *Eip712HashStruct(u, "T", {{"v", "1000"}}));
  EXPECT_EQ(*Eip712HashStruct(u, "T", {{"v", "0x3e8"}}), *Eip712HashStruct(u, "T", {{"v", "1000"}}));
  EXPECT_FALSE(Eip712HashStruct(u, "T", {{"v", std::string(79, '9')}}).ok()) << "above 2^256";
  json b = {{"T", {{{"name", "v"}, {"type", "bytes4"}}}}};
  EXPECT_TRUE(Eip712HashStruct(b, "T", {{"v", "0x01020304"}}).ok());
  EXPECT_FALSE(Eip712HashStruct(b, "T", {{"v", "0x010203"}}).ok());
  json fixed = {{"T", {{{"name", "v"}, {"type", "bool[2]"}}}}};
  EXPECT_TRUE(Eip712HashStruct(fixed, "T", {{"v", {true, false}}}).ok());
  EXPECT_FALSE(Eip712HashStruct(fixed, "T", {{"v", {true}}}).ok());
  json unknown = {{"T", {{{"name", "v"}, {"type", "uint7"}}}}};
  EXPECT_FALSE(Eip712HashStruct(unknown, "T", {{"v", 1}}).ok());
  // A self-referencing type is legal, but nesting is bounded.
  json rec = {{"Node", {{{"name", "next"}, {"type", "Node[]"}}}}};
  json deep = {{"next", json::array()}};
  for (int i = 0; i < 40; ++i) deep = {{"next", {deep}}};
  EXPECT_FALSE(Eip712HashStruct(rec, "Node", deep).ok());
  EXPECT_TRUE(Eip712HashStruct(rec, "Node", {{"next", json::array()}}).ok());
}

// ---------------------------------------------------------------- disclosure check

TEST(DisclosureTest, AcceptsOnlyAnExactMatchOfTheRequestedAttributes) {
  EthKey user = EthKey::Generate();
  std::vector<DisclosedAttribute> attrs = {{"first_name", "Ion", Keccak256("s1")}, {"idnp", "2001234567890", Keccak256("s2")}};
  std::vector<Bytes32> keys, commitments;
  for (const auto& a : attrs) {
    keys.push_back(AttributeKey(a.name));
    commitments.push_back(AttributeCommitment(user.address(), keys.back(), a.value, a.salt));
  }
  EXPECT_TRUE(CheckDisclosure(user.address(), attrs, keys, commitments).ok());
  std::vector<DisclosedAttribute> reordered = {attrs[1], attrs[0]};
  EXPECT_TRUE(CheckDisclosure(user.address(), reordered, keys, commitments).ok());

  auto changed = attrs;
  changed[1].value = "2001234567891";
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), changed, keys, commitments)), LedgerErrorCode::kCommitmentMismatch);
  changed = attrs;
  changed[0].value = "Ion ";
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), changed, keys, commitments)), LedgerErrorCode::kCommitmentMismatch);
  changed = attrs;
  changed[0].salt[0] ^= 1;
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), changed, keys, commitments)), LedgerErrorCode::kCommitmentMismatch);
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(EthKey::Generate().address(), attrs, keys, commitments)),
            LedgerErrorCode::kCommitmentMismatch) << "another user's data";
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), {attrs[0]}, keys, commitments)), LedgerErrorCode::kMissingAttribute);
  auto extra = attrs;
  extra.push_back({"gender", "1", Keccak256("s3")});
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), extra, keys, commitments)), LedgerErrorCode::kUnexpectedAttribute);
  auto twice = attrs;
  twice.push_back(attrs[0]);
  EXPECT_EQ(LedgerErrorOf(CheckDisclosure(user.address(), twice, keys, commitments)), LedgerErrorCode::kUnexpectedAttribute);
}

// ---------------------------------------------------------------- signature records

SignedDigest VectorSignedDigest() {
  SignedDigest d;
  d.user = EthKey::FromHex(kUserKey)->address();
  d.provider = A("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
  d.digest = B32(std::string(64, '2'));
  d.request = B32(std::string(64, '3'));
  d.signed_at = 1700000000;
  return d;
}

// Computed with ethers v6 (TypedDataEncoder.hash, Wallet.signTypedData) on
// the types {SignedDigest: [user address, provider address, digest bytes32,
// request bytes32, signedAt uint256]} and the vector domain.
TEST(Eip712Test, SignedDigestMatchesEthersSignTypedData) {
  const SignedDigest sd = VectorSignedDigest();
  const Eip712Domain d = VectorDomain();
  EXPECT_EQ(H(SignedDigestDigest(d, sd)), "0xab6bc913588479ce017e6fd0ef2b29f4aad47cd939616243b99ed443f0cc1fd5");
  EXPECT_EQ(*TypedDataDigest(SignedDigestTypedData(d, sd)), SignedDigestDigest(d, sd));
  EXPECT_EQ(*Eip712EncodeType(SignedDigestTypedData(d, sd)["types"], "SignedDigest"), kSignedDigestType);
  constexpr char kEthersSig[] =
      "0x337e6be0e9a4334b0986e29dd3379d69ca319c622f156b94aacd9717f872cadd"
      "212b06e6ef6ae9c87b9662200d8be98aeed1a844977bb4ea396ed0b402d54c101c";
  EthKey user = *EthKey::FromHex(kUserKey);
  EXPECT_EQ(SignSignedDigest(user, d, sd).ToHex(), kEthersSig);
  EXPECT_EQ(*RecoverSignedDigestSigner(d, sd, *EthSignature::FromHex(kEthersSig)), user.address());
}

TEST(Eip712Test, EverySignedDigestFieldChangesTheDigest) {
  const SignedDigest sd = VectorSignedDigest();
  const Eip712Domain d = VectorDomain();
  const Bytes32 base = SignedDigestDigest(d, sd);
  std::vector<SignedDigest> variants(5, sd);
  variants[0].user[0] ^= 1;
  variants[1].provider[0] ^= 1;
  variants[2].digest[31] ^= 1;
  variants[3].request[0] ^= 1;
  variants[4].signed_at += 1;
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(SignedDigestDigest(d, variants[i]), base) << "variant " << i;
    EXPECT_EQ(*TypedDataDigest(SignedDigestTypedData(d, variants[i])), SignedDigestDigest(d, variants[i]));
  }
  Eip712Domain other = d;
  other.chain_id = 1;
  EXPECT_NE(SignedDigestDigest(other, sd), base);
  // Not interchangeable with the other certME types over the same words.
  EXPECT_NE(SignedDigestStructHash(sd), ConsentStructHash(VectorConsent()));
}

// The calldata ethers' AbiCoder writes for the same call.
TEST(RegistryAbiTest, RecordSignaturesMatchesEthersAndRoundTrips) {
  const std::string user = EthKey::FromHex(kUserKey)->address();
  const std::string sig(65, '\xab');
  const std::string data =
      RecordSignaturesCall(user, B32(std::string(64, '3')), 1700000000, {B32(std::string(64, '2'))}, {sig});
  EXPECT_EQ(H(abi::Selector(RegistryMethodSignature(RegistryMethod::kRecordSignatures))), "0xd5147fc4");
  EXPECT_EQ(H(data),
            "0xd5147fc4"
            "0000000000000000000000002c7536e3605d9c16a7a3d7b1898e529396a65c23"
            "3333333333333333333333333333333333333333333333333333333333333333"
            "000000000000000000000000000000000000000000000000000000006553f100"
            "00000000000000000000000000000000000000000000000000000000000000a0"
            "00000000000000000000000000000000000000000000000000000000000000e0"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "2222222222222222222222222222222222222222222222222222222222222222"
            "0000000000000000000000000000000000000000000000000000000000000001"
            "0000000000000000000000000000000000000000000000000000000000000020"
            "0000000000000000000000000000000000000000000000000000000000000041"
            "abababababababababababababababababababababababababababababababab"
            "abababababababababababababababababababababababababababababababab"
            "ab00000000000000000000000000000000000000000000000000000000000000");
  auto c = DecodeCall(data);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->method, RegistryMethod::kRecordSignatures);
  EXPECT_EQ(c->account, user);
  EXPECT_EQ(c->sign_request, B32(std::string(64, '3')));
  EXPECT_EQ(c->signed_at, 1700000000u);
  ASSERT_EQ(c->digests.size(), 1u);
  EXPECT_EQ(c->signatures, std::vector<std::string>{sig});
  EXPECT_EQ(EncodeCall(*c), data);

  // Bounds: entries per call, bytes per signature, a time of 63 bits.
  std::vector<Bytes32> many(kMaxSignaturesPerCall + 1, Keccak256("d"));
  std::vector<std::string> sigs(kMaxSignaturesPerCall + 1, sig);
  EXPECT_EQ(LedgerErrorOf(DecodeCall(RecordSignaturesCall(user, {}, 1, many, {sig})).status()),
            LedgerErrorCode::kBadCalldata);
  EXPECT_EQ(LedgerErrorOf(DecodeCall(RecordSignaturesCall(user, {}, 1, {many[0]}, sigs)).status()),
            LedgerErrorCode::kBadCalldata);
  EXPECT_EQ(LedgerErrorOf(DecodeCall(RecordSignaturesCall(user, {}, 1, {many[0]}, {sig + "x"})).status()),
            LedgerErrorCode::kBadCalldata);
  EXPECT_EQ(LedgerErrorOf(DecodeCall(RecordSignaturesCall(user, {}, uint64_t{1} << 63, {many[0]}, {sig})).status()),
            LedgerErrorCode::kBadCalldata);
  many.pop_back();
  sigs.pop_back();
  EXPECT_TRUE(DecodeCall(RecordSignaturesCall(user, {}, 1, many, sigs)).ok()) << "the largest call";
}

TEST(LedgerErrorTest, NamesRoundTripAndMapToStatusCodes) {
  Status s = LedgerError(LedgerErrorCode::kNoConsent, "no signature");
  EXPECT_EQ(s.message(), "NoConsent: no signature");
  EXPECT_EQ(s.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LedgerErrorOf(s), LedgerErrorCode::kNoConsent);
  EXPECT_EQ(LedgerError(LedgerErrorCode::kNotAuthorized, "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(LedgerError(LedgerErrorCode::kUnknownRequest, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(LedgerErrorOf(Internal("Whatever: x")), std::nullopt);
  EXPECT_EQ(LedgerErrorOf(Status()), std::nullopt);
  Status signed_twice = LedgerError(LedgerErrorCode::kAlreadySigned, "x");
  EXPECT_EQ(signed_twice.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(LedgerErrorOf(signed_twice), LedgerErrorCode::kAlreadySigned);
  EXPECT_EQ(std::string(LedgerErrorName(LedgerErrorCode::kAlreadySigned)), "AlreadySigned");
}

}  // namespace
}  // namespace certme
