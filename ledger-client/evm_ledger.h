// The EVM backend of the Ledger interface: the CertMeRegistry contract
// (ledger-client/contracts/CertMeRegistry.sol) on any EVM chain, reached
// over JSON-RPC (json_rpc.h). Writes are EIP-1559 transactions (EIP-155
// legacy ones on chains without a base fee) signed here with the caller's
// key; views are eth_call; events are eth_getLogs of the registry.
//
//  - Refusals: a call is simulated (eth_estimateGas) before it is signed; a
//    custom-error revert becomes the same named LedgerError the embedded
//    backend returns ("EidNotActive: the eID is suspended"). A transaction
//    that still reverts on chain (lost a race) is replayed with eth_call at
//    its block to name the reason.
//  - Nonces: per sender, taken from the node's pending count under a
//    per-sender lock, so concurrent senders in one process never collide;
//    another process (or a restart) that took the nonce first makes the
//    node answer "nonce too low", and the transaction is re-signed with the
//    next one. A gap (a dropped transaction) is closed by the next send.
//  - Transport failures: every RPC is retried (json_rpc.h); a signed
//    transaction is resent as the same bytes until its receipt appears, so
//    a node that goes away mid-send neither loses nor duplicates it.
//  - Events: read with eth_getLogs in block ranges up to the head minus
//    `confirmations`, kept in memory with the hashes of the blocks they came
//    from. Each sync first checks that the newest synced block is still on
//    the chain; after a reorg the events of the dropped blocks are retracted
//    (and counted, `RetractedEvents()`) and the new branch is read.
//  - Time: the ledger's time is the timestamp of the latest block.
//  - Waiting: one poller thread per ledger asks for the block number every
//    `poll_interval` while someone waits, and wakes the waiters on a change.
//  - eID status reads are eth_calls, or served from memory with
//    `cache_eid_status` (invalidated by events; see the option).
//
// Thread-safe: every method may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/json_rpc.h"
#include "ledger-client/ledger.h"

namespace certme {

struct EvmLedgerOptions {
  // The node's JSON-RPC endpoint, e.g. http://127.0.0.1:8545.
  std::string rpc_url;
  // The registry contract (20 raw bytes).
  std::string registry;
  // Expected chain id; 0 = take the node's. A mismatch fails Connect.
  uint64_t chain_id = 0;
  // Blocks an event (and a transaction) must be buried under before it
  // counts; 0 = as soon as it is mined (instant-finality chains: QBFT/IBFT
  // Besu and GoQuorum, anvil).
  uint64_t confirmations = 0;
  // First block to read events from (the deployment block).
  uint64_t from_block = 0;
  // eth_getLogs span per request (nodes limit it; 1,000-10,000 is usual).
  uint64_t log_block_range = 2000;
  // How often the head is polled while someone waits for events, and the
  // longest pause between receipt checks.
  Duration poll_interval = std::chrono::milliseconds(250);
  // Per RPC attempt, and transport retries (json_rpc.h).
  Duration rpc_timeout = std::chrono::seconds(10);
  int rpc_retries = 3;
  // How long Transact waits for a receipt (and its confirmations).
  Duration receipt_timeout = std::chrono::seconds(120);
  // true: EIP-155 legacy transactions with eth_gasPrice.
  bool legacy_transactions = false;
  // Tip per gas; nullopt = the node's eth_maxPriorityFeePerGas. Networks
  // without fees (QBFT with min gas price 0, the test chain) set 0.
  std::optional<uint64_t> priority_fee_wei;
  // Keep eID statuses (the login's hot read) in memory. A watcher thread
  // polls the head every poll_interval and drops the entries of users whose
  // EidIssued/EidStatusChanged events arrive (all of them after a reorg);
  // this ledger's own transactions drop theirs at once, and an event is
  // never returned by Events/WaitForEvents before its user's entry is
  // dropped. A change made by
  // another process is therefore seen within about one poll_interval (after
  // `confirmations` blocks); while the watcher cannot reach the node, reads
  // go to the node.
  bool cache_eid_status = false;
};

class EvmLedger : public Ledger {
 public:
  // Connects to the node and checks that a CertMeRegistry lives at
  // options.registry. Unavailable when the node cannot be reached (after
  // the retries); FailedPrecondition for a wrong chain or address.
  static StatusOr<std::unique_ptr<EvmLedger>> Connect(const EvmLedgerOptions& options);

  // Events retracted by reorgs since this ledger was opened.
  virtual uint64_t RetractedEvents() = 0;
};

// Deploys a new registry administered by `admin` from `deployer` (who pays
// the gas; it may be the administrator itself). Returns the contract's
// address and the block it was deployed in (EvmLedgerOptions::from_block).
struct Deployment {
  std::string address;  // 20 bytes
  uint64_t block = 0;
  Bytes32 tx_hash{};
};
// `source`: a version 1 registry the new one may import from while its
// migration window is open (MigrateRegistry); empty = none.
StatusOr<Deployment> DeployRegistry(const EvmLedgerOptions& options, const EthKey& deployer,
                                    std::string_view admin, std::string_view source = {});
// Deploys arbitrary creation code (constructor arguments appended).
StatusOr<Deployment> DeployContract(const EvmLedgerOptions& options, const EthKey& deployer,
                                    std::string_view creation_code);

// ---- migration from contract version 1 (docs/ledger-evm.md "Contract versions") ----

struct RegistryMigration {
  Deployment registry;    // the version 2 registry
  size_t accounts = 0;    // validator / provider accounts whose roles were imported
  size_t eids = 0;        // eIDs imported by this run
};
// Moves the version 1 registry `v1.registry` (events read from
// v1.from_block) to a new version 2 registry administered by the same key:
// deploys it with v1 as its migration source (or continues into
// `resume_into`, a version 2 registry whose window is still open), imports
// the roles of every account v1's events name and every eID v1 holds —
// read by the contract itself through v1's views — in batches, then closes
// the window. `admin` must be v1's administrator; gas is paid by `admin`.
// Open requests and used consent nonces are not carried over (consents are
// bound to v1's address; providers ask again on the new registry).
StatusOr<RegistryMigration> MigrateRegistry(const EvmLedgerOptions& v1, const EthKey& admin,
                                            std::string_view resume_into = {});

// The registry's creation bytecode (CertMeRegistry.bin, embedded at build time).
std::string RegistryCreationCode();

// The LedgerError a revert's data names (a CertMeRegistry custom error with
// its arguments); Internal for anything else. Never OK. Reads untrusted
// bytes (fuzzed: tests/fuzz/evm_rpc_fuzz.cc).
Status DecodeRegistryRevert(std::string_view revert_data);

// A registry log (address, topics, data as the node sends them, without
// block fields) as a LedgerEvent; InvalidArgument for anything else.
// Untrusted input (fuzzed).
StatusOr<LedgerEvent> DecodeRegistryLog(const nlohmann::json& log);

}  // namespace certme
