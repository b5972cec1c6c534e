// The migration from contract version 1 (the committed v1 artifact,
// ledger-client/contracts/v1/) to the current registry, on anvil: v1 is
// deployed and filled through its own ABI, MigrateRegistry moves it, and
// the new registry holds the same roles and eIDs and serves logins.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/evm/codec.h"
#include "ledger-client/evm/sender.h"
#include "ledger-client/evm_ledger.h"
#include "tests/ledger-client/anvil.h"

namespace certme {
namespace {

using nlohmann::json;

std::string V1CreationCode() {
  std::ifstream in(std::string(CERTME_SOURCE_DIR) + "/ledger-client/contracts/v1/CertMeRegistryV1.bin");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string hex = ss.str();
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
  return HexDecode(hex).value_or("");
}

std::string Sig(const EthSignature& s) { return std::string(reinterpret_cast<const char*>(s.rsv.data()), 65); }

struct V1User {
  EthKey key = EthKey::Generate();
  std::vector<DisclosedAttribute> attrs;
  V1User() {
    attrs = {{"first_name", "Ion", abi::ToBytes32(SystemRandom().Bytes(32))},
             {"idnp", "2001234567890", abi::ToBytes32(SystemRandom().Bytes(32))}};
  }
  std::vector<Bytes32> Keys() const { return {AttributeKey("first_name"), AttributeKey("idnp")}; }
  std::vector<Bytes32> Commitments() const {
    std::vector<Bytes32> c;
    for (const auto& a : attrs) c.push_back(AttributeCommitment(key.address(), AttributeKey(a.name), a.value, a.salt));
    return c;
  }
};

class EvmMigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = Anvil::Start();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    anvil_ = std::move(*a);
    const std::string code = V1CreationCode();
    ASSERT_FALSE(code.empty()) << "the committed v1 bytecode";
    auto d = DeployContract(anvil_->LedgerOptions(), admin_, code + abi::Encoder().Address(admin_.address()).Encode());
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    v1_ = anvil_->LedgerOptions();
    v1_.registry = d->address;
    v1_.from_block = d->block;
    rpc_ = std::make_unique<JsonRpcClient>(evm::RpcOptions(v1_));
    sender_ = std::make_unique<evm::Sender>(*rpc_, v1_, 31337);
  }

  // A transaction to v1 in its own ABI; OK when mined and successful.
  Status V1(const EthKey& from, const std::string& calldata) {
    CERTME_ASSIGN_OR_RETURN(evm::Sender::Mined m, sender_->Send(from, v1_.registry, calldata));
    return m.success ? Status::Ok() : Internal("v1 transaction reverted");
  }
  Status V1Account(const char* fn, const EthKey& from, const std::string& account) {
    return V1(from, abi::Selector(fn) + abi::Encoder().Address(account).Encode());
  }
  Status V1Issue(const EthKey& validator, const V1User& u, uint8_t loa) {
    return V1(validator, abi::Selector("issueEid(address,bytes32[],bytes32[],uint8)") +
                             abi::Encoder().Address(u.key.address()).Bytes32Array(u.Keys()).Bytes32Array(u.Commitments())
                                 .Uint(loa).Encode());
  }

  std::unique_ptr<Anvil> anvil_;
  EthKey admin_ = EthKey::Generate();
  EvmLedgerOptions v1_;
  std::unique_ptr<JsonRpcClient> rpc_;
  std::unique_ptr<evm::Sender> sender_;
};

TEST_F(EvmMigrationTest, VersionOneRegistryIsMigratedWithItsRolesAndEids) {
  EthKey validator = EthKey::Generate(), removed_validator = EthKey::Generate(), provider = EthKey::Generate();
  V1User active, suspended, revoked, of_removed;
  ASSERT_TRUE(V1Account("addValidator(address)", admin_, validator.address()).ok());
  ASSERT_TRUE(V1Account("addValidator(address)", admin_, removed_validator.address()).ok());
  ASSERT_TRUE(V1Account("addProvider(address)", admin_, provider.address()).ok());
  ASSERT_TRUE(V1Issue(validator, active, 3).ok());
  ASSERT_TRUE(V1Issue(validator, suspended, 2).ok());
  ASSERT_TRUE(V1Issue(validator, revoked, 2).ok());
  ASSERT_TRUE(V1Issue(removed_validator, of_removed, 2).ok());
  ASSERT_TRUE(V1Account("suspendEid(address)", admin_, suspended.key.address()).ok());
  ASSERT_TRUE(V1Account("revokeEid(address)", validator, revoked.key.address()).ok());
  ASSERT_TRUE(V1Account("removeValidator(address)", admin_, removed_validator.address()).ok());

  // The current client refuses v1 and says what to do.
  auto old = EvmLedger::Connect(v1_);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("certme ledger migrate"), std::string::npos) << old.status().ToString();

  // Only v1's administrator migrates it.
  EXPECT_EQ(MigrateRegistry(v1_, validator).status().code(), StatusCode::kPermissionDenied);

  auto m = MigrateRegistry(v1_, admin_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->eids, 4u);
  EXPECT_EQ(m->accounts, 3u);
  EvmLedgerOptions v2 = anvil_->LedgerOptions();
  v2.registry = m->registry.address;
  v2.from_block = m->registry.block;
  auto l = EvmLedger::Connect(v2);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  Ledger& L = **l;

  // Roles as they are in v1 (a removed validator stays removed).
  EXPECT_EQ(*L.Admin(), admin_.address());
  EXPECT_TRUE(*L.IsValidator(validator.address()));
  EXPECT_FALSE(*L.IsValidator(removed_validator.address()));
  EXPECT_TRUE(*L.IsProvider(provider.address()));
  // eIDs with validator, status, level, commitments and times.
  auto v1_eid = [&](const V1User& u) {
    auto r = rpc_->Call("eth_call", json::array({evm::CallObject("", v1_.registry,
                                                                 abi::Selector("getEid(address)") +
                                                                     abi::Encoder().Address(u.key.address()).Encode()),
                                                 "latest"}));
    return evm::DecodeEid(u.key.address(), *ParseHexData(r->result, 1 << 20));
  };
  for (const V1User* u : {&active, &suspended, &revoked, &of_removed}) {
    EidRecord before = *v1_eid(*u), after = *L.GetEid(u->key.address());
    EXPECT_EQ(after.validator, before.validator);
    EXPECT_EQ(after.status, before.status);
    EXPECT_EQ(after.loa, before.loa);
    EXPECT_EQ(after.attr_keys, before.attr_keys);
    EXPECT_EQ(after.commitments, u->Commitments());
    EXPECT_EQ(after.issued_at, before.issued_at);
    EXPECT_EQ(after.updated_at, before.updated_at);
  }
  EXPECT_EQ(*L.GetEidStatus(suspended.key.address()), EidStatus::kSuspended);
  EXPECT_EQ(*L.GetEidStatus(revoked.key.address()), EidStatus::kRevoked);
  EventFilter imported;
  imported.kind = EventKind::kEidImported;
  EXPECT_EQ(L.Events(imported)->size(), 4u);

  // The window is closed: nothing more is imported.
  auto again = L.Transact(admin_, abi::Selector("importEids(address[])") + abi::Encoder().Bytes32Array({}).Encode());
  EXPECT_EQ(LedgerErrorOf(again.status()), LedgerErrorCode::kMigrationClosed) << again.status().ToString();
  EXPECT_FALSE(MigrateRegistry(v1_, admin_, m->registry.address).ok()) << "no resume into a closed registry";

  // Logins work on v2: a consent for v2, a request, the answer.
  Consent c{active.key.address(), provider.address(), {AttributeKey("idnp")}, abi::ToBytes32(SystemRandom().Bytes(32)),
            static_cast<uint64_t>(L.Now() + 600)};
  auto id = L.RequestValidation(provider, c, Sig(SignConsent(active.key, L.Domain(), c)));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE(L.AnswerValidation(validator, *id, {active.Commitments()[1]}, 3).ok());
  EXPECT_EQ(L.GetRequest(*id)->status, RequestStatus::kAnswered);
  // A consent signed for v1 is worthless on v2 (another verifying contract).
  Eip712Domain v1_domain = L.Domain();
  v1_domain.verifying_contract = v1_.registry;
  Consent old_consent = c;
  old_consent.nonce = abi::ToBytes32(SystemRandom().Bytes(32));
  EXPECT_EQ(LedgerErrorOf(L.RequestValidation(provider, old_consent,
                                              Sig(SignConsent(active.key, v1_domain, old_consent)))
                              .status()),
            LedgerErrorCode::kBadSignature);
  // The removed validator's user is refused before the nonce, then moved and re-attested.
  Consent c2{of_removed.key.address(), provider.address(), {AttributeKey("idnp")},
             abi::ToBytes32(SystemRandom().Bytes(32)), static_cast<uint64_t>(L.Now() + 600)};
  const std::string sig2 = Sig(SignConsent(of_removed.key, L.Domain(), c2));
  EXPECT_EQ(LedgerErrorOf(L.RequestValidation(provider, c2, sig2).status()), LedgerErrorCode::kValidatorNotAuthorized);
  ASSERT_TRUE(L.MoveEid(admin_, of_removed.key.address(), validator.address()).ok());
  ASSERT_TRUE(L.ReattestEid(validator, of_removed.key.address(), of_removed.Keys(), of_removed.Commitments(), 2).ok());
  auto id2 = L.RequestValidation(provider, c2, sig2);
  ASSERT_TRUE(id2.ok()) << id2.status().ToString();
  EXPECT_TRUE(L.AnswerValidation(validator, *id2, {of_removed.Commitments()[1]}, 2).ok());
}

TEST_F(EvmMigrationTest, AnInterruptedMigrationResumesWithoutDuplicates) {
  EthKey validator = EthKey::Generate();
  ASSERT_TRUE(V1Account("addValidator(address)", admin_, validator.address()).ok());
  V1User a, b;
  ASSERT_TRUE(V1Issue(validator, a, 2).ok());
  ASSERT_TRUE(V1Issue(validator, b, 2).ok());
  // A run that stopped after deploying and importing one eID.
  auto d = DeployRegistry(anvil_->LedgerOptions(), admin_, admin_.address(), v1_.registry);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EvmLedgerOptions v2 = anvil_->LedgerOptions();
  v2.registry = d->address;
  auto l = EvmLedger::Connect(v2);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  Bytes32 word{};
  std::copy(a.key.address().begin(), a.key.address().end(), word.begin() + 12);
  const std::string import_a = abi::Selector("importEids(address[])") + abi::Encoder().Bytes32Array({word}).Encode();
  EXPECT_EQ(LedgerErrorOf((*l)->Transact(validator, import_a).status()), LedgerErrorCode::kNotAuthorized)
      << "only the administrator imports";
  ASSERT_TRUE((*l)->Transact(admin_, import_a).ok());
  EXPECT_EQ(LedgerErrorOf((*l)->Transact(admin_, import_a).status()), LedgerErrorCode::kEidExists);

  auto m = MigrateRegistry(v1_, admin_, d->address);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->eids, 1u) << "only the one not imported yet";
  EXPECT_EQ(*(*l)->GetEidStatus(b.key.address()), EidStatus::kActive);
  EXPECT_EQ((*l)->GetEid(a.key.address())->commitments, a.Commitments());
}

}  // namespace
}  // namespace certme
