// Migration of a version 1 CertMeRegistry to the current contract
// (evm_ledger.h MigrateRegistry; docs/ledger-evm.md "Contract versions").
// The new registry copies state itself, through the old one's views; this
// side only finds which accounts and users to name, from the old one's
// events, and sends the imports in batches.
#include <algorithm>
#include <set>
#include <vector>

#include "ledger-client/abi.h"
#include "ledger-client/evm/codec.h"
#include "ledger-client/evm/sender.h"
#include "ledger-client/evm_ledger.h"

namespace certme {
namespace {

using evm::Addr;
using evm::CallObject;
using nlohmann::json;

// Bounded gas per transaction: an eID import writes up to 2 × 64 + 3 slots.
constexpr size_t kAccountsPerCall = 100;
constexpr size_t kEidsPerCall = 10;

// address[] is encoded as bytes32[] of left-padded addresses.
std::string AddressArrayCall(const char* signature, const std::vector<std::string>& addresses) {
  std::vector<Bytes32> words;
  for (const auto& a : addresses) {
    Bytes32 w{};
    std::copy(a.begin(), a.end(), w.begin() + 12);
    words.push_back(w);
  }
  return abi::Selector(signature) + abi::Encoder().Bytes32Array(words).Encode();
}

StatusOr<std::string> ViewAt(JsonRpcClient& rpc, std::string_view contract, const std::string& calldata) {
  CERTME_ASSIGN_OR_RETURN(RpcAnswer a, rpc.Call("eth_call", json::array({CallObject("", contract, calldata), "latest"})));
  if (a.error) return evm::NodeRefusal("a registry read", *a.error);
  return ParseHexData(a.result, 1 << 20);
}

// Accounts v1's role events name, and users its EidIssued events name.
Status CollectFromEvents(JsonRpcClient& rpc, const EvmLedgerOptions& v1, std::set<std::string>* accounts,
                         std::set<std::string>* users) {
  CERTME_ASSIGN_OR_RETURN(json head_json, rpc.Result("eth_blockNumber", json::array()));
  CERTME_ASSIGN_OR_RETURN(uint64_t head, ParseHexQuantity(head_json));
  const uint64_t range = std::max<uint64_t>(v1.log_block_range, 1);
  for (uint64_t from = v1.from_block; from <= head; from += range) {
    const uint64_t to = std::min(head, from + range - 1);
    json filter = {{"address", HexData(v1.registry)}, {"fromBlock", HexQuantity(from)}, {"toBlock", HexQuantity(to)}};
    CERTME_ASSIGN_OR_RETURN(json logs, rpc.Result("eth_getLogs", json::array({filter})));
    if (!logs.is_array()) return Internal("the ledger node sent malformed logs");
    for (const auto& log : logs) {
      if (log.value("removed", false)) continue;
      auto e = DecodeRegistryLog(log);
      if (!e.ok()) continue;  // not a version 1 registry event
      if (e->kind == EventKind::kValidatorAdded) accounts->insert(e->validator);
      if (e->kind == EventKind::kProviderAdded) accounts->insert(e->provider);
      if (e->kind == EventKind::kEidIssued) users->insert(e->user);
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<RegistryMigration> MigrateRegistry(const EvmLedgerOptions& v1, const EthKey& admin,
                                            std::string_view resume_into) {
  if (v1.registry.size() != 20) return InvalidArgument("the version 1 registry's address is required");
  JsonRpcClient rpc(evm::RpcOptions(v1));
  CERTME_ASSIGN_OR_RETURN(uint64_t chain_id, evm::NodeChainId(rpc, v1.chain_id));
  // Only v1's administrator migrates it, and v1 must be what it claims.
  CERTME_ASSIGN_OR_RETURN(std::string admin_word, ViewAt(rpc, v1.registry, abi::Selector("admin()")));
  abi::Decoder d(admin_word);
  auto v1_admin = d.Address();
  if (!v1_admin.ok()) return FailedPrecondition("no certME registry at " + Addr(v1.registry));
  if (*v1_admin != admin.address())
    return PermissionDenied("the migration is run with the registry administrator's key (" + Addr(*v1_admin) + ")");
  std::set<std::string> accounts, users;
  CERTME_RETURN_IF_ERROR(CollectFromEvents(rpc, v1, &accounts, &users));

  RegistryMigration out;
  EvmLedgerOptions v2 = v1;
  if (resume_into.empty()) {
    CERTME_ASSIGN_OR_RETURN(out.registry, DeployRegistry(v1, admin, admin.address(), v1.registry));
  } else {
    if (resume_into.size() != 20) return InvalidArgument("the registry to resume into must be an address");
    out.registry.address = std::string(resume_into);
  }
  v2.registry = out.registry.address;
  v2.chain_id = chain_id;
  v2.from_block = out.registry.block;
  CERTME_ASSIGN_OR_RETURN(std::string source_word, ViewAt(rpc, v2.registry, abi::Selector("migrationSource()")));
  abi::Decoder sd(source_word);
  auto source = sd.Address();
  if (!source.ok() || *source != v1.registry)
    return FailedPrecondition("the registry at " + Addr(v2.registry) + " is not migrating from " + Addr(v1.registry) +
                              " (or its window is closed)");
  CERTME_ASSIGN_OR_RETURN(std::unique_ptr<EvmLedger> target, EvmLedger::Connect(v2));

  const std::vector<std::string> account_list(accounts.begin(), accounts.end());
  for (size_t i = 0; i < account_list.size(); i += kAccountsPerCall) {
    std::vector<std::string> batch(account_list.begin() + i,
                                   account_list.begin() + std::min(account_list.size(), i + kAccountsPerCall));
    CERTME_RETURN_IF_ERROR(target->Transact(admin, AddressArrayCall("importRoles(address[])", batch)).status());
  }
  out.accounts = account_list.size();
  std::vector<std::string> pending;
  for (const auto& u : users) {
    CERTME_ASSIGN_OR_RETURN(EidStatus here, target->GetEidStatus(u));
    if (here == EidStatus::kNone) pending.push_back(u);  // not imported by an earlier, interrupted run
  }
  for (size_t i = 0; i < pending.size(); i += kEidsPerCall) {
    std::vector<std::string> batch(pending.begin() + i, pending.begin() + std::min(pending.size(), i + kEidsPerCall));
    CERTME_RETURN_IF_ERROR(target->Transact(admin, AddressArrayCall("importEids(address[])", batch)).status());
    out.eids += batch.size();
  }
  CERTME_RETURN_IF_ERROR(target->Transact(admin, abi::Selector("closeMigration()")).status());
  return out;
}

}  // namespace certme
