#include "ledger-client/configured_ledger.h"

#include "ledger-client/key_file.h"

namespace certme {

StatusOr<EvmLedgerOptions> EvmOptionsFromConfig(const LedgerConfig& c) {
  EvmLedgerOptions o;
  o.rpc_url = c.evm.rpc_url;
  o.chain_id = static_cast<uint64_t>(c.chain_id);
  if (!c.registry_address.empty()) {
    auto a = ParseAddress(c.registry_address);
    if (!a.ok()) return InvalidArgument("ledger.registry_address is not a valid address: " + c.registry_address);
    o.registry = *a;
  }
  o.confirmations = static_cast<uint64_t>(c.evm.confirmations);
  o.from_block = static_cast<uint64_t>(c.evm.from_block);
  o.log_block_range = static_cast<uint64_t>(c.evm.log_block_range);
  o.poll_interval = std::chrono::milliseconds(c.evm.poll_interval_ms);
  o.rpc_timeout = std::chrono::seconds(c.evm.rpc_timeout_seconds);
  o.rpc_retries = c.evm.rpc_retries;
  o.receipt_timeout = std::chrono::seconds(c.evm.receipt_timeout_seconds);
  o.legacy_transactions = c.evm.legacy_transactions;
  o.cache_eid_status = c.evm.cache_eid_status;
  if (c.evm.priority_fee_wei >= 0) o.priority_fee_wei = static_cast<uint64_t>(c.evm.priority_fee_wei);
  return o;
}

StatusOr<EmbeddedLedgerOptions> EmbeddedOptionsFromConfig(const LedgerConfig& c) {
  EmbeddedLedgerOptions o;
  o.path = c.embedded.path;
  o.sync_full = c.embedded.sync_full;
  o.checkpoint_file = c.embedded.checkpoint_file;
  o.max_clock_skew = std::chrono::seconds(c.embedded.max_clock_skew_seconds);
  const std::string& file = c.embedded.sequencer_key_file;
  auto key = ReadServiceKeyFile(file);
  if (!key.ok())
    return FailedPrecondition("cannot read the ledger's sequencer key " + file + " (" + key.status().message() +
                              "); `certme ledger init` makes it with a new ledger; for an existing one make it "
                              "with `certme ledger keygen --out " + file + "` and accept the log with `certme ledger "
                              "reanchor`");
  o.sequencer = std::move(*key);
  return o;
}

StatusOr<std::unique_ptr<Ledger>> OpenConfiguredLedger(const LedgerConfig& c, bool watch) {
  if (c.backend == kLedgerBackendEvm) {
    CERTME_ASSIGN_OR_RETURN(EvmLedgerOptions o, EvmOptionsFromConfig(c));
    if (o.registry.empty())
      return FailedPrecondition("ledger.registry_address is required with the evm backend (`certme ledger deploy`)");
    CERTME_ASSIGN_OR_RETURN(auto l, EvmLedger::Connect(o));
    return std::unique_ptr<Ledger>(std::move(l));
  }
  CERTME_ASSIGN_OR_RETURN(EmbeddedLedgerOptions o, EmbeddedOptionsFromConfig(c));
  o.watch_file = watch;
  CERTME_ASSIGN_OR_RETURN(auto l, EmbeddedLedger::Open(o));
  if (!c.registry_address.empty()) {
    auto want = ParseAddress(c.registry_address);
    if (!want.ok() || *want != l->RegistryAddress())
      return FailedPrecondition("the ledger at " + o.path + " is registry " + ChecksumAddress(l->RegistryAddress()) +
                                ", not the configured " + c.registry_address);
  }
  return std::unique_ptr<Ledger>(std::move(l));
}

}  // namespace certme
