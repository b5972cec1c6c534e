// Feeds arbitrary requests to the OIDC token endpoint, including the
// private_key_jwt client assertion path (RFC 7523) with a registered client
// key, Basic credentials, forwarded client certificates and DPoP proofs
// (RFC 9449; a "DPoP: …" header line).
//
// Input: optional header lines ("Authorization: …", "Content-Type: …",
// "Cert: …" for the forwarded client certificate PEM), an empty line, then
// the form body; without an empty line the whole input is the body.
// Invariants: no crash; the answer is 200/400/401 JSON with
// Cache-Control: no-store; errors carry a known code; never a 5xx.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "crypto/jose.h"
#include "store/store.h"
#include "store/memory/memory_store.h"
#include "protocols/claims/claims_catalogue.h"
#include "protocols/oidc/client.h"
#include "protocols/oidc/provider.h"

namespace {

using namespace certme;

// A P-256 key made for this fuzz target only (its seeds are signed with it).
constexpr char kClientKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKP2Z3NrN1o9QunB4\n"
    "7PXyB1hINmbUt3Ra2RxSIaLhWWehRANCAAT/QiWlwOeNsLCxPfrdiV7bREdIHRiQ\n"
    "HdDuX2jFZpVEEr2jU/kzbW2zpVv0lAfWPpEeM45sg7TllhCY2e7WnbLo\n"
    "-----END PRIVATE KEY-----\n";

class NoLogin : public Authenticator {
 public:
  HttpResponse Begin(const LoginRequest&) override { return HttpResponse::Text(503, ""); }
};
class NoNotifier : public LogoutNotifier {
 public:
  void PostLogoutToken(const std::string&, const std::string&, const std::string&) override {}
};

struct Harness {
  // Seeds carry exp 1700000060: the clock stands just before.
  FakeClock clock{1'700'000'000'000};
  std::unique_ptr<Store> store;
  KeySet keys{&clock};
  std::unique_ptr<ClientRegistry> clients;
  ClaimsCatalogue catalogue;
  NoLogin login;
  NoNotifier notifier;
  FakeRandom random{7};
  std::unique_ptr<OidcProvider> op;

  Harness() {
    MemoryStoreOptions mo;
    mo.clock = &clock;
    store = NewMemoryStore(mo);
    keys.Add(GenerateSigningKey("EC", "op-ec").value(), KeySet::State::kActive);
    clients = NewStoreClientRegistry(*store);
    catalogue = ClaimsCatalogue::FromYaml(
                    "claims:\n  - {key: first_name, oidc_claim: given_name, scope: profile, "
                    "saml_name: FirstName, type: string}\n")
                    .value();
    auto client_key = ParseSigningKeyPem(kClientKeyPem, "fz-key").value();
    auto add = [&](const std::string& id, const std::string& method) {
      OidcClient c;
      c.client_id = id;
      c.token_endpoint_auth_method = method;
      c.redirect_uris = {"https://rp.fuzz/cb"};
      c.grant_types = {"authorization_code", "refresh_token"};
      if (method != "none") c.grant_types.push_back("client_credentials");
      c.grant_types.push_back("urn:ietf:params:oauth:grant-type:device_code");
      c.scopes = {"openid", "profile", "reports"};
      if (method == "client_secret_basic" || method == "client_secret_post")
        c.client_secret_sha256 = HashClientSecret("secret");
      if (method == "private_key_jwt")
        c.jwks = nlohmann::json{{"keys", {client_key->ToJwk()}}}.dump();
      if (method == "tls_client_auth") c.tls_client_auth_subject_dn = "CN=fz";
      if (!clients->Put(c).ok()) std::abort();
    };
    add("fz-basic", "client_secret_basic");
    add("fz-post", "client_secret_post");
    add("fz-jwt", "private_key_jwt");
    add("fz-public", "none");
    add("fz-tls", "tls_client_auth");
    OidcOptions o;
    o.issuer = "https://idp.fuzz";
    o.pairwise_salt = Secret(std::string(32, 's'));
    op = std::make_unique<OidcProvider>(o, *store, keys, *clients, login, catalogue, notifier, clock,
                                        random);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpRequest req;
  req.method = "POST";
  req.path = "/token";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  std::string_view body = in;
  if (size_t split = in.find("\n\n"); split != std::string_view::npos) {
    std::string_view head = in.substr(0, split);
    body = in.substr(split + 2);
    while (!head.empty()) {
      size_t nl = head.find('\n');
      std::string_view line = head.substr(0, nl);
      head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
      size_t colon = line.find(": ");
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon), value = line.substr(colon + 2);
      if (name == "Cert") req.client_cert_pem = std::string(value);
      else req.headers.Set(name, std::string(value));
    }
  }
  req.body = std::string(body);
  if (auto form = ParseUrlEncoded(body)) req.form = std::move(*form);

  HttpResponse r = h->op->Token(req);
  if (std::getenv("CERTME_FUZZ_VERBOSE")) std::fprintf(stderr, "%d %s\n", r.status, r.body.c_str());
  if (r.status != 200 && r.status != 400 && r.status != 401) std::abort();
  if (r.headers.Get("Cache-Control") != "no-store") std::abort();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object()) std::abort();
  if (r.status == 200) {
    if (!j.contains("access_token")) std::abort();
  } else {
    static const std::set<std::string> kCodes = {
        "invalid_request", "invalid_client",         "invalid_grant", "unauthorized_client",
        "invalid_scope",   "unsupported_grant_type",
        // RFC 8628 §3.5: the device_code grant's answers.
        "authorization_pending", "slow_down", "expired_token", "access_denied",
        // RFC 9449 §5, §8: DPoP proofs and server nonces.
        "invalid_dpop_proof", "use_dpop_nonce"};
    if (!j.contains("error") || !j["error"].is_string() || !kCodes.contains(j["error"].get<std::string>()))
      std::abort();
  }
  // Let time pass between inputs so expiry paths are reached too.
  h->clock.Advance(std::chrono::milliseconds(250));
  return 0;
}
