// The wallet login leg of the code flow (oidc_flow.h): the browser's page and
// status poll, and the phone wallet's two calls (docs/wallet-protocol.md §3,
// §4). The wallet's answer is the protocol's wallet side
// (protocols/wallet/wallet_side.h, shared with `certme wallet approve`),
// which signs Login as generic EIP-712 typed data while the bridge verifies
// with its own encoding, so a benchmark run is also an interop check.
#include <chrono>

#include "bench/oidc_load/wallet_flow.h"

#include "bench/oidc_load/flow_detail.h"
#include "bench/oidc_load/oidc_flow.h"
#include "common/encoding.h"
#include "common/random.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/wallet_side.h"

namespace certme::bench {

using namespace flow_detail;  // NOLINT: the flow drivers' shared helpers

namespace {

// The value of the first `attr="…"` in the element carrying `marker`
// (HTML entity &amp; decoded; the bridge escapes attribute values).
std::optional<std::string> AttributeNear(std::string_view html, std::string_view marker,
                                         std::string_view attr) {
  size_t m = html.find(marker);
  if (m == std::string_view::npos) return std::nullopt;
  size_t tag_start = html.rfind('<', m);
  size_t tag_end = html.find('>', m);
  if (tag_start == std::string_view::npos || tag_end == std::string_view::npos) return std::nullopt;
  std::string_view tag = html.substr(tag_start, tag_end - tag_start);
  std::string needle = std::string(attr) + "=\"";
  size_t a = tag.find(needle);
  if (a == std::string_view::npos) return std::nullopt;
  a += needle.size();
  size_t e = tag.find('"', a);
  if (e == std::string_view::npos) return std::nullopt;
  std::string v(tag.substr(a, e - a));
  for (size_t p; (p = v.find("&amp;")) != std::string::npos;) v.replace(p, 5, "&");
  return v;
}

}  // namespace

StatusOr<std::string> BuildWalletAnswer(const Json& doc, const std::string& code, const BenchUser& user,
                                        int64_t now_unix) {
  // The shared wallet side names each problem in the status message
  // ("version", "code", "expired", "attribute_not_held", "malformed", …);
  // those words are the failure kinds the load report counts.
  auto parsed = wallet::RequestDocumentFromJson(doc);
  if (!parsed.ok()) return parsed.status();
  CERTME_RETURN_IF_ERROR(wallet::CheckDocumentForWallet(*parsed, code, now_unix));
  return wallet::BuildApproval(*parsed, user.key, user.attributes, SystemRandom());
}

bool FlowRunner::RunWalletLeg(const LoopbackUrl& page_url, OpResult* result, LoopbackUrl* continue_url) {
  OpResult& r = *result;
  auto fail = [&r](std::string kind, std::string detail = {}) {
    Fail(r, std::move(kind), std::move(detail));
    return false;
  };
  auto query = ParseUrlEncoded(QueryOf(page_url.target));
  std::optional<std::string> txn = query ? ParamGet(*query, "txn") : std::nullopt;
  if (!txn) return fail("login:no_txn", page_url.target);
  const std::string page_path(PathOf(page_url.target));

  // The browser shows the page: QR code and the same-device link (§2).
  ClientRequest page = Get(page_url);
  if (std::string cookie = jar_.Header(); !cookie.empty()) page.headers.emplace_back("Cookie", cookie);
  auto presp = Exchange(Step::kLoginPage, page, &r);
  if (!presp.ok()) return fail(IoErrorKind("login_page", presp.status()), presp.status().ToString());
  jar_.Update(*presp);
  if (presp->status != 200) return fail(HttpErrorKind("login_page", *presp), presp->body.substr(0, 200));
  auto link = AttributeNear(presp->body, "id=\"deeplink\"", "href");
  size_t l = link ? link->rfind("/l/") : std::string::npos;
  if (l == std::string::npos) return fail("login_page:no_link");
  const std::string code = link->substr(l + 3);
  auto api = ResolveSameOrigin(conn_.origin(), link->substr(0, l) + "/requests/" + code);
  if (code.empty() || !api.ok()) return fail("login_page:bad_link", *link);

  // The phone: its own connection, a user from the picker.
  auto index = client_.wallet_users->Next();
  if (!index) return fail("wallet:users_exhausted");
  BenchUser user = MakeBenchUser(client_.wallet_seed, *index);
  if (!wallet_conn_) {
    ConnectionOptions copts;
    copts.io_timeout = conn_.io_timeout();
    wallet_conn_ = std::make_unique<HttpConnection>(conn_.origin(), copts);
  }
  ClientRequest get = Get(*api);
  get.headers.emplace_back("Accept", "application/json");
  auto gresp = Exchange(Step::kWalletRequest, get, &r, wallet_conn_.get());
  if (!gresp.ok()) return fail(IoErrorKind("wallet_get", gresp.status()), gresp.status().ToString());
  if (gresp->status != 200) return fail(HttpErrorKind("wallet_get", *gresp), gresp->body.substr(0, 200));
  auto doc = JsonObject(gresp->body);
  if (!doc) return fail("wallet_get:bad_json");
  auto answer = BuildWalletAnswer(*doc, code, user, clock_.NowUnixSeconds());
  if (!answer.ok()) return fail("wallet_get:" + answer.status().message(), answer.status().ToString());

  ClientRequest post;
  post.method = "POST";
  post.target = api->target;
  post.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  post.body = std::move(*answer);
  auto aresp = Exchange(Step::kWalletAnswer, post, &r, wallet_conn_.get());
  if (!aresp.ok()) return fail(IoErrorKind("wallet_post", aresp.status()), aresp.status().ToString());
  if (aresp->status != 200)
    return fail(HttpErrorKind("wallet_post", *aresp), "user " + std::to_string(*index) + ": " + aresp->body.substr(0, 200));
  auto ok = JsonObject(aresp->body);
  if (!ok || JsonString(*ok, "status") != "ok") return fail("wallet_post:not_ok", aresp->body.substr(0, 200));

  // The page's script: the long-poll reports "done", then continue (§8).
  LoopbackUrl status_url = page_url;
  status_url.target = WithQuery(LoopbackUrl{page_url.host, page_url.port, page_path + "/status"}, {{"txn", *txn}});
  ClientRequest st = Get(status_url);
  if (std::string cookie = jar_.Header(); !cookie.empty()) st.headers.emplace_back("Cookie", cookie);
  auto sresp = Exchange(Step::kStatus, st, &r);
  if (!sresp.ok()) return fail(IoErrorKind("status", sresp.status()), sresp.status().ToString());
  if (sresp->status != 200) return fail(HttpErrorKind("status", *sresp));
  auto state = JsonObject(sresp->body);
  if (!state || JsonString(*state, "state") != "done") return fail("status:not_done", sresp->body.substr(0, 100));

  *continue_url = page_url;
  continue_url->target = WithQuery(LoopbackUrl{page_url.host, page_url.port, page_path + "/continue"}, {{"txn", *txn}});
  return true;
}

}  // namespace certme::bench
