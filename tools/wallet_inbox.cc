#include "tools/wallet_inbox.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "protocols/wallet/inbox.h"
#include "protocols/wallet/vocabulary.h"

namespace certme {

using nlohmann::json;

namespace {

// The InboxAccess signature is good for this long (the bridge takes at most
// wallet::kMaxInboxAccessLifetimeSeconds).
constexpr int64_t kAccessLifetimeSeconds = 60;

std::string ApiBase(std::string bridge) {
  while (!bridge.empty() && bridge.back() == '/') bridge.pop_back();
  const std::string api = wallet::kApiPath;
  if (bridge.size() < api.size() || bridge.compare(bridge.size() - api.size(), api.size(), api) != 0) bridge += api;
  return bridge;
}

}  // namespace

Status AnswerInbox(const std::string& bridge, const WalletContents& contents, ApproveChoice choice, int64_t wait,
                   const std::string& lang, const std::string& ca_file) {
  if (wait < 0 || wait > wallet::kMaxInboxWaitSeconds)
    return InvalidArgument("--wait is from 0 to " + std::to_string(wallet::kMaxInboxWaitSeconds) + " seconds");
  const std::string api = ApiBase(bridge);
  CERTME_ASSIGN_OR_RETURN(WalletHttpResult got, WalletFetch(api + wallet::kInboxChallengePath, nullptr, ca_file));
  if (got.status != 200) return FailedPrecondition("the bridge gave no challenge: " + WalletErrorText(got));
  auto challenge = wallet::ParseInboxChallenge(got.body);
  if (!challenge.ok()) return InvalidArgument("the bridge's challenge is malformed: " + challenge.error().description);
  // The domain binds the signature to one registry; a wallet that knows its
  // ledger signs only for that one.
  if (contents.ledger && contents.ledger->chain_id != 0 && contents.ledger->chain_id != challenge->domain.chain_id)
    return FailedPrecondition("the bridge names another ledger (chain " + std::to_string(challenge->domain.chain_id) +
                              ") than this wallet's");
  const uint64_t expiry = static_cast<uint64_t>(SystemClock().NowUnixSeconds() + kAccessLifetimeSeconds);
  const std::string access =
      wallet::BuildInboxAccess(contents.key, challenge->domain, challenge->challenge, expiry, wait);
  CERTME_ASSIGN_OR_RETURN(WalletHttpResult listed, WalletFetch(api + wallet::kInboxPath, &access, ca_file));
  if (listed.status != 200) return FailedPrecondition("the bridge refused the inbox: " + WalletErrorText(listed));
  json j = json::parse(listed.body, nullptr, false);
  if (!j.is_object() || !j.contains(wallet::kFieldRequests) || !j[wallet::kFieldRequests].is_array())
    return InvalidArgument("the bridge's inbox answer is malformed");
  const json& requests = j[wallet::kFieldRequests];
  if (requests.empty()) return NotFound("no pending requests for " + contents.key.AddressHex());
  Status first;
  for (const auto& item : requests) {
    if (!item.is_object() || !item.contains(wallet::kFieldDocument) || !item[wallet::kFieldDocument].is_object() ||
        !item[wallet::kFieldDocument].contains(wallet::kFieldCode) ||
        !item[wallet::kFieldDocument][wallet::kFieldCode].is_string()) {
      if (first.ok()) first = InvalidArgument("the bridge's inbox lists a malformed request");
      continue;
    }
    if (item.contains(wallet::kFieldBindingMessage) && item[wallet::kFieldBindingMessage].is_string())
      std::printf("binding message: %s\n", item[wallet::kFieldBindingMessage].get<std::string>().c_str());
    // The document is fetched again by its code and checked as for a QR login.
    LoginLink link{api, item[wallet::kFieldDocument][wallet::kFieldCode].get<std::string>()};
    Status st = ApproveLogin(link, contents, choice, lang, ca_file);
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

}  // namespace certme
