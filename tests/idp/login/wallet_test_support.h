// Pieces of the wallet side for tests at the handler level: a validator
// service in a thread, and an honest wallet's answer built from public
// pieces (ECIES to the bridge key, EIP-712 Login and Consent signatures) as
// docs/wallet-protocol.md describes.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/random.h"
#include "common/status.h"
#include "crypto/ecies.h"
#include "crypto/ethereum.h"
#include "idp/login/wallet_authenticator.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/ledger.h"

namespace certme::testing {

// The salt a test enrollment uses for attribute `name`.
inline Bytes32 Salt(const std::string& name) { return Keccak256("salt:" + name); }

// Authorizes `validator` and `provider` on `ledger` (by `admin`) and has
// `validator` enroll `user` with `values`, each committed under Salt(name),
// at level of assurance `loa`.
inline Status EnrollUser(Ledger& ledger, const EthKey& admin, const EthKey& validator, const EthKey& provider,
                         const EthKey& user, const std::map<std::string, std::string>& values,
                         uint8_t loa = kLoaSubstantial) {
  CERTME_RETURN_IF_ERROR(ledger.AddValidator(admin, validator.address()).status());
  CERTME_RETURN_IF_ERROR(ledger.AddProvider(admin, provider.address()).status());
  std::vector<Bytes32> keys, cs;
  for (const auto& [name, value] : values) {
    keys.push_back(AttributeKey(name));
    cs.push_back(AttributeCommitment(user.address(), keys.back(), value, Salt(name)));
  }
  return ledger.IssueEid(validator, user, keys, cs, loa).status();
}

// A validator service in a thread: answers every request addressed to it
// with the commitments it enrolled (or, when `lie`, with wrong ones), as
// the request lands on the ledger.
class TestValidator {
 public:
  TestValidator(Ledger& l, EthKey key) : l_(l), key_(std::move(key)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~TestValidator() {
    stop_ = true;
    thread_.join();
  }
  std::atomic<bool> answering{true};
  std::atomic<bool> lie{false};
  std::atomic<int> answers{0};

 private:
  void Run() {
    EventFilter f;
    f.kind = EventKind::kValidationRequested;
    f.validator = key_.address();
    while (!stop_) {
      auto events = l_.WaitForEvents(f, std::chrono::milliseconds(100));
      if (!events.ok()) return;
      for (const auto& e : *events) {
        f.after_block = std::max(f.after_block, e.block);
        if (!answering) continue;
        auto r = l_.GetRequest(e.request_id);
        auto eid = l_.GetEid(r->user);
        std::vector<Bytes32> cs;
        for (const auto& k : r->attr_keys) {
          auto it = std::find(eid->attr_keys.begin(), eid->attr_keys.end(), k);
          cs.push_back(lie ? Keccak256("wrong") : eid->commitments[it - eid->attr_keys.begin()]);
        }
        // Counted before the answer lands: the waiting login may finish (and
        // the test check the count) as soon as it does.
        ++answers;
        if (!l_.AnswerValidation(key_, e.request_id, cs, eid->loa).ok()) --answers;
      }
    }
  }
  Ledger& l_;
  EthKey key_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An honest wallet's answer to request document `doc` (§4-§6): the asked
// attributes from `values` with Salt(name), encrypted to the bridge, the
// Login and Consent signatures by `user`.
inline std::string HonestWalletAnswer(const nlohmann::json& doc, const EthKey& user,
                                      const std::map<std::string, std::string>& values, Ledger& ledger) {
  using nlohmann::json;
  json plain = json::array();
  std::string commitments;
  for (const auto& name : doc["attributes"]) {
    std::string n = name.get<std::string>();
    const std::string& v = values.at(n);
    plain.push_back({{"key", n}, {"value", v}, {"salt", "0x" + HexEncode(abi::AsView(Salt(n)))}});
    commitments.append(abi::AsView(AttributeCommitment(user.address(), AttributeKey(n), v, Salt(n))));
  }
  auto bridge_key = HexDecode(doc["bridgeKey"].get<std::string>());
  auto enc = EciesEncrypt(*bridge_key, plain.dump(), SystemRandom());
  auto nonce = abi::ToBytes32(*HexDecode(doc["nonce"].get<std::string>()));
  Bytes32 login = WalletLoginDigest(ledger.Domain(), doc["code"].get<std::string>(), nonce,
                                    doc["service"]["id"].get<std::string>(), Keccak256(commitments),
                                    doc["expiry"].get<uint64_t>());
  Consent c;
  c.user = user.address();
  c.provider = *ParseAddress(doc["consent"]["provider"].get<std::string>());
  for (const auto& n : doc["attributes"]) c.attr_keys.push_back(AttributeKey(n.get<std::string>()));
  c.nonce = nonce;
  c.expiry = doc["consent"]["expiry"].get<uint64_t>();
  json answer = {{"version", 1},
                 {"code", doc["code"]},
                 {"eid", user.AddressHex()},
                 {"loginSignature", user.SignDigest(login).ToHex()},
                 {"attributes", Base64UrlEncode(*enc)},
                 {"consentSignature", SignConsent(user, ledger.Domain(), c).ToHex()}};
  return answer.dump();
}

}  // namespace certme::testing
