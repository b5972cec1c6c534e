// Signing logins (sign_hook.h): the parts of WalletAuthenticator that a
// `sign` request adds to a login — its document, the §10 checks of the
// answer, and the hand-over to the signing server's hook.
#include "common/log.h"
#include "idp/login/wallet_authenticator.h"
#include "protocols/wallet/sign_checks.h"
#include "protocols/wallet/vocabulary.h"

namespace certme {

namespace {

wallet::WalletError SignRequestGone() {
  return wallet::WalletError::Make(410, wallet::kErrExpired, "the sign request is no longer open", wallet::kOutcomeExpired);
}

}  // namespace

std::optional<wallet::WalletError> WalletAuthenticator::AddSignDetails(const std::string& txn,
                                                                      const LoginRequest& request,
                                                                      wallet::RequestDocument& doc) {
  if (!IsSign(request)) return std::nullopt;
  SignLogin sign;
  if (auto e = SignLoginOf(txn, &sign)) return e;
  doc.kind = wallet::RequestKind::kSign;
  doc.purpose = wallet::SignPurpose();
  doc.sign = std::move(sign.details);
  return std::nullopt;
}

std::optional<wallet::WalletError> WalletAuthenticator::SignLoginOf(const std::string& txn, SignLogin* out) {
  if (!sign_hook_) return wallet::ServerError("a signing login without the signing server");
  auto sign = sign_hook_->Details(txn);
  if (!sign.ok()) {
    if (sign.status().code() == StatusCode::kNotFound) return SignRequestGone();
    LogError("sign request unreadable", {{"detail", sign.status().ToString()}});
    return wallet::ServerError();
  }
  *out = std::move(sign).value();
  return std::nullopt;
}

std::optional<wallet::WalletError> WalletAuthenticator::CheckSignAnswer(const std::string& txn,
                                                                       const LoginRequest& request,
                                                                       const wallet::LoginContext& ctx,
                                                                       const wallet::Answer& answer, int64_t now,
                                                                       PendingAnswer& p) {
  if (!IsSign(request)) return std::nullopt;
  SignLogin sign;
  if (auto e = SignLoginOf(txn, &sign)) return e;
  // The document as served: what CheckSignItems compares the answer with.
  wallet::RequestDocument doc;
  doc.kind = wallet::RequestKind::kSign;
  doc.code = ctx.code;
  doc.nonce = ctx.nonce;
  doc.expiry = ctx.expiry;
  doc.service_id = ctx.service_id;
  doc.attributes = ctx.attributes;
  doc.domain = ctx.domain;
  doc.consent_provider = ctx.provider;
  doc.consent_expiry = static_cast<uint64_t>(ctx.consent_expiry);
  doc.sign = sign.details;
  wallet::SignCheckContext sc{answer.eid, sign.created_at, sign.expires_at, now};
  auto checked = wallet::CheckSignItems(doc, answer, sc);
  if (!checked.ok()) {
    LogWarn("sign answer refused", {{"service", request.service_id}, {"code", checked.error().code},
                                     {"detail", checked.error().detail}});
    return checked.error();
  }
  p.signatures = std::move(checked).value();
  return std::nullopt;
}

std::optional<wallet::WalletError> WalletAuthenticator::CompleteSign(const PendingAnswer& p) {
  if (p.protocol != kSignProtocol) return std::nullopt;
  if (!sign_hook_ || !p.signatures) return wallet::ServerError("a signing login without its signatures");
  return sign_hook_->Complete(p.txn, p.eid, p.attrs, *p.signatures);
}

}  // namespace certme
