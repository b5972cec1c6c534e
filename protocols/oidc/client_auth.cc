// Client authentication at the token endpoint (RFC 6749 §2.3, OIDC Core §9,
// RFC 7523, RFC 8705). A client authenticates with exactly the method it
// registered; using two methods at once is refused.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cctype>
#include <memory>
#include <optional>

#include "common/log.h"
#include "crypto/certificate.h"
#include "crypto/hash.h"
#include "crypto/openssl_ptr.h"
#include "protocols/oidc/fapi.h"
#include "protocols/oidc/internal.h"
#include "protocols/oidc/provider.h"
#include "protocols/oidc/records.h"

namespace certme {

using namespace oidc;
using namespace oidc_internal;

struct OidcProvider::ClientKeys {
  std::string fingerprint;  // jwks + certificate the keys were parsed from
  std::vector<std::shared_ptr<const PublicKey>> keys;
};

namespace {

constexpr int kUnauthorized = 401;

OidcError InvalidClient(std::string detail) {
  // One client-facing description for every failure: which check failed is
  // for the logs, not for someone probing client ids.
  return OidcError::Make(kErrInvalidClient, "client authentication failed", std::move(detail),
                         kUnauthorized);
}

bool SecretMatches(const OidcClient& client, std::string_view secret) {
  return !client.client_secret_sha256.empty() &&
         ConstantTimeEquals(HashClientSecret(secret), client.client_secret_sha256);
}

// Far above any real client certificate; bounds the parsing work a
// forwarded header can cause.
constexpr size_t kMaxClientCertificateBytes = 64 * 1024;

// The certificate a TLS terminator forwarded (PEM only); nullopt when absent,
// oversized or unreadable.
std::optional<Certificate> ParseClientCertificatePem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxClientCertificateBytes ||
      pem.find("-----BEGIN") == std::string_view::npos)
    return std::nullopt;
  auto cert = ParseCertificate(pem);
  if (!cert.ok()) return std::nullopt;
  return std::move(cert).value();
}

// A comparable form of a DN string: attribute types uppercased, spaces
// around separators dropped. Not full RFC 4517 distinguishedNameMatch, but
// enough for registered DNs written by hand ("CN=rp, O=Example" matches
// "cn=rp,O=Example") while still comparing values exactly.
std::string NormalizeDn(std::string_view dn) {
  std::string out;
  std::string part;
  auto flush = [&]() {
    size_t b = part.find_first_not_of(' ');
    size_t e = part.find_last_not_of(' ');
    std::string p = b == std::string::npos ? std::string() : part.substr(b, e - b + 1);
    size_t eq = p.find('=');
    if (eq != std::string::npos) {
      std::string type = p.substr(0, eq), value = p.substr(eq + 1);
      while (!type.empty() && type.back() == ' ') type.pop_back();
      size_t vb = value.find_first_not_of(' ');
      value = vb == std::string::npos ? std::string() : value.substr(vb);
      for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      p = type + "=" + value;
    }
    if (!out.empty()) out += ',';
    out += p;
    part.clear();
  };
  bool escaped = false;
  for (char c : dn) {
    if (escaped) {
      part += c;
      escaped = false;
    } else if (c == '\\') {
      part += c;
      escaped = true;
    } else if (c == ',') {
      flush();
    } else {
      part += c;
    }
  }
  flush();
  return out;
}

// The certificate's public key as a key without kid: its SubjectPublicKeyInfo
// is re-read through PEM so that no certificate-derived kid gets attached.
StatusOr<std::shared_ptr<PublicKey>> CertificateKeyWithoutKid(std::string_view cert_pem) {
  auto cert = ParseClientCertificatePem(cert_pem);
  if (!cert) return InvalidArgument("certificate unreadable");
  EVP_PKEY* pkey = cert->public_key();
  openssl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!pkey || !bio || PEM_write_bio_PUBKEY(bio.get(), pkey) != 1)
    return InvalidArgument("certificate key unreadable");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return ParsePublicKeyPem(std::string_view(data, static_cast<size_t>(n)), "");
}

// Registered thumbprints may be hex (with or without colons) or base64url.
std::optional<std::string> DecodeThumbprint(std::string_view text) {
  std::string hex;
  for (char c : text)
    if (c != ':') hex += c;
  if (auto h = HexDecode(hex); h && h->size() == 32) return h;
  if (auto b = Base64UrlDecode(text); b && b->size() == 32) return b;
  return std::nullopt;
}

}  // namespace

namespace oidc_internal {

// Reads a NumericDate (RFC 7519 §2); nullopt when absent or not a sane number.
std::optional<int64_t> NumericDate(const nlohmann::json& payload, std::string_view name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  double d = it->get<double>();
  if (!(d > -1e12 && d < 1e12)) return std::nullopt;
  return static_cast<int64_t>(d);
}

std::optional<std::string> ClientCertificateThumbprint(std::string_view pem) {
  auto cert = ParseClientCertificatePem(pem);
  if (!cert) return std::nullopt;
  return Base64UrlEncode(cert->sha256);
}

bool AudienceContains(const nlohmann::json& aud, const std::vector<std::string>& accepted) {
  auto ok = [&](const nlohmann::json& v) {
    return v.is_string() && Contains(accepted, v.get<std::string>());
  };
  if (aud.is_string()) return ok(aud);
  if (aud.is_array())
    for (const auto& v : aud)
      if (ok(v)) return true;
  return false;
}

}  // namespace oidc_internal

OidcOr<OidcClient> OidcProvider::AuthenticateClient(const HttpRequest& req,
                                                    std::string_view endpoint_path) {
  const Params& f = req.form;
  std::string basic_credentials = AuthCredentials(req.headers.Get("Authorization").value_or(""), "Basic");
  bool basic = !basic_credentials.empty();
  bool post = ParamCount(f, kClientSecret) > 0;
  bool assertion = ParamCount(f, kClientAssertion) > 0 || ParamCount(f, kClientAssertionType) > 0;
  // RFC 6749 §2.3: "The client MUST NOT use more than one authentication
  // method in each request."
  if (int(basic) + int(post) + int(assertion) > 1)
    return InvalidRequest("more than one client authentication method used");
  std::optional<std::string> form_id = ParamGet(f, kClientId);

  if (assertion) return AuthenticatePrivateKeyJwt(req, form_id, endpoint_path);

  std::string client_id, secret;
  if (basic) {
    // RFC 6749 §2.3.1: base64(urlencode(client_id) ":" urlencode(secret)).
    auto decoded = Base64Decode(basic_credentials);
    if (!decoded) return InvalidClient("Basic credentials not base64");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return InvalidClient("Basic credentials without colon");
    auto id = PercentDecode(decoded->substr(0, colon), true);
    auto pw = PercentDecode(decoded->substr(colon + 1), true);
    if (!id || !pw) return InvalidClient("Basic credentials badly encoded");
    client_id = *id;
    secret = *pw;
    if (form_id && *form_id != client_id) return InvalidClient("client_id differs from Basic user");
  } else {
    if (!form_id || form_id->empty()) return InvalidClient("no client authentication");
    client_id = *form_id;
    if (post) secret = *ParamGet(f, kClientSecret);
  }

  auto client = clients_.Get(client_id);
  if (!client.ok()) {
    if (client.status().code() != StatusCode::kNotFound)
      return ServerFailure(client.status());
    return InvalidClient("unknown client " + client_id);
  }
  const std::string& method = client->token_endpoint_auth_method;
  if (basic || post) {
    std::string_view used = basic ? kAuthClientSecretBasic : kAuthClientSecretPost;
    if (method != used) return InvalidClient("client registered for " + method + ", used " + std::string(used));
    if (!SecretMatches(*client, secret)) return InvalidClient("wrong secret for " + client_id);
    return std::move(client).value();
  }
  if (method == kAuthNone) return std::move(client).value();  // public client: PKCE binds the code
  if (method == kAuthTlsClientAuth) {
    if (auto e = CheckTlsClientAuth(req, *client)) return *e;
    return std::move(client).value();
  }
  return InvalidClient("client " + client_id + " sent no credentials for " + method);
}

std::vector<std::shared_ptr<const PublicKey>> OidcProvider::ClientPublicKeys(const OidcClient& client) {
  std::string fingerprint = client.jwks + '\n' + client.certificate_pem;
  {
    std::lock_guard<std::mutex> lock(client_keys_mu_);
    auto it = client_keys_.find(client.client_id);
    if (it != client_keys_.end() && it->second->fingerprint == fingerprint) return it->second->keys;
  }
  // Parse outside the lock; a racing thread may parse the same keys, which
  // is harmless.
  auto parsed = std::make_shared<ClientKeys>();
  parsed->fingerprint = fingerprint;
  if (!client.jwks.empty()) {
    auto doc = nlohmann::json::parse(client.jwks, nullptr, false);
    auto keys = ParsePublicKeyJwks(doc);
    if (keys.ok()) parsed->keys = std::move(keys).value();
    else LogWarn("client jwks unusable", {{"client_id", client.client_id}, {"detail", keys.status().ToString()}});
  }
  if (!client.certificate_pem.empty()) {
    // Without a kid: clients signing with a certificate put all sorts of
    // kids in their headers (x5t, x5t#S256, a key id of their own); the one
    // registered certificate is the key whatever they call it.
    auto key = CertificateKeyWithoutKid(client.certificate_pem);
    if (key.ok()) parsed->keys.push_back(std::move(key).value());
    else LogWarn("client certificate unusable", {{"client_id", client.client_id}, {"detail", key.status().ToString()}});
  }
  std::lock_guard<std::mutex> lock(client_keys_mu_);
  client_keys_[client.client_id] = parsed;
  return parsed->keys;
}

// RFC 7523 §3 and OIDC Core §9 (private_key_jwt).
OidcOr<OidcClient> OidcProvider::AuthenticatePrivateKeyJwt(
    const HttpRequest& req, const std::optional<std::string>& form_id, std::string_view endpoint_path) {
  const Params& f = req.form;
  auto type = ParamGet(f, kClientAssertionType);
  auto assertion = ParamGet(f, kClientAssertion);
  // RFC 7521 §4.2: both parameters, the JWT bearer type.
  if (!type || !assertion) return InvalidRequest("client_assertion and client_assertion_type are both required");
  if (*type != kJwtBearerAssertionType) return InvalidRequest("unsupported client_assertion_type");

  // The issuer names the client whose keys verify the signature.
  auto unverified = DecodeJwtUnverified(*assertion);
  if (!unverified.ok()) return InvalidClient("assertion malformed: " + unverified.status().ToString());
  const auto& up = unverified->payload;
  if (!up.contains(kClaimIss) || !up[kClaimIss].is_string()) return InvalidClient("assertion without iss");
  std::string client_id = up[kClaimIss].get<std::string>();
  if (form_id && *form_id != client_id) return InvalidClient("client_id differs from assertion iss");
  auto client = clients_.Get(client_id);
  if (!client.ok()) {
    if (client.status().code() != StatusCode::kNotFound)
      return ServerFailure(client.status());
    return InvalidClient("assertion from unknown client");
  }
  if (client->token_endpoint_auth_method != kAuthPrivateKeyJwt)
    return InvalidClient("client " + client_id + " is not registered for private_key_jwt");
  auto keys = ClientPublicKeys(*client);
  if (keys.empty()) return InvalidClient("client " + client_id + " has no usable keys");
  // FAPI 2.0 §5.4: a FAPI 2.0 client's assertions only PS256, ES256 or EdDSA.
  auto verified = VerifyJwt(*assertion, keys, SignedObjectAlgs(*client));
  if (!verified.ok()) return InvalidClient("assertion signature: " + verified.status().ToString());
  const nlohmann::json& p = verified->payload;

  // RFC 7523 §3 items 1-2: iss and sub are the client_id.
  if (!p.contains(kClaimSub) || p[kClaimSub] != client_id) return InvalidClient("assertion sub is not the client_id");
  // Item 3: aud identifies us: the token endpoint URL, the issuer, or the
  // URL of the endpoint the assertion was sent to (revocation,
  // introspection, PAR: RFC 9126 §2 accepts the issuer or that URL).
  if (!p.contains(kClaimAud) ||
      !AudienceContains(p[kClaimAud], {Url(kPathToken), opts_.issuer, Url(endpoint_path)}))
    return InvalidClient("assertion aud is not this server");
  // Item 4: exp required, not passed; bounded so the jti cache stays small.
  int64_t now = Now(), skew = opts_.clock_skew_seconds;
  auto exp = NumericDate(p, kClaimExp);
  if (!exp) return InvalidClient("assertion without exp");
  if (*exp <= now - skew) return InvalidClient("assertion expired");
  if (*exp - now > opts_.max_client_assertion_ttl_seconds + skew) return InvalidClient("assertion lives too long");
  // Item 5: nbf, if present; iat must not be in the future.
  if (auto nbf = NumericDate(p, kClaimNbf); nbf && *nbf > now + skew) return InvalidClient("assertion not yet valid");
  if (p.contains(kClaimNbf) && !NumericDate(p, kClaimNbf)) return InvalidClient("assertion nbf malformed");
  if (auto iat = NumericDate(p, kClaimIat); iat && *iat > now + skew) return InvalidClient("assertion issued in the future");
  // Item 7 / OIDC Core §9: jti is required and single-use.
  if (!p.contains(kClaimJti) || !p[kClaimJti].is_string()) return InvalidClient("assertion without jti");
  std::string jti = p[kClaimJti].get<std::string>();
  if (jti.empty() || jti.size() > 512) return InvalidClient("assertion jti of bad length");
  int64_t remember = std::max<int64_t>(*exp - now + skew, 1);
  Status st = store_.PutIfAbsent(kJtiNs, Sha256Hex(client_id + '\n' + jti), "1",
                                 std::chrono::seconds(remember));
  if (st.code() == StatusCode::kAlreadyExists) return InvalidClient("assertion jti replayed");
  if (!st.ok()) return ServerFailure(st);
  return std::move(client).value();
}

// RFC 8705 §2.1: the certificate forwarded by the TLS terminator (which
// validated its chain) must carry the registered subject DN and/or be the
// registered certificate (SHA-256 thumbprint); each registered criterion
// must hold. Validity dates are checked here as well.
CheckResult OidcProvider::CheckTlsClientAuth(const HttpRequest& req, const OidcClient& client) {
  if (req.client_cert_pem.empty()) return InvalidClient("no client certificate for tls_client_auth");
  auto cert = ParseClientCertificatePem(req.client_cert_pem);
  if (!cert) return InvalidClient("client certificate unreadable");
  if (!cert->ValidAt(Now())) return InvalidClient("client certificate outside its validity period");
  if (!client.tls_client_auth_subject_dn.empty()) {
    const std::string& dn = cert->subject;
    if (dn.empty() || NormalizeDn(dn) != NormalizeDn(client.tls_client_auth_subject_dn))
      return InvalidClient("client certificate subject " + dn + " is not the registered DN");
  }
  if (!client.tls_client_certificate_sha256.empty()) {
    auto expected = DecodeThumbprint(client.tls_client_certificate_sha256);
    if (!expected || !ConstantTimeEquals(*expected, cert->sha256))
      return InvalidClient("client certificate is not the registered one");
  }
  return std::nullopt;
}

}  // namespace certme
