// The validator service (`certme validator serve`) with 10,000 stale
// requests in its open set — expired, never answered, as a provider with a
// cooperating user can leave them on purpose — on both ledger backends: a
// request made while the service was down, and one made after it started,
// are each answered within the service's normal time, and the service
// prunes the stale entries while idle. Plus: a failed read of the open set
// is retried, not ignored.
#include "tools/validator_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/random.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/evm_transaction.h"
#include "ledger-client/json_rpc.h"
#include "ledger-client/registry_abi.h"
#include "tests/ledger-client/anvil.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr int kStale = 10000;
// What "normal time" means here: the service answers a request within a
// block or two; 5 s leaves room for a loaded test machine.
constexpr auto kNormalAnswerTime = seconds(5);

// How long each phase took, in the test's output.
class Phases {
 public:
  void Done(const char* what) {
    const auto now = steady_clock::now();
    std::printf("  %-28s %6lld ms\n", what,
                static_cast<long long>(std::chrono::duration_cast<milliseconds>(now - last_).count()));
    last_ = now;
  }

 private:
  steady_clock::time_point last_ = steady_clock::now();
};

struct Cast {
  EthKey admin = EthKey::Generate();
  EthKey validator = EthKey::Generate();
  EthKey provider = EthKey::Generate();
  EthKey user = EthKey::Generate();
  Bytes32 key = AttributeKey("idnp");
  Bytes32 commitment = AttributeCommitment(user.address(), AttributeKey("idnp"), "2001234567890",
                                           abi::ToBytes32(SystemRandom().Bytes(32)));

  Status Setup(Ledger& l) {
    CERTME_RETURN_IF_ERROR(l.AddValidator(admin, validator.address()).status());
    CERTME_RETURN_IF_ERROR(l.AddProvider(admin, provider.address()).status());
    return l.IssueEid(validator, user, {key}, {commitment}, kLoaSubstantial).status();
  }
  // The calldata of a consented request expiring at `expiry`.
  std::string RequestCall(Ledger& l, uint64_t expiry) {
    Consent c{user.address(), provider.address(), {key}, abi::ToBytes32(SystemRandom().Bytes(32)), expiry};
    const EthSignature sig = SignConsent(user, l.Domain(), c);
    return RequestValidationCall(c.user, c.attr_keys, c.nonce, c.expiry,
                                 std::string(reinterpret_cast<const char*>(sig.rsv.data()), sig.rsv.size()));
  }
  StatusOr<uint64_t> Request(Ledger& l, int64_t ttl) {
    CERTME_ASSIGN_OR_RETURN(TxReceipt r, l.Transact(provider, RequestCall(l, static_cast<uint64_t>(l.Now() + ttl))));
    for (const auto& e : r.events)
      if (e.kind == EventKind::kValidationRequested) return e.request_id;
    return Internal("no ValidationRequested event");
  }
};

class Service {
 public:
  Service(Ledger& l, const EthKey& me, ValidatorServiceOptions o) {
    thread_ = std::thread([this, &l, &me, o] { result_ = ServeValidationRequests(l, me, stop_, o); });
  }
  Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  ~Service() { (void)Stop(); }

 private:
  std::atomic<bool> stop_{false};
  Status result_;
  std::thread thread_;
};

ValidatorServiceOptions FastOptions() {
  ValidatorServiceOptions o;
  o.wait_slice = milliseconds(50);
  o.retry_min = milliseconds(100);
  o.retry_max = milliseconds(400);
  return o;
}

// The scenario on a ledger whose open set for c.validator holds `stale`
// expired requests: one request made while the service is down, one after;
// then the service prunes while idle until at most `prune_to` are left.
void AnswersDespiteStaleRequests(Ledger& l, Cast& c, uint64_t stale, uint64_t prune_to) {
  ASSERT_EQ(*l.OpenRequestCount(c.validator.address()), stale);
  EXPECT_TRUE(l.OpenRequests(c.validator.address())->empty()) << "all expired";
  // The event history (which the EVM client reads once, and which grows
  // with every request, answered or not) is read before the clock starts.
  ASSERT_TRUE(l.Events({.after_block = UINT64_MAX}).ok());
  Phases phases;

  auto while_down = c.Request(l, 600);
  ASSERT_TRUE(while_down.ok()) << while_down.status().ToString();
  const auto started = steady_clock::now();
  Service service(l, c.validator, FastOptions());
  auto answered = l.WaitForAnswer(*while_down, seconds(30));
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_LT(steady_clock::now() - started, kNormalAnswerTime) << "the request made while the service was down";
  phases.Done("answer made while down");

  auto after = c.Request(l, 600);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  const auto asked = steady_clock::now();
  answered = l.WaitForAnswer(*after, seconds(30));
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_LT(steady_clock::now() - asked, kNormalAnswerTime) << "a new request";
  phases.Done("answer made after start");

  // While idle, the service prunes the stale entries away.
  const auto deadline = steady_clock::now() + seconds(40);
  uint64_t left = stale;
  while (steady_clock::now() < deadline) {
    left = *l.OpenRequestCount(c.validator.address());
    if (left <= prune_to) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_LE(left, prune_to) << "stale entries left in the open set";
  phases.Done("pruned while idle");
  EXPECT_TRUE(service.Stop().ok());
}

TEST(ValidatorServiceTest, EmbeddedAnswersWithTenThousandStaleRequests) {
  LedgerTempDir dir;
  FakeClock clock;
  Cast c;
  auto l = EmbeddedLedger::Create(
      {.path = dir.NewFile(".ledger"), .clock = &clock, .sync_full = false, .sequencer = EthKey::Generate()}, c.admin,
      kEmbeddedDefaultChainId);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_TRUE(c.Setup(**l).ok());
  Phases phases;
  for (int i = 0; i < kStale; ++i) ASSERT_TRUE(c.Request(**l, 60).ok()) << i;
  phases.Done("stale requests made");
  clock.Advance(seconds(120));
  AnswersDespiteStaleRequests(**l, c, kStale, /*prune_to=*/0);
}

TEST(ValidatorServiceTest, AnvilAnswersWithTenThousandStaleRequests) {
  // Blocks large enough for all the stale requests at once (anvil spends
  // most of its time per block, not per transaction).
  auto node = Anvil::Start({"--gas-limit", "4000000000"});
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  Anvil& a = **node;
  Cast c;
  auto l = a.NewRegistry(c.admin);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  Ledger& L = **l;
  ASSERT_TRUE(c.Setup(L).ok());
  Phases phases;

  // The stale requests, fast: signed here and sent to the pool with
  // automine off, then mined a full block at a time.
  const uint64_t expiry = static_cast<uint64_t>(L.Now() + 60);
  ASSERT_TRUE(a.Rpc("evm_setAutomine", json::array({false})).ok());
  // Two senders in parallel (the pool takes nonces in any order).
  std::atomic<int> failures{0};
  auto send = [&](int first, int step) {
    for (int i = first; i < kStale; i += step) {
      EvmTransaction tx;
      tx.chain_id = L.ChainId();
      tx.nonce = static_cast<uint64_t>(i);
      tx.gas_limit = 400000;
      tx.to = L.RegistryAddress();
      tx.data = c.RequestCall(L, expiry);
      auto sent = a.Rpc("eth_sendRawTransaction", json::array({HexData(SignEvmTransaction(c.provider, tx).raw)}));
      if (!sent.ok() && failures++ == 0) ADD_FAILURE() << i << ": " << sent.status().ToString();
    }
  };
  std::thread other(send, 1, 2);
  send(0, 2);
  other.join();
  ASSERT_EQ(failures.load(), 0);
  phases.Done("stale requests sent");
  for (int blocks = 0;; ++blocks) {
    ASSERT_LT(blocks, 1000) << "the requests were not mined";
    ASSERT_TRUE(a.Rpc("evm_mine", json::array()).ok());
    auto n = a.Rpc("eth_getTransactionCount", json::array({HexData(c.provider.address()), "latest"}));
    ASSERT_TRUE(n.ok());
    if (*ParseHexQuantity(*n) == static_cast<uint64_t>(kStale)) break;
  }
  ASSERT_TRUE(a.Rpc("evm_setAutomine", json::array({true})).ok());
  phases.Done("stale requests mined");
  ASSERT_TRUE(a.Advance(seconds(120)).ok());
  // Pruning all 10,000 takes 40 transactions of 256 removals (about 15 s
  // here): the test waits for the first few; the shared suite's
  // ExpiredRequestsLeaveTheOpenSet shows pruning to the end.
  AnswersDespiteStaleRequests(L, c, kStale, /*prune_to=*/kStale - 3 * 256);
}

// The ledger takes an answer to a request that a provider opened while it
// was authorized, even after the administrator removed the provider: the
// validator service does not answer it (the user's attributes are not
// confirmed to a provider the scheme no longer admits), and does once the
// provider is authorized again.
TEST(ValidatorServiceTest, ARequestOfAProviderRemovedSinceIsNotAnswered) {
  LedgerTempDir dir;
  Cast c;
  auto l = EmbeddedLedger::Create(
      {.path = dir.NewFile(".ledger"), .sync_full = false, .sequencer = EthKey::Generate()}, c.admin,
      kEmbeddedDefaultChainId);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_TRUE(c.Setup(**l).ok());
  auto id = c.Request(**l, 600);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE((*l)->RemoveProvider(c.admin, c.provider.address()).ok());
  AnswerIfMine(**l, c.validator, *id);
  auto r = (*l)->GetRequest(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RequestStatus::kOpen) << "answered for a removed provider";
  ASSERT_TRUE((*l)->AddProvider(c.admin, c.provider.address()).ok());
  AnswerIfMine(**l, c.validator, *id);
  r = (*l)->GetRequest(*id);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, RequestStatus::kAnswered);
}

// A node that stops answering while the service catches up: the failure is
// logged and retried, and once the node is back the request made while the
// service was down is answered (before, the error was dropped and the
// request was never answered).
TEST(ValidatorServiceTest, AFailedReadOfTheOpenSetIsRetried) {
  auto node = Anvil::Start();
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  Anvil& a = **node;
  Cast c;
  auto l = a.NewRegistry(c.admin);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_TRUE(c.Setup(**l).ok());
  auto id = c.Request(**l, 600);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  // The service's own connection; its reads of openRequestCount revert
  // until the stand-in code is replaced by the registry's again.
  EvmLedgerOptions o = a.LedgerOptions();
  o.registry = (*l)->RegistryAddress();
  auto service_ledger = EvmLedger::Connect(o);
  ASSERT_TRUE(service_ledger.ok());
  auto code = a.Rpc("eth_getCode", json::array({HexData(o.registry), "latest"}));
  ASSERT_TRUE(code.ok());
  // 0x60006000fd: PUSH1 0 PUSH1 0 REVERT — every call reverts.
  ASSERT_TRUE(a.Rpc("anvil_setCode", json::array({HexData(o.registry), "0x60006000fd"})).ok());
  Service service(**service_ledger, c.validator, FastOptions());
  std::this_thread::sleep_for(milliseconds(600));  // several failed attempts
  ASSERT_TRUE(a.Rpc("anvil_setCode", json::array({HexData(o.registry), *code})).ok());
  auto answered = (*l)->WaitForAnswer(*id, seconds(20));
  EXPECT_TRUE(answered.ok()) << answered.status().ToString();
  EXPECT_TRUE(service.Stop().ok());
}

}  // namespace
}  // namespace certme
