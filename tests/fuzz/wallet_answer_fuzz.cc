// Fuzzes what a wallet (or anyone) sends the wallet login: the answer body
// POSTed to /wallet/v1/requests/<code> (idp/login/wallet_authenticator.h),
// and the login links `certme wallet approve` parses (tools/wallet_approve.h).
// First byte even: the input (after it) is an answer to a fresh code; odd: a
// link. Invariants: no crash; an answer without a valid signature never
// logs anyone in (only a refusal may answer 200) and every error is JSON
// with an "error" member; an accepted link is https or loopback http.
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "idp/login/wallet_authenticator.h"
#include "ledger-client/embedded_ledger.h"
#include "tools/wallet_approve.h"
#include "store/memory/memory_store.h"

namespace {

struct World {
  std::string dir;
  std::unique_ptr<certme::Store> store = certme::NewMemoryStore();
  certme::EthKey admin = certme::EthKey::Generate();
  std::unique_ptr<certme::EmbeddedLedger> ledger;
  std::unique_ptr<certme::WalletAuthenticator> auth;
  int n = 0;

  World() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "certme-fuzz-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) std::abort();
    dir = tmpl;
    auto l = certme::EmbeddedLedger::Create({.path = dir + "/l.db", .sync_full = false, .watch_file = false},
                                            admin, 31337);
    if (!l.ok()) std::abort();
    ledger = std::move(*l);
    certme::WalletLoginOptions o;
    o.public_url = "https://bridge.test";
    o.answer_timeout = std::chrono::milliseconds(1);
    auth = std::make_unique<certme::WalletAuthenticator>(o, *store, *ledger, certme::EthKey::Generate(),
                                                         certme::EthKey::Generate(), certme::SystemClock(),
                                                         certme::SystemRandom());
  }
  ~World() {
    auth.reset();
    ledger.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

World& W() {
  static World w;
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto link = certme::ParseLoginLink(in);
    if (link.ok() && link->api_base.rfind("https://", 0) != 0 && link->api_base.rfind("http://127.0.0.1", 0) != 0 &&
        link->api_base.rfind("http://localhost", 0) != 0 && link->api_base.rfind("http://[::1]", 0) != 0)
      std::abort();
    return 0;
  }
  World& w = W();
  certme::LoginRequest r;
  r.txn = "fuzz-" + std::to_string(++w.n);
  r.protocol = "oidc";
  r.service_id = "demo-rp";
  r.attributes = {"first_name", "idnp"};
  r.resume_url = "https://bridge.test/resume";
  r.expires_at = certme::SystemClock().NowUnixSeconds() + 300;
  w.auth->Begin(r);
  auto rec = w.store->Get("wallet_txn", r.txn);
  if (!rec.ok()) std::abort();
  std::string code = nlohmann::json::parse(*rec)["code"].get<std::string>();
  certme::HttpRequest q;
  q.method = "POST";
  q.path_params = {{"code", code}};
  q.body = std::string(in);
  certme::HttpResponse resp = w.auth->PostAnswer(q);
  auto body = nlohmann::json::parse(resp.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) std::abort();
  if (resp.status == 200) {
    auto a = nlohmann::json::parse(in, nullptr, false);
    if (a.is_discarded() || !a.is_object() || !a.contains("refused")) std::abort();
  } else if (!body.contains("error")) {
    std::abort();
  }
  return 0;
}
