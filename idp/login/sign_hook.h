// Signing through the wallet login (docs/signing.md): a sign request is a
// wallet login whose LoginRequest names the protocol kSignProtocol. The
// wallet authenticator serves it as a `sign` request document
// (docs/wallet-protocol.md §10), runs every login check of §7 on the
// answer (the identity part of a sign answer is a login answer, validated
// through the ledger exactly as at login), then the sign checks of §10
// (protocols/wallet/sign_checks.h), and hands the checked signatures to
// this hook, which the signing server (idp/signing/) implements: it checks
// the expected signer, records the signatures on the ledger and settles the
// sign request. The hook is what idp/login knows of the signing server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ledger-client/attributes.h"
#include "protocols/wallet/errors.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/sign_checks.h"

namespace certme {

// LoginRequest::protocol of a signing login.
inline constexpr char kSignProtocol[] = "sign";

// What the wallet is asked to sign for one signing login.
struct SignLogin {
  wallet::SignDetails details;
  int64_t created_at = 0;  // the sign request's lifetime (unix seconds)
  int64_t expires_at = 0;
};

class WalletSignHook {
 public:
  virtual ~WalletSignHook() = default;
  // The sign request behind login `txn`; NotFound when it is gone or
  // settled (the wallet is told the request is over).
  virtual StatusOr<SignLogin> Details(const std::string& txn) = 0;
  // Every login check and every sign check passed; `attributes` are the
  // validated values the wallet disclosed. Records the signatures and
  // settles the request: nullopt on success, else the error the wallet
  // gets (the login then ends as failed; the hook has settled the sign
  // request with its precise reason).
  virtual std::optional<wallet::WalletError> Complete(const std::string& txn, const std::string& eid,
                                                      const std::vector<DisclosedAttribute>& attributes,
                                                      const wallet::CheckedSignatures& signatures) = 0;
  // The login ended with `outcome` (vocabulary.h kOutcome*): a sign request
  // still pending is settled as a failure with the matching reason.
  virtual void Ended(const std::string& txn, std::string_view outcome) = 0;
};

}  // namespace certme
