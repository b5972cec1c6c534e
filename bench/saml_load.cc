// saml_load: the SAML IdP end to end over HTTP, as a service provider and
// its users drive it (bench/README.md). Each flow is a fresh browser:
//
//   1. GET /saml/sso with an AuthnRequest in the HTTP-Redirect binding,
//      signed (rsa-sha256 query signature) with the SP's key → 302 to the
//      development login;
//   2. POST /login/dev (txn, identity) → 302 to /saml/resume;
//   3. GET /saml/resume → 200, the auto-post page with the signed Response;
//   4. the Response is checked as an SP would: base64, parsed, the
//      Response signature verified with the IdP certificate, Success,
//      InResponseTo = our request ID, an Assertion or an EncryptedAssertion.
//
// Signing the AuthnRequest and verifying the Response cost the generator
// CPU; the figure to keep is flows per *server* CPU-second (from
// /proc/<pid>/stat), which that does not touch.
#include <getopt.h>
#include <libxml/tree.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/oidc_load/http_client.h"
#include "bench/oidc_load/stats.h"
#include "common/encoding.h"
#include "common/random.h"
#include "crypto/evp.h"
#include "crypto/jose.h"
#include "protocols/saml/dsig.h"
#include "protocols/saml/messages.h"
#include "protocols/saml/vocabulary.h"
#include "protocols/saml/xml.h"

namespace certme::bench {
namespace {

struct Options {
  std::string url;
  std::string key_file;       // the SP's RSA private key (PEM)
  std::string idp_cert_file;  // the IdP's signing certificate (PEM)
  std::string entity_id;
  std::string acs;
  std::string identity = "ion";
  std::string label = "saml";
  int server_pid = 0;
  int workers = 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int duration = 8;
  int warmup = 2;
  bool json = false;
};

struct Totals {
  std::mutex mu;
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;
  std::string first_error;
  std::vector<uint32_t> latencies_us;
};

std::string Now8601() {
  return saml::FormatSamlTime(std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count());
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Flow {
 public:
  Flow(const Options& o, LoopbackUrl origin, EVP_PKEY* sp_key, EVP_PKEY* idp_key)
      : o_(o), conn_(origin), sp_key_(sp_key), idp_key_(idp_key) {}

  // Empty on success, else an error kind; `detail` gets text for the first error.
  std::string Run(std::string* detail) {
    jar_.Clear();
    const std::string id = "_" + HexEncode(SystemRandom().Bytes(16));
    std::string xml = "<samlp:AuthnRequest xmlns:samlp=\"" + std::string(saml::kNsProtocol) +
                      "\" xmlns:saml=\"" + std::string(saml::kNsAssertion) + "\" ID=\"" + id +
                      "\" Version=\"2.0\" IssueInstant=\"" + Now8601() + "\" Destination=\"" + o_.url +
                      std::string(saml::kPathSso) + "\" AssertionConsumerServiceURL=\"" + o_.acs +
                      "\" ProtocolBinding=\"" + std::string(saml::kBindingPost) + "\"><saml:Issuer>" +
                      o_.entity_id + "</saml:Issuer></samlp:AuthnRequest>";
    std::string q = "SAMLRequest=" + PercentEncode(saml::DeflateAndBase64(xml)) + "&RelayState=bench&SigAlg=" +
                    PercentEncode(saml::kAlgRsaSha256);
    auto sig = saml::SignRedirect(sp_key_, q);
    if (!sig.ok()) return "client:sign";
    ClientRequest req;
    req.target = std::string(saml::kPathSso) + "?" + q + "&Signature=" + PercentEncode(Base64Encode(*sig));
    auto r1 = Send(req);
    if (!r1.ok()) return "sso:" + r1.status().ToString().substr(0, 40);
    if (r1->status != 302) return Http("sso", *r1, detail);
    auto loc = r1->Header("location");
    auto next = loc ? ResolveSameOrigin(conn_.origin(), *loc) : StatusOr<LoopbackUrl>(InvalidArgument("none"));
    if (!next.ok()) return "sso:bad_redirect";
    auto qpos = next->target.find('?');
    auto query = ParseUrlEncoded(qpos == std::string::npos ? "" : next->target.substr(qpos + 1));
    auto txn = query ? ParamGet(*query, "txn") : std::nullopt;
    if (!txn) return "sso:no_txn";

    ClientRequest login;
    login.method = "POST";
    login.target = next->target.substr(0, qpos);
    login.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    login.body = EncodeUrlEncoded({{"txn", *txn}, {"identity", o_.identity}});
    auto r2 = Send(login);
    if (!r2.ok()) return "login:" + r2.status().ToString().substr(0, 40);
    if (r2->status != 302 && r2->status != 303) return Http("login", *r2, detail);
    auto loc2 = r2->Header("location");
    auto resume = loc2 ? ResolveSameOrigin(conn_.origin(), *loc2) : StatusOr<LoopbackUrl>(InvalidArgument("none"));
    if (!resume.ok()) return "login:bad_redirect";

    ClientRequest rq;
    rq.target = resume->target;
    auto r3 = Send(rq);
    if (!r3.ok()) return "resume:" + r3.status().ToString().substr(0, 40);
    if (r3->status != 200) return Http("resume", *r3, detail);
    static const std::regex re("name=\"SAMLResponse\" value=\"([^\"]+)\"");
    std::smatch m;
    if (!std::regex_search(r3->body, m, re)) return "response:no_form";
    auto resp = saml::DecodePostMessage(m[1].str());
    if (!resp.ok()) return "response:base64";
    auto doc = saml::ParseUntrustedXml(*resp);
    if (!doc.ok()) return "response:xml";
    xmlNode* root = xmlDocGetRootElement(doc->get());
    if (!saml::IsElement(root, saml::kNsProtocol, "Response")) return "response:root";
    if (!saml::VerifyEnvelopedSignature(doc->get(), root, idp_key_).ok()) return "response:signature";
    if (saml::Attr(root, "InResponseTo").value_or("") != id) return "response:in_response_to";
    xmlNode* status = saml::ChildElement(root, saml::kNsProtocol, "Status");
    xmlNode* code = status ? saml::ChildElement(status, saml::kNsProtocol, "StatusCode") : nullptr;
    if (!code || saml::Attr(code, "Value").value_or("") != saml::kStatusSuccess) {
      if (detail->empty()) *detail = resp->substr(0, 400);
      return "response:status";
    }
    if (!saml::ChildElement(root, saml::kNsAssertion, "Assertion") &&
        !saml::ChildElement(root, saml::kNsAssertion, "EncryptedAssertion"))
      return "response:no_assertion";
    return {};
  }

 private:
  StatusOr<ClientResponse> Send(ClientRequest req) {
    if (std::string c = jar_.Header(); !c.empty()) req.headers.emplace_back("Cookie", c);
    auto r = conn_.RoundTrip(req);
    if (r.ok()) jar_.Update(*r);
    return r;
  }
  static std::string Http(const char* step, const ClientResponse& r, std::string* detail) {
    if (detail->empty()) *detail = r.body.substr(0, 300);
    return std::string(step) + ":http_" + std::to_string(r.status);
  }

  const Options& o_;
  HttpConnection conn_;
  CookieJar jar_;
  EVP_PKEY* sp_key_;
  EVP_PKEY* idp_key_;
};

void Usage() {
  std::fprintf(stderr,
               "saml_load --url http://127.0.0.1:PORT --key SP_KEY.pem --idp-cert IDP_CERT.pem\n"
               "          --entity-id SP_ENTITY_ID --acs SP_ACS_URL [--server-pid PID]\n"
               "          [--workers N] [--duration S (1..60)] [--warmup S (0..10)] [--label TEXT] [--json]\n");
}

int Main(int argc, char** argv) {
  Options o;
  static const option kLong[] = {{"url", required_argument, nullptr, 'u'},
                                 {"key", required_argument, nullptr, 'k'},
                                 {"idp-cert", required_argument, nullptr, 'c'},
                                 {"entity-id", required_argument, nullptr, 'e'},
                                 {"acs", required_argument, nullptr, 'a'},
                                 {"server-pid", required_argument, nullptr, 'p'},
                                 {"workers", required_argument, nullptr, 'w'},
                                 {"duration", required_argument, nullptr, 'd'},
                                 {"warmup", required_argument, nullptr, 'W'},
                                 {"label", required_argument, nullptr, 'l'},
                                 {"json", no_argument, nullptr, 'j'},
                                 {"help", no_argument, nullptr, 'h'},
                                 {nullptr, 0, nullptr, 0}};
  for (int c; (c = getopt_long(argc, argv, "", kLong, nullptr)) != -1;) {
    try {
      switch (c) {
        case 'u': o.url = optarg; break;
        case 'k': o.key_file = optarg; break;
        case 'c': o.idp_cert_file = optarg; break;
        case 'e': o.entity_id = optarg; break;
        case 'a': o.acs = optarg; break;
        case 'p': o.server_pid = std::stoi(optarg); break;
        case 'w': o.workers = std::stoi(optarg); break;
        case 'd': o.duration = std::stoi(optarg); break;
        case 'W': o.warmup = std::stoi(optarg); break;
        case 'l': o.label = optarg; break;
        case 'j': o.json = true; break;
        default: Usage(); return c == 'h' ? 0 : 2;
      }
    } catch (...) {
      Usage();
      return 2;
    }
  }
  if (o.url.empty() || o.key_file.empty() || o.idp_cert_file.empty() || o.entity_id.empty() || o.acs.empty() ||
      o.workers < 1 || o.workers > 256 || o.duration < 1 || o.duration > 60 || o.warmup < 0 || o.warmup > 10) {
    Usage();
    return 2;
  }
  auto origin = ParseLoopbackUrl(o.url);
  if (!origin.ok()) {
    std::fprintf(stderr, "saml_load: %s\n", origin.status().ToString().c_str());
    return 2;
  }
  if (Status st = saml::InitXmlSecurity(); !st.ok()) {
    std::fprintf(stderr, "saml_load: %s\n", st.ToString().c_str());
    return 1;
  }
  auto sp_key = LoadSigningKeyPem(o.key_file, "sp");
  auto idp_key = ParsePublicKeyFromCertificate(ReadAll(o.idp_cert_file));
  if (!sp_key.ok() || !idp_key.ok()) {
    std::fprintf(stderr, "saml_load: cannot load --key or --idp-cert\n");
    return 2;
  }
  EVP_PKEY* spk = BorrowEvpPkey(**sp_key);
  EVP_PKEY* idk = BorrowEvpPkey(**idp_key);
  // A wedged server must not hang the benchmark.
  alarm(static_cast<unsigned>(o.duration + o.warmup + 60));

  Totals totals;
  std::atomic<bool> measuring{false}, stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < o.workers; ++i)
    threads.emplace_back([&] {
      Flow flow(o, *origin, spk, idk);
      std::vector<uint32_t> lat;
      uint64_t ok = 0;
      std::map<std::string, uint64_t> errs;
      std::string first;
      while (!stop.load()) {
        auto t0 = std::chrono::steady_clock::now();
        std::string detail;
        std::string err = flow.Run(&detail);
        if (!measuring.load()) continue;
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        if (err.empty()) {
          ++ok;
          lat.push_back(static_cast<uint32_t>(std::min<int64_t>(us, UINT32_MAX)));
        } else {
          ++errs[err];
          if (first.empty()) first = err + ": " + detail;
        }
      }
      std::lock_guard<std::mutex> lock(totals.mu);
      totals.ok += ok;
      for (auto& [k, v] : errs) totals.errors[k] += v;
      if (totals.first_error.empty()) totals.first_error = first;
      totals.latencies_us.insert(totals.latencies_us.end(), lat.begin(), lat.end());
    });

  std::this_thread::sleep_for(std::chrono::seconds(o.warmup));
  auto cpu0 = o.server_pid ? ReadProcCpu(o.server_pid) : StatusOr<ProcCpu>(NotFound(""));
  ProcCpu self0 = SelfCpu();
  auto t0 = std::chrono::steady_clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::seconds(o.duration));
  measuring = false;
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto cpu1 = o.server_pid ? ReadProcCpu(o.server_pid) : StatusOr<ProcCpu>(NotFound(""));
  ProcCpu self1 = SelfCpu();
  auto mem = o.server_pid ? ReadProcMemory(o.server_pid) : StatusOr<ProcMemory>(NotFound(""));
  stop = true;
  for (auto& t : threads) t.join();

  LatencySummary lat = Summarize(totals.latencies_us);
  double per_s = totals.ok / wall;
  double server_cpu = cpu0.ok() && cpu1.ok() ? cpu1->total() - cpu0->total() : -1;
  double per_cpu_s = server_cpu > 0 ? totals.ok / server_cpu : -1;
  double self_cpu = self1.total() - self0.total();
  uint64_t nerr = 0;
  for (auto& [k, v] : totals.errors) nerr += v;
  if (o.json) {
    std::string errs;
    for (auto& [k, v] : totals.errors) errs += (errs.empty() ? "" : ",") + ("\"" + k + "\":" + std::to_string(v));
    std::printf("{\"label\":\"%s\",\"flows\":%llu,\"errors\":%llu,\"flows_per_s\":%.1f,\"server_cpu_s\":%.3f,"
                "\"flows_per_server_cpu_s\":%.1f,\"server_cores\":%.2f,\"client_cpu_s\":%.3f,\"p50_ms\":%.2f,"
                "\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"server_rss_kib\":%lld,\"error_kinds\":{%s}}\n",
                o.label.c_str(), static_cast<unsigned long long>(totals.ok), static_cast<unsigned long long>(nerr),
                per_s, server_cpu, per_cpu_s, server_cpu > 0 ? server_cpu / wall : -1, self_cpu, lat.p50_ms,
                lat.p90_ms, lat.p99_ms, mem.ok() ? static_cast<long long>(mem->rss_kib) : -1LL, errs.c_str());
  } else {
    std::printf("%s: %llu flows in %.1f s = %.1f flows/s; server CPU %.2f s (%.2f cores) = %.1f flows per server "
                "CPU-second; generator CPU %.2f s; latency p50 %.2f ms p90 %.2f ms p99 %.2f ms; errors %llu\n",
                o.label.c_str(), static_cast<unsigned long long>(totals.ok), wall, per_s, server_cpu,
                server_cpu > 0 ? server_cpu / wall : -1, per_cpu_s, self_cpu, lat.p50_ms, lat.p90_ms, lat.p99_ms,
                static_cast<unsigned long long>(nerr));
    for (auto& [k, v] : totals.errors) std::printf("  error %s: %llu\n", k.c_str(), static_cast<unsigned long long>(v));
  }
  if (!totals.first_error.empty()) std::fprintf(stderr, "first error: %s\n", totals.first_error.c_str());
  return totals.ok > 0 && nerr == 0 ? 0 : 1;
}

}  // namespace
}  // namespace certme::bench

int main(int argc, char** argv) { return certme::bench::Main(argc, argv); }
