// The signing page and the signing login's end (sign_flow.h).
#include "idp/signing/sign_flow.h"

#include <algorithm>

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/jades.h"
#include "protocols/wallet/vocabulary.h"
#include "templates/templates.h"

namespace certme::signing {
namespace {

using nlohmann::json;

constexpr char kTxnNs[] = "sign_txn";  // signing login txn → sign request id

std::string PathId(const HttpRequest& req) {
  auto it = req.path_params.find("id");
  return it == req.path_params.end() ? "" : it->second;
}

// What the page may show of the expected signer: the first and last two
// digits (the link is a capability, but a forwarded one should not reveal
// a whole national number).
std::string MaskIdnp(const std::string& idnp) {
  if (idnp.size() < 6) return std::string(idnp.size(), '*');
  return idnp.substr(0, 2) + std::string(idnp.size() - 4, '*') + idnp.substr(idnp.size() - 2);
}

std::string Pick(const std::map<std::string, std::string>& texts, const std::string& lang) {
  if (auto it = texts.find(lang); it != texts.end()) return it->second;
  for (const char* l : {"ro", "ru", "en"})
    if (auto it = texts.find(l); it != texts.end()) return it->second;
  return "";
}

const std::string* Attr(const std::vector<DisclosedAttribute>& attrs, std::string_view name) {
  for (const auto& a : attrs)
    if (a.name == name) return &a.value;
  return nullptr;
}

// The login's outcome as the sign request's failure reason.
std::string ReasonOf(std::string_view outcome) {
  if (outcome == wallet::kOutcomeRefused) return kReasonRefused;
  if (outcome == wallet::kOutcomeSuspended || outcome == wallet::kOutcomeRevoked) return kReasonEidNotActive;
  if (outcome == wallet::kOutcomeExpired) return kReasonExpired;
  if (outcome == wallet::kOutcomeTimeout) return "validator_timeout";
  if (outcome == wallet::kOutcomeServiceNotAuthorized) return "service_not_authorized";
  return "failed";
}

}  // namespace

std::string ReturnUrl(const SignRecord& r) {
  std::vector<std::pair<std::string, std::string>> q = {{"sign_id", r.id}};
  if (!r.request.relay_state.empty()) q.emplace_back("RelayState", r.request.relay_state);
  const std::string& u = r.request.return_url;
  return u + (u.find('?') == std::string::npos ? "?" : "&") + EncodeUrlEncoded(q);
}

SignFlow::SignFlow(SignFlowOptions options, SignStore& signs, Store& store, ClientRegistry& clients,
                   Authenticator& login, Ledger& ledger, ProviderKeys& provider_keys, Clock& clock, Random& random)
    : options_(std::move(options)),
      signs_(signs),
      store_(store),
      clients_(clients),
      login_(login),
      ledger_(ledger),
      provider_keys_(provider_keys),
      clock_(clock),
      random_(random) {}

HttpResponse SignFlow::Message(int status, const std::string& lang, const std::string& key) {
  auto tp = Templates();
  json data = {{"title", tp->Text(lang, "sign_title")},
               {"heading", tp->Text(lang, "sign_title")},
               {"message", tp->Text(lang, key)},
               {"home_url", options_.public_url + "/"}};
  return HtmlPage(status, tp->RenderPage("sign/status", lang, data), tp->PageCsp());
}

HttpResponse SignFlow::SettledPage(const SignRecord& r, const std::string& lang) {
  auto tp = Templates();
  SignState s = EffectiveState(r, signs_.Now());
  std::string key = s == SignState::kSuccess ? "sign_done" : s == SignState::kExpired ? "sign_expired" : "sign_failed";
  json data = {{"title", tp->Text(lang, "sign_title")},
               {"heading", tp->Text(lang, "sign_title")},
               {"message", tp->Text(lang, key)},
               {"back_url", ReturnUrl(r)},
               {"home_url", options_.public_url + "/"}};
  return HtmlPage(s == SignState::kSuccess ? 200 : 410, tp->RenderPage("sign/status", lang, data), tp->PageCsp());
}

StatusOr<std::string> SignFlow::LoginOf(const SignRecord& r, const OidcClient& client, const std::string& lang,
                                        std::optional<HttpResponse>& refused) {
  if (!r.txn.empty()) return r.txn;
  LoginRequest login;
  login.txn = random_.Token();
  login.protocol = kSignProtocol;
  login.service_id = client.client_id;
  login.service_names = client.names;
  login.attributes = {"idnp", "first_name", "last_name"};
  if (r.request.signer_type == kSignerOrganization) {
    login.attributes.push_back("idno");
    login.attributes.push_back("administered_legal_entity");
  }
  login.ui_locale = lang;
  login.force_authn = true;
  login.resume_url = options_.public_url + "/sign/" + r.id + "/done?txn=" + login.txn;
  login.expires_at = r.expires_at;
  int64_t ttl = std::max<int64_t>(r.expires_at - signs_.Now(), 1) + 60;
  CERTME_RETURN_IF_ERROR(store_.Put(kTxnNs, login.txn, r.id, std::chrono::seconds(ttl)));
  HttpResponse begun = login_.Begin(login);
  if (begun.status != 302 && begun.status != 303) {
    refused = std::move(begun);
    return FailedPrecondition("the signing login could not begin", "status " + std::to_string(refused->status));
  }
  // Of two pages opened at once, the first recorded login is the one.
  auto updated = signs_.Update(r.id, [&](SignRecord& rec) {
    if (!rec.txn.empty()) return false;
    rec.txn = login.txn;
    return true;
  });
  if (updated.ok()) return login.txn;
  if (updated.status().code() != StatusCode::kFailedPrecondition) return updated.status();
  CERTME_ASSIGN_OR_RETURN(SignRecord now, signs_.Load(r.id));
  return now.txn;
}

HttpResponse SignFlow::Page(const HttpRequest& req) {
  auto rec = signs_.Load(PathId(req));
  std::string lang = TemplateLang(req.Query("lang").value_or(rec.ok() ? rec->request.language : "ro"));
  if (!rec.ok()) {
    if (rec.status().code() == StatusCode::kNotFound) return Message(404, lang, "sign_unknown");
    LogError("sign request unreadable", {{"detail", rec.status().ToString()}});
    return Message(503, lang, "sign_unavailable");
  }
  if (EffectiveState(*rec, signs_.Now()) != SignState::kPending) return SettledPage(*rec, lang);
  auto client = clients_.Get(rec->client_id);
  if (!client.ok()) return Message(404, lang, "sign_unknown");
  std::optional<HttpResponse> refused;
  auto txn = LoginOf(*rec, *client, lang, refused);
  if (refused) return std::move(*refused);
  if (!txn.ok()) {
    LogError("signing login not begun", {{"id", rec->id}, {"detail", txn.status().ToString()}});
    return Message(503, lang, "sign_unavailable");
  }
  auto tp = Templates();
  json items = json::array();
  for (const auto& i : rec->request.items)
    items.push_back({{"name", i.name}, {"hash_alg", i.hash_alg == kHashS256 ? "SHA-256" : "SHA-384"},
                     {"digest", HexEncode(i.digest)}, {"pdf", i.pdf}});
  json data = {{"title", tp->Text(lang, "sign_title")},
               {"service", Pick(client->names, lang).empty() ? client->client_id : Pick(client->names, lang)},
               {"description", Pick(rec->request.description, lang)},
               {"items", items},
               {"signer", MaskIdnp(rec->request.signer_idnp)},
               {"login_url", options_.public_url + "/login/wallet?txn=" + *txn + "&lang=" + lang}};
  if (rec->request.signer_type == kSignerOrganization) data["organization"] = rec->request.signer_idno;
  return HtmlPage(200, tp->RenderPage("sign/request", lang, data), tp->PageCsp());
}

HttpResponse SignFlow::Done(const HttpRequest& req) {
  std::string lang = TemplateLang(req.Query("lang").value_or("ro"));
  std::string txn = req.Query("txn").value_or("");
  auto rec = txn.empty() || txn.size() > kMaxTxnLength ? StatusOr<SignRecord>(NotFound("no txn")) : RecordOfTxn(txn);
  if (!rec.ok() || rec->id != PathId(req)) {
    if (rec.ok() || rec.status().code() == StatusCode::kNotFound) return Message(404, lang, "sign_unknown");
    return Message(503, lang, "sign_unavailable");
  }
  lang = TemplateLang(req.Query("lang").value_or(rec->request.language));
  // The login's result is not needed here (the hook settled the request);
  // taken so it does not linger in the store.
  (void)TakeLoginResult(store_, txn);
  if (EffectiveState(*rec, signs_.Now()) == SignState::kPending) {
    // Back before the wallet answered: the signing page again.
    return HttpResponse::Redirect(options_.public_url + "/sign/" + rec->id);
  }
  return HttpResponse::Redirect(ReturnUrl(*rec), 303);
}

StatusOr<SignRecord> SignFlow::RecordOfTxn(const std::string& txn) {
  CERTME_ASSIGN_OR_RETURN(std::string id, store_.Get(kTxnNs, txn));
  CERTME_ASSIGN_OR_RETURN(SignRecord r, signs_.Load(id));
  if (r.txn != txn) return NotFound("not this request's signing login");
  return r;
}

StatusOr<SignLogin> SignFlow::Details(const std::string& txn) {
  CERTME_ASSIGN_OR_RETURN(SignRecord r, RecordOfTxn(txn));
  if (EffectiveState(r, signs_.Now()) != SignState::kPending) return NotFound("sign request settled");
  SignLogin out;
  std::copy(r.sign_request.begin(), r.sign_request.end(), out.details.request.begin());
  out.details.description = r.request.description;
  for (const auto& i : r.request.items) out.details.items.push_back({i.name, i.hash_alg, i.digest});
  if (r.request.signer_type == kSignerOrganization) {
    out.details.signer_type = wallet::SignerType::kOrganization;
    out.details.idno = r.request.signer_idno;
  }
  out.created_at = r.created_at;
  out.expires_at = r.expires_at;
  return out;
}

bool SignFlow::SettleFailure(const std::string& id, const std::string& reason) {
  auto st = signs_.Update(id, [&](SignRecord& r) {
    if (r.state != SignState::kPending) return false;
    r.state = reason == kReasonExpired ? SignState::kExpired : SignState::kFailure;
    r.reason = reason;
    return true;
  });
  if (!st.ok() && st.status().code() != StatusCode::kFailedPrecondition)
    LogError("sign request not settled", {{"id", id}, {"detail", st.status().ToString()}});
  if (st.ok()) LogInfo("sign request failed", {{"id", id}, {"reason", reason}});
  return st.ok();
}

std::optional<wallet::WalletError> SignFlow::Complete(const std::string& txn, const std::string& eid,
                                                      const std::vector<DisclosedAttribute>& attributes,
                                                      const wallet::CheckedSignatures& signatures) {
  auto rec = RecordOfTxn(txn);
  if (!rec.ok()) return wallet::WalletError::Make(410, wallet::kErrExpired, "the sign request is no longer open",
                                                  wallet::kOutcomeExpired);
  const SignRecord& r = *rec;
  auto refuse = [&](const char* reason, std::string text) {
    SettleFailure(r.id, reason);
    return wallet::WalletError::Make(403, reason, std::move(text));
  };
  // The expected signer, as validated (the attributes passed the ledger's
  // commitments and, the first time, the validator).
  const std::string* idnp = Attr(attributes, "idnp");
  if (!idnp || *idnp != r.request.signer_idnp)
    return refuse(kReasonWrongSigner, "this eID is not the signer the service expects");
  if (r.request.signer_type == kSignerOrganization) {
    const std::string* idno = Attr(attributes, "idno");
    const std::string* entity = Attr(attributes, "administered_legal_entity");
    bool entity_ok = entity && entity->size() > r.request.signer_idno.size() &&
                     entity->compare(entity->size() - r.request.signer_idno.size(), std::string::npos,
                                     r.request.signer_idno) == 0;
    if (!idno || *idno != r.request.signer_idno || !entity_ok)
      return refuse(kReasonWrongOrganization, "this eID does not act for the organization the service expects");
  }
  auto key = provider_keys_.Key(r.client_id);
  if (!key.ok()) {
    LogError("provider key unavailable", {{"service", r.client_id}, {"detail", key.status().ToString()}});
    return wallet::ServerError();
  }
  Bytes32 request{};
  std::copy(r.sign_request.begin(), r.sign_request.end(), request.begin());
  std::vector<SignatureEntry> entries;
  for (const auto& s : signatures.items)
    entries.push_back({s.ledger_digest, std::string(s.ledger_signature.rsv.begin(), s.ledger_signature.rsv.end())});
  auto receipt = ledger_.RecordSignatures(*key, eid, request, signatures.signed_at, entries);
  if (!receipt.ok()) {
    std::optional<LedgerErrorCode> code = LedgerErrorOf(receipt.status());
    LogWarn("signatures not recorded", {{"id", r.id}, {"detail", receipt.status().ToString()}});
    if (code && *code == LedgerErrorCode::kEidNotActive)
      return refuse(kReasonEidNotActive, "the eID is not active");
    if (receipt.status().code() == StatusCode::kUnavailable) return wallet::ServerError();
    SettleFailure(r.id, kReasonLedger);
    return wallet::WalletError::Make(409, kReasonLedger, "the ledger did not record the signatures");
  }
  json ledger = {{"block", receipt->block}, {"tx", "0x" + HexEncode(std::string(receipt->tx_hash.begin(), receipt->tx_hash.end()))}};
  std::vector<json> jades;
  for (const auto& s : signatures.items)
    jades.push_back(json::parse(JadesFlattenedJson(s.protected_b64, s.signature, {{"certme_ledger", ledger}})));
  json signer = {{"eid", ChecksumAddress(eid)}, {"idnp", *idnp}};
  for (const char* k : {"first_name", "last_name", "idno", "administered_legal_entity"})
    if (const std::string* v = Attr(attributes, k)) signer[k] = *v;
  auto settled = signs_.Update(r.id, [&](SignRecord& rec2) {
    if (rec2.state != SignState::kPending) return false;
    rec2.state = SignState::kSuccess;
    rec2.signer = signer;
    rec2.signed_at = static_cast<int64_t>(signatures.signed_at);
    rec2.signatures = jades;
    return true;
  });
  if (!settled.ok()) {
    LogError("signed request not settled", {{"id", r.id}, {"detail", settled.status().ToString()}});
    return wallet::ServerError();
  }
  LogInfo("sign request signed", {{"id", r.id}, {"service", r.client_id}, {"items", entries.size()},
                                  {"block", receipt->block}});
  return std::nullopt;
}

void SignFlow::Ended(const std::string& txn, std::string_view outcome) {
  if (outcome == wallet::kOutcomeOk) return;
  auto rec = RecordOfTxn(txn);
  if (!rec.ok()) return;
  SettleFailure(rec->id, ReasonOf(outcome));
}

}  // namespace certme::signing
