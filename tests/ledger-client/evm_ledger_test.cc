// The EVM backend's own behaviour beyond the shared suite, on a real chain
// (anvil): a node down at start, an answer lost in transit, a transaction
// that reverts on chain, a nonce gap, a reorg, confirmations, restart. Plus
// fixed vectors for RLP and transaction signing, and the revert decoder.
#include "ledger-client/evm_ledger.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/encoding.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/embedded_ledger.h"
#include "ledger-client/evm_transaction.h"
#include "ledger-client/registry_abi.h"
#include "ledger-client/rlp.h"
#include "tests/ledger-client/anvil.h"
#include "tests/ledger-client/rpc_proxy.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

// ---------------------------------------------------------------- encodings

TEST(RlpTest, EncodesAndDecodesTheYellowPaperExamples) {
  EXPECT_EQ(rlp::EncodeBytes("dog"), "\x83" "dog");
  EXPECT_EQ(rlp::EncodeList({rlp::EncodeBytes("cat"), rlp::EncodeBytes("dog")}), "\xc8\x83" "cat\x83" "dog");
  EXPECT_EQ(rlp::EncodeBytes(""), "\x80");
  EXPECT_EQ(rlp::EncodeUint(0), "\x80");
  EXPECT_EQ(rlp::EncodeUint(15), "\x0f");
  EXPECT_EQ(rlp::EncodeUint(1024), std::string("\x82\x04\x00", 3));
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  EXPECT_EQ(rlp::EncodeBytes(lorem), "\xb8\x38" + lorem);
  auto d = rlp::Decode("\xc8\x83" "cat\x83" "dog");
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE(d->is_list);
  ASSERT_EQ(d->items.size(), 2u);
  EXPECT_EQ(d->items[1].bytes, "dog");
}

TEST(RlpTest, RefusesNonCanonicalAndTruncatedInput) {
  EXPECT_FALSE(rlp::Decode("\x81\x05").ok()) << "a single byte < 0x80 wrapped";
  EXPECT_FALSE(rlp::Decode("\xb8\x03" "abc").ok()) << "long form for a short string";
  EXPECT_FALSE(rlp::Decode("\x83" "ab").ok()) << "truncated";
  EXPECT_FALSE(rlp::Decode("\x83" "abcd").ok()) << "trailing bytes";
  EXPECT_FALSE(rlp::Decode("\xc3\x83" "ab").ok()) << "list item past the list";
  EXPECT_FALSE(rlp::Decode("\xbf\xff\xff\xff\xff\xff\xff\xff\xff").ok()) << "huge length";
  std::string deep(40, '\xc1');
  deep.back() = '\xc0';
  EXPECT_FALSE(rlp::Decode(deep).ok()) << "nesting beyond the bound";
  EXPECT_FALSE(rlp::ToUint(rlp::Item{false, std::string("\x00\x01", 2), {}}).ok()) << "leading zero";
}

// EIP-155's own example: nonce 9, 20 gwei, 21000 gas, to 0x3535…35, 1 ether,
// chain 1, key 0x4646…46.
TEST(EvmTransactionTest, SignsTheEip155Example) {
  auto key = EthKey::FromHex("4646464646464646464646464646464646464646464646464646464646464646");
  ASSERT_TRUE(key.ok());
  EvmTransaction tx;
  tx.legacy = true;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.max_fee_per_gas = 20000000000;
  tx.gas_limit = 21000;
  tx.to = std::string(20, '\x35');
  tx.value = 1000000000000000000;
  const SignedEvmTransaction s = SignEvmTransaction(*key, tx);
  EXPECT_EQ(HexEncode(s.raw),
            "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc"
            "2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1"
            "966a3b6d83");
  auto back = DecodeRawTransaction(s.raw);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->from, key->address());
  EXPECT_EQ(back->tx.chain_id, 1u);
  EXPECT_EQ(back->tx.nonce, 9u);
}

TEST(EvmTransactionTest, Eip1559RoundTripsAndRecoversTheSender) {
  EthKey key = EthKey::Generate();
  EvmTransaction tx;
  tx.chain_id = 31337;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = 1000;
  tx.gas_limit = 100000;
  tx.to = std::string(20, '\x11');
  tx.data = AccountCall(RegistryMethod::kAddValidator, std::string(20, '\x22'));
  const SignedEvmTransaction s = SignEvmTransaction(key, tx);
  EXPECT_EQ(s.raw[0], '\x02');
  auto back = DecodeRawTransaction(s.raw);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->from, key.address());
  EXPECT_EQ(back->tx.data, tx.data);
  EXPECT_EQ(back->tx.max_fee_per_gas, 1000u);
  EXPECT_EQ(back->hash, s.hash);
  std::string tampered = s.raw;
  tampered[tampered.size() / 2] ^= 1;
  auto t = DecodeRawTransaction(tampered);
  EXPECT_TRUE(!t.ok() || t->from != key.address());
}

// The same type-2 transaction signed by npm ethers (Wallet.signTransaction):
// byte-identical here (both sign deterministically, RFC 6979), and decoded.
TEST(EvmTransactionTest, Eip1559MatchesEthersByteForByte) {
  auto key = EthKey::FromHex("4646464646464646464646464646464646464646464646464646464646464646");
  ASSERT_TRUE(key.ok());
  EvmTransaction tx;
  tx.chain_id = 31337;
  tx.nonce = 3;
  tx.max_priority_fee_per_gas = 1;
  tx.max_fee_per_gas = 1000;
  tx.gas_limit = 100000;
  tx.to = std::string(20, '\x11');
  tx.data = AccountCall(RegistryMethod::kAddValidator, std::string(20, '\x22'));
  const std::string ethers =
            "02f88b827a6903018203e8830186a094111111111111111111111111111111111111111180a44d238c8e0000000000000000"
            "000000002222222222222222222222222222222222222222c080a0b7c9ec19298d6827928501a6acf94fad5a116298698f0f"
            "ada696fd37597e2295a02a957fe7c09220f91f8789fead484ed4337f1e15750e893cd397cf74a3de8c51";
  EXPECT_EQ(HexEncode(SignEvmTransaction(*key, tx).raw), ethers);
  auto back = DecodeRawTransaction(HexDecode(ethers).value());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->from, key->address());
}

TEST(RegistryRevertTest, CustomErrorsBecomeNamedLedgerErrors) {
  Status s = DecodeRegistryRevert(abi::Selector("EidNotActive(uint8)") + abi::Encoder().Uint(2).Encode());
  EXPECT_EQ(LedgerErrorOf(s), LedgerErrorCode::kEidNotActive);
  EXPECT_EQ(s.message(), "EidNotActive: the eID is suspended");
  EXPECT_EQ(LedgerErrorOf(DecodeRegistryRevert(abi::Selector("NonceUsed()"))), LedgerErrorCode::kNonceUsed);
  Status unknown = DecodeRegistryRevert(abi::Selector("Error(string)") + abi::Encoder().String("boom").Encode());
  EXPECT_EQ(unknown.code(), StatusCode::kInternal);
  EXPECT_EQ(unknown.message().find("boom"), std::string::npos) << "no foreign text in the client message";
  EXPECT_FALSE(DecodeRegistryRevert("").ok());
}

// SignatureRecorded(address indexed provider, address indexed user,
// bytes32 indexed digest, bytes32 request, uint256 signedAt) and
// AlreadySigned(bytes32), as the contract emits them.
TEST(RegistryLogTest, SignatureRecordsAndTheirRefusalDecode) {
  auto word = [](std::string_view bytes20) { return "0x" + std::string(24, '0') + HexEncode(bytes20); };
  const std::string provider(20, '\x11'), user(20, '\x22');
  const Bytes32 digest = Keccak256("header"), request = Keccak256("request");
  json log = {{"topics",
               {"0x" + HexEncode(abi::AsView(Keccak256("SignatureRecorded(address,address,bytes32,bytes32,uint256)"))),
                word(provider), word(user), "0x" + HexEncode(abi::AsView(digest))}},
              {"data", "0x" + HexEncode(abi::Encoder().Fixed(request).Uint(1700000000).Encode())}};
  auto e = DecodeRegistryLog(log);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->kind, EventKind::kSignatureRecorded);
  EXPECT_EQ(e->provider, provider);
  EXPECT_EQ(e->actor, provider);
  EXPECT_EQ(e->user, user);
  EXPECT_EQ(e->digest, digest);
  EXPECT_EQ(e->sign_request, request);
  EXPECT_EQ(e->signed_at, 1700000000);
  json no_digest = log;
  no_digest["topics"].erase(3);
  EXPECT_FALSE(DecodeRegistryLog(no_digest).ok());
  json short_digest = log;
  short_digest["topics"][3] = "0x1234";
  EXPECT_FALSE(DecodeRegistryLog(short_digest).ok());
  json huge_time = log;
  huge_time["data"] = "0x" + HexEncode(abi::Encoder().Fixed(request).Encode()) + std::string(64, 'f');
  EXPECT_FALSE(DecodeRegistryLog(huge_time).ok()) << "a time beyond 63 bits";

  Status s = DecodeRegistryRevert(abi::Selector("AlreadySigned(bytes32)") + std::string(abi::AsView(digest)));
  EXPECT_EQ(LedgerErrorOf(s), LedgerErrorCode::kAlreadySigned);
  EXPECT_NE(s.message().find(HexEncode(abi::AsView(digest))), std::string::npos) << s.message();
}

TEST(JsonRpcAnswerTest, AcceptsOnlyAnAnswerToThisRequest) {
  EXPECT_TRUE(ParseJsonRpcAnswer(R"({"jsonrpc":"2.0","id":3,"result":"0x1"})", 3).ok());
  EXPECT_FALSE(ParseJsonRpcAnswer(R"({"jsonrpc":"2.0","id":4,"result":"0x1"})", 3).ok());
  EXPECT_FALSE(ParseJsonRpcAnswer(R"({"jsonrpc":"2.0","id":3})", 3).ok());
  EXPECT_FALSE(ParseJsonRpcAnswer(R"({"jsonrpc":"2.0","id":3,"result":1,"error":{"code":1}})", 3).ok());
  EXPECT_FALSE(ParseJsonRpcAnswer("<html>502</html>", 3).ok());
  auto e = ParseJsonRpcAnswer(R"({"jsonrpc":"2.0","id":3,"error":{"code":3,"message":"execution reverted","data":"0x1234abcd"}})", 3);
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->error.has_value());
  EXPECT_EQ(e->error->data, "0x1234abcd");
  EXPECT_FALSE(ParseHexQuantity(json("0x10000000000000000")).ok()) << "beyond 64 bits";
  EXPECT_EQ(*ParseHexQuantity(json("0x1f")), 31u);
}

// ---------------------------------------------------------------- on a chain

class EvmLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = Anvil::Start();
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    anvil_ = std::move(*a);
    auto l = anvil_->NewRegistry(admin_, &deployment_);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }

  EvmLedgerOptions Options() {
    EvmLedgerOptions o = anvil_->LedgerOptions();
    o.registry = deployment_.address;
    o.from_block = deployment_.block;
    return o;
  }

  uint64_t TxCount(const std::string& address) {
    auto n = anvil_->Rpc("eth_getTransactionCount", json::array({HexData(address), "latest"}));
    return n.ok() ? ParseHexQuantity(*n).value() : 0;
  }

  size_t CountEvents(Ledger& l, EventKind kind) {
    EventFilter f;
    f.kind = kind;
    auto e = l.Events(f);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? e->size() : 0;
  }

  EthKey admin_ = EthKey::Generate();
  std::unique_ptr<Anvil> anvil_;
  Deployment deployment_;
  std::unique_ptr<EvmLedger> ledger_;
};

TEST_F(EvmLedgerTest, ANodeThatIsDownAtStartIsAClearErrorAndIsRetried) {
  RpcProxy proxy;  // no node behind it yet
  EvmLedgerOptions o = Options();
  o.rpc_url = proxy.url();
  o.rpc_retries = 1;
  o.rpc_timeout = seconds(2);
  auto down = EvmLedger::Connect(o);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(down.status().message().find(proxy.url()), std::string::npos) << down.status().message();
  EXPECT_NE(down.status().message().find("does not answer"), std::string::npos) << down.status().message();

  // The node comes up while the client is still retrying.
  o.rpc_retries = 8;  // 50 ms doubling: ~12 s of patience
  std::thread later([&] {
    std::this_thread::sleep_for(milliseconds(300));
    proxy.SetUpstream(anvil_->port());
  });
  auto up = EvmLedger::Connect(o);
  later.join();
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(*(*up)->Admin(), admin_.address());
}

TEST_F(EvmLedgerTest, AnAnswerLostInTransitNeitherLosesNorDuplicatesTheTransaction) {
  RpcProxy proxy;
  proxy.SetUpstream(anvil_->port());
  EvmLedgerOptions o = Options();
  o.rpc_url = proxy.url();
  auto l = EvmLedger::Connect(o);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  const uint64_t before = TxCount(admin_.address());
  // The node receives (and mines) the transaction; its answer never arrives.
  proxy.DropAnswers("eth_sendRawTransaction", 1);
  EthKey v = EthKey::Generate();
  auto r = (*l)->AddValidator(admin_, v.address());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*(*l)->IsValidator(v.address()));
  EXPECT_EQ(TxCount(admin_.address()), before + 1) << "exactly one transaction";
  EXPECT_EQ(CountEvents(**l, EventKind::kValidatorAdded), 1u);
  int sends = 0;
  for (const auto& body : proxy.Forwarded()) sends += body.find("eth_sendRawTransaction") != std::string::npos;
  EXPECT_GE(sends, 2) << "the send was retried";
}

TEST_F(EvmLedgerTest, ANodeThatGoesAwayGivesAClearErrorNotAHang) {
  EvmLedgerOptions o = Options();
  o.rpc_retries = 1;
  o.rpc_timeout = seconds(2);
  o.receipt_timeout = seconds(3);
  auto l = EvmLedger::Connect(o);
  ASSERT_TRUE(l.ok());
  anvil_->Kill();
  const auto start = std::chrono::steady_clock::now();
  auto r = (*l)->AddValidator(admin_, EthKey::Generate().address());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
  EXPECT_FALSE((*l)->GetEidStatus(EthKey::Generate().address()).ok());
}

TEST_F(EvmLedgerTest, ATransactionThatRevertsOnChainIsNamed) {
  // Both calls pass the simulation while neither is mined; the second one
  // to be mined reverts in its block.
  ASSERT_TRUE(anvil_->Rpc("evm_setAutomine", json::array({false})).ok());
  EthKey v = EthKey::Generate();
  StatusOr<TxReceipt> a = Internal("not run"), b = Internal("not run");
  std::thread ta([&] { a = ledger_->AddValidator(admin_, v.address()); });
  std::thread tb([&] { b = ledger_->AddValidator(admin_, v.address()); });
  // Mine once both are in the pool.
  for (int i = 0; i < 500; ++i) {
    auto pending = anvil_->Rpc("eth_getTransactionCount", json::array({HexData(admin_.address()), "pending"}));
    if (pending.ok() && ParseHexQuantity(*pending).value() >= TxCount(admin_.address()) + 2) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(anvil_->Rpc("evm_mine", json::array()).ok());
  ta.join();
  tb.join();
  ASSERT_NE(a.ok(), b.ok()) << a.status().ToString() << " / " << b.status().ToString();
  const Status& refused = a.ok() ? b.status() : a.status();
  EXPECT_EQ(LedgerErrorOf(refused), LedgerErrorCode::kAlreadyAuthorized) << refused.ToString();
}

TEST_F(EvmLedgerTest, ANonceGapIsClosedByTheNextTransaction) {
  // A transaction with the nonce after next sits in the pool, waiting.
  const uint64_t next = TxCount(admin_.address());
  EvmTransaction tx;
  tx.chain_id = 31337;
  tx.nonce = next + 1;
  tx.gas_limit = 200000;
  tx.to = deployment_.address;
  tx.data = AccountCall(RegistryMethod::kAddProvider, EthKey::Generate().address());
  const SignedEvmTransaction future = SignEvmTransaction(admin_, tx);
  ASSERT_TRUE(anvil_->Rpc("eth_sendRawTransaction", json::array({HexData(future.raw)})).ok());
  // The ledger sends with the nonce in the gap; both then go through.
  EthKey v = EthKey::Generate();
  auto r = ledger_->AddValidator(admin_, v.address());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool mined = false;
  for (int i = 0; i < 250 && !mined; ++i) {
    auto rc = anvil_->Rpc("eth_getTransactionReceipt", json::array({HexData(abi::AsView(future.hash))}));
    mined = rc.ok() && rc->is_object();
    if (!mined) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(mined) << "the waiting transaction went through after the gap closed";
  EXPECT_EQ(TxCount(admin_.address()), next + 2);
  EXPECT_EQ(CountEvents(*ledger_, EventKind::kProviderAdded), 1u);
}

TEST_F(EvmLedgerTest, AReorgRetractsTheEventsOfTheDroppedBlocks) {
  auto snap = anvil_->Rpc("evm_snapshot", json::array());
  ASSERT_TRUE(snap.ok());
  EthKey dropped = EthKey::Generate();
  ASSERT_TRUE(ledger_->AddValidator(admin_, dropped.address()).ok());
  EXPECT_EQ(CountEvents(*ledger_, EventKind::kValidatorAdded), 1u);
  // The block is replaced by another one at the same height.
  ASSERT_TRUE(anvil_->Rpc("evm_revert", json::array({*snap})).ok());
  EthKey kept = EthKey::Generate();
  ASSERT_TRUE(ledger_->AddProvider(admin_, kept.address()).ok());
  EXPECT_EQ(CountEvents(*ledger_, EventKind::kValidatorAdded), 0u) << "the dropped block's event is retracted";
  EXPECT_EQ(CountEvents(*ledger_, EventKind::kProviderAdded), 1u);
  EXPECT_EQ(ledger_->RetractedEvents(), 1u);
  EXPECT_FALSE(*ledger_->IsValidator(dropped.address()));
}

TEST_F(EvmLedgerTest, EventsWaitForTheConfiguredConfirmations) {
  EvmLedgerOptions o = Options();
  o.confirmations = 2;
  auto reader = EvmLedger::Connect(o);
  ASSERT_TRUE(reader.ok());
  ASSERT_TRUE(ledger_->AddValidator(admin_, EthKey::Generate().address()).ok());
  EXPECT_EQ(CountEvents(*ledger_, EventKind::kValidatorAdded), 1u);
  EXPECT_EQ(CountEvents(**reader, EventKind::kValidatorAdded), 0u) << "not buried yet";
  ASSERT_TRUE(anvil_->Rpc("anvil_mine", json::array({"0x2"})).ok());
  EXPECT_EQ(CountEvents(**reader, EventKind::kValidatorAdded), 1u);
}

TEST_F(EvmLedgerTest, ARestartedClientReadsEveryEventOnce) {
  EthKey v = EthKey::Generate(), p = EthKey::Generate();
  ASSERT_TRUE(ledger_->AddValidator(admin_, v.address()).ok());
  auto first = ledger_->Events({});
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(ledger_->AddProvider(admin_, p.address()).ok());
  ASSERT_TRUE(ledger_->RemoveValidator(admin_, v.address()).ok());
  auto before = ledger_->Events({});
  ASSERT_TRUE(before.ok());
  ledger_.reset();  // the process stops…
  auto again = EvmLedger::Connect(Options());  // …and starts again
  ASSERT_TRUE(again.ok());
  auto after = (*again)->Events({});
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  ASSERT_EQ(after->size(), 4u) << "RegistryCreated, ValidatorAdded, ProviderAdded, ValidatorRemoved";
  for (size_t i = 0; i < after->size(); ++i) {
    EXPECT_EQ((*after)[i].kind, (*before)[i].kind);
    EXPECT_EQ((*after)[i].block, (*before)[i].block);
  }
  // Resuming after the last block a consumer processed gives only what is new.
  EventFilter resume;
  resume.after_block = first->back().block;
  auto rest = (*again)->Events(resume);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].kind, EventKind::kProviderAdded);
}

TEST_F(EvmLedgerTest, CachedStatusesFollowOtherProcessesChanges) {
  EthKey v = EthKey::Generate();
  EthKey user = EthKey::Generate();
  ASSERT_TRUE(ledger_->AddValidator(admin_, v.address()).ok());
  ASSERT_TRUE(ledger_->IssueEid(v, user, {AttributeKey("idnp")}, {AttributeKey("x")}, 2).ok());
  EvmLedgerOptions o = Options();
  o.cache_eid_status = true;
  auto reader = EvmLedger::Connect(o);  // the bridge, in another process
  ASSERT_TRUE(reader.ok());
  // Warm: the watcher vouches for the cache once it has read the head.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(*(*reader)->GetEidStatus(user.address()), EidStatus::kActive);
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(ledger_->SuspendEid(admin_, user.address()).ok());  // elsewhere
  EidStatus seen = EidStatus::kActive;
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (seen == EidStatus::kActive && std::chrono::steady_clock::now() < deadline) {
    seen = *(*reader)->GetEidStatus(user.address());
    if (seen == EidStatus::kActive) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(seen, EidStatus::kSuspended) << "the suspension reached the cache";
  // The reader's own transaction shows at once.
  ASSERT_TRUE((*reader)->ReactivateEid(admin_, user.address()).ok());
  EXPECT_EQ(*(*reader)->GetEidStatus(user.address()), EidStatus::kActive);
}

// Whoever reads an EidStatusChanged event (the bridge's eID watcher, through
// Events/WaitForEvents) must not then read the status from before it: the
// event and the cache's invalidation are one step. Before, only the
// poller's next tick dropped the entry, so the watcher read "active" for a
// just-suspended eID and ended nothing, and a status read racing with it
// cached "active" above this ledger for minutes.
TEST_F(EvmLedgerTest, AStatusReadAfterItsEventIsNeverOlderThanTheEvent) {
  EthKey v = EthKey::Generate();
  EthKey user = EthKey::Generate();
  ASSERT_TRUE(ledger_->AddValidator(admin_, v.address()).ok());
  ASSERT_TRUE(ledger_->IssueEid(v, user, {AttributeKey("idnp")}, {AttributeKey("x")}, 2).ok());
  EvmLedgerOptions o = Options();
  o.cache_eid_status = true;
  // The poller's tick never comes during the test: only the event read
  // below can invalidate.
  o.poll_interval = seconds(60);
  auto reader = EvmLedger::Connect(o);
  ASSERT_TRUE(reader.ok());
  // Warm: the poller's first tick (at start) vouches for the cache, and
  // the next read is kept.
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(*(*reader)->GetEidStatus(user.address()), EidStatus::kActive);
    std::this_thread::sleep_for(milliseconds(10));
  }
  auto head = (*reader)->BlockNumber();
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(ledger_->SuspendEid(admin_, user.address()).ok());  // elsewhere
  EventFilter f;
  f.after_block = *head;
  f.kind = EventKind::kEidStatusChanged;
  auto events = (*reader)->Events(f);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(*(*reader)->GetEidStatus(user.address()), EidStatus::kSuspended)
      << "the status read after its event predates the event";
}

TEST_F(EvmLedgerTest, LegacyTransactionsWorkWhereEip1559IsNotWanted) {
  EvmLedgerOptions o = Options();
  o.legacy_transactions = true;
  auto l = EvmLedger::Connect(o);
  ASSERT_TRUE(l.ok());
  EthKey v = EthKey::Generate();
  auto r = (*l)->AddValidator(admin_, v.address());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto tx = anvil_->Rpc("eth_getTransactionByHash", json::array({HexData(abi::AsView(r->tx_hash))}));
  ASSERT_TRUE(tx.ok());
  EXPECT_EQ(tx->value("type", std::string()), "0x0") << "an EIP-155 transaction";
  EXPECT_TRUE(*(*l)->IsValidator(v.address()));
  // The default is EIP-1559 (type 2).
  auto r2 = ledger_->AddProvider(admin_, v.address());
  ASSERT_TRUE(r2.ok());
  auto tx2 = anvil_->Rpc("eth_getTransactionByHash", json::array({HexData(abi::AsView(r2->tx_hash))}));
  ASSERT_TRUE(tx2.ok());
  EXPECT_EQ(tx2->value("type", std::string()), "0x2");
}

TEST_F(EvmLedgerTest, AWrongAddressOrChainIsRefusedAtConnect) {
  EvmLedgerOptions o = Options();
  o.registry = EthKey::Generate().address();
  auto none = EvmLedger::Connect(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("no contract"), std::string::npos);
  o = Options();
  o.chain_id = 1;
  auto chain = EvmLedger::Connect(o);
  ASSERT_FALSE(chain.ok());
  EXPECT_NE(chain.status().message().find("chain 31337"), std::string::npos) << chain.status().message();
}

// `certme ledger init --chain-id 31337` and `certme ledger deploy` with the
// same fresh administrator key: two registries at different addresses, so a
// consent for one is refused by the other (it used to verify on both).
TEST_F(EvmLedgerTest, AnEmbeddedRegistryNeverSharesAConsentWithADeployedOne) {
  EXPECT_EQ(deployment_.address, CreateAddress(admin_.address(), 0)) << "deployed from the fresh key's nonce 0";
  LedgerTempDir dir;
  auto embedded = EmbeddedLedger::Create(
      {.path = dir.NewFile(".ledger"), .sync_full = false, .watch_file = false, .sequencer = EthKey::Generate()},
      admin_, 31337);
  ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
  Ledger& e = **embedded;
  Ledger& v = *ledger_;
  EXPECT_EQ(e.ChainId(), v.ChainId());
  EXPECT_NE(e.RegistryAddress(), v.RegistryAddress());

  // The same cast on both.
  EthKey validator = EthKey::Generate(), provider = EthKey::Generate(), user = EthKey::Generate();
  const std::vector<Bytes32> keys = {AttributeKey("idnp")};
  const std::vector<Bytes32> commitments = {AttributeCommitment(user.address(), keys[0], "1", Bytes32{})};
  for (Ledger* l : {&e, &v}) {
    ASSERT_TRUE(l->AddValidator(admin_, validator.address()).ok());
    ASSERT_TRUE(l->AddProvider(admin_, provider.address()).ok());
    ASSERT_TRUE(l->IssueEid(validator, user, keys, commitments, kLoaLow).ok());
  }
  auto sig = [](const EthSignature& s) { return std::string(reinterpret_cast<const char*>(s.rsv.data()), 65); };
  const int64_t now = std::max(e.Now(), v.Now());
  Consent c{user.address(), provider.address(), keys, Bytes32{}, static_cast<uint64_t>(now + 600)};
  const std::string for_embedded = sig(SignConsent(user, e.Domain(), c));
  const std::string for_evm = sig(SignConsent(user, v.Domain(), c));
  EXPECT_EQ(LedgerErrorOf(v.RequestValidation(provider, c, for_embedded).status()), LedgerErrorCode::kBadSignature);
  EXPECT_EQ(LedgerErrorOf(e.RequestValidation(provider, c, for_evm).status()), LedgerErrorCode::kBadSignature);
  EXPECT_TRUE(v.RequestValidation(provider, c, for_evm).ok());
  EXPECT_TRUE(e.RequestValidation(provider, c, for_embedded).ok());
}

}  // namespace
}  // namespace certme
