#include "idp/saml_mount.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/log.h"
#include "common/random.h"
#include "crypto/certificate.h"
#include "crypto/evp.h"
#include "protocols/saml/dsig.h"

namespace certme {
namespace {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Development: a self-signed certificate for the dev RS256 key, created once
// and reused while it still matches the key and has a month left.
StatusOr<std::string> DevCertificate(const std::string& dir, const SigningKey& key) {
  auto path = std::filesystem::path(dir) / "saml-idp-cert.pem";
  if (auto pem = ReadFile(path.string()); pem.ok()) {
    auto pub = ParsePublicKeyFromCertificate(*pem);
    auto cert = ParseCertificate(*pem);
    if (pub.ok() && cert.ok() && (*pub)->ToPem() == key.ToPem()) return cert->der;
  }
  CERTME_ASSIGN_OR_RETURN(std::string der,
                          saml::MakeSelfSignedCertificate(BorrowEvpPkey(key), "certME bridge (development)",
                                                          SystemClock().NowUnixSeconds() - 3600, 3650,
                                                          SystemRandom()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Unavailable("cannot write " + path.string());
  out << CertificateDerToPem(der);
  return der;
}

}  // namespace

StatusOr<saml::SamlSigner> LoadSamlSigner(const Config& c, const KeySet& keys) {
  CERTME_RETURN_IF_ERROR(saml::InitXmlSecurity());
  saml::SamlSigner signer;
  if (!c.saml.signing_p12_file.empty()) {
    auto der = ReadFile(c.saml.signing_p12_file);
    if (!der.ok()) return NotFound("saml.signing_p12_file: cannot read " + c.saml.signing_p12_file);
    auto p12 = ParseP12(*der, c.saml.signing_p12_password, "saml");
    if (!p12.ok())
      return Status(p12.status().code(), "saml.signing_p12_file " + c.saml.signing_p12_file + ": " + p12.status().message(),
                    p12.status().detail());
    if (!p12->key->Supports(JwsAlg::kRS256)) return InvalidArgument("saml.signing_p12_file: an RSA key is required");
    if (p12->certificate_der.empty()) return InvalidArgument("saml.signing_p12_file: the bundle has no certificate");
    signer.key = std::move(p12->key);
    signer.certificate_der = std::move(p12->certificate_der);
  } else if (!c.saml.signing_key_file.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto key, LoadSigningKeyPem(c.saml.signing_key_file, "saml"));
    if (!key->Supports(JwsAlg::kRS256)) return InvalidArgument("saml.signing_key_file: an RSA key is required");
    CERTME_ASSIGN_OR_RETURN(std::string pem, ReadFile(c.saml.certificate_file));
    CERTME_ASSIGN_OR_RETURN(Certificate cert, ParseCertificate(pem));
    signer.certificate_der = std::move(cert.der);
    signer.key = std::move(key);
  } else {
    if (!c.dev_mode && c.saml.enabled)
      return InvalidArgument(
          "saml.signing_key_file and saml.certificate_file (or saml.signing_p12_file) are required outside dev mode");
    signer.key = keys.ActiveFor(JwsAlg::kRS256);
    if (!signer.key) return FailedPrecondition("SAML needs an active RS256 key");
    CERTME_ASSIGN_OR_RETURN(signer.certificate_der, DevCertificate(c.keys.dev_key_dir, *signer.key));
  }
  if (!BorrowEvpPkey(*signer.key)) return Internal("SAML signing key is not an OpenSSL key");
  return signer;
}

namespace {
// What the key-expiry gauge shows for `signer`: its certificate's notAfter, 0 when unreadable.
int64_t NotAfterOf(const saml::SamlSigner& signer) {
  auto cert = ParseCertificate(signer.certificate_der);
  return cert.ok() ? cert->not_after : 0;
}
}  // namespace

void SamlMount::SetSigner(saml::SamlSigner signer) {
  signing_not_after = NotAfterOf(signer);
  idp->SetSigner(std::move(signer));
}

StatusOr<std::unique_ptr<SamlMount>> MountSaml(const Config& c, Store& store, saml::SamlSigner signer,
                                               Authenticator& authenticator,
                                               const ClaimsCatalogue& catalogue,
                                               const Secret& pairwise_salt, Router& router,
                                               saml::SessionLogoutHook* logout_hook) {
  CERTME_RETURN_IF_ERROR(saml::InitXmlSecurity());
  if (!signer.key || !BorrowEvpPkey(*signer.key)) return Internal("SAML signing key is not an OpenSSL key");

  auto m = std::make_unique<SamlMount>();
  m->signing_not_after = NotAfterOf(signer);
  m->services = saml::NewStoreServiceRegistry(store);
  if (!c.saml.dev_services_file.empty()) {
    CERTME_ASSIGN_OR_RETURN(auto list, saml::LoadServicesFromYaml(c.saml.dev_services_file));
    for (const auto& s : list) CERTME_RETURN_IF_ERROR(m->services->Put(s));
    LogInfo("registered SAML services from file",
            {{"file", c.saml.dev_services_file}, {"count", list.size()}});
  }
  saml::SamlIdpOptions o;
  o.base_url = c.server.public_url;
  o.assertion_ttl_seconds = c.saml.assertion_ttl_seconds;
  o.session_ttl_seconds = c.saml.session_ttl_seconds;
  o.clock_skew_seconds = c.saml.clock_skew_seconds;
  o.max_request_age_seconds = c.saml.max_request_age_seconds;
  o.login_ttl_seconds = c.login.transaction_ttl_seconds;
  o.logout_timeout_seconds = c.saml.logout_timeout_seconds;
  o.sha1_enabled = c.saml.sha1_enabled;
  o.technical_contact = c.saml.technical_contact;
  o.pairwise_salt = pairwise_salt;
  o.dev_mode = c.dev_mode;
  CERTME_RETURN_IF_ERROR(saml::ValidateSamlIdpOptions(o));
  m->idp = std::make_unique<saml::SamlIdp>(o, store, *m->services, authenticator, catalogue,
                                           std::move(signer), SystemClock(), SystemRandom(),
                                           logout_hook);
  for (const auto& r : saml::SamlIdp::Routes()) {
    saml::SamlIdp* idp = m->idp.get();
    auto fn = r.handler;
    router.Handle(r.method, r.path, [idp, fn](const HttpRequest& req) { return (idp->*fn)(req); });
  }
  LogInfo("SAML IdP mounted", {{"entity_id", m->idp->entity_id()}});
  return m;
}

}  // namespace certme
