#include "tools/wallet_approve.h"

#include <curl/curl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "crypto/ecies.h"
#include "ledger-client/abi.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"

namespace certme {

using nlohmann::json;

namespace {

constexpr size_t kMaxResponseBytes = 256 * 1024;
// Sends of one answer when the earlier ones got no reply.
constexpr int kAnswerAttempts = 4;

bool IsLoopbackHttp(std::string_view url) {
  for (std::string_view p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                             "http://[::1]:", "http://[::1]/"})
    if (url.rfind(p, 0) == 0) return true;
  return false;
}

struct HttpResult {
  long status = 0;
  std::string body;
};

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() + size * n > kMaxResponseBytes) return 0;
  out->append(data, size * n);
  return size * n;
}

StatusOr<HttpResult> Fetch(const std::string& url, const std::string* post_json,
                           const std::string& ca_file) {
  static const bool kInit = (curl_global_init(CURL_GLOBAL_DEFAULT), true);
  (void)kInit;
  CURL* c = curl_easy_init();
  if (!c) return Internal("curl_easy_init failed");
  HttpResult r;
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (post_json) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_json->c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(post_json->size()));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);  // the bridge may wait for a validator
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK) return Unavailable(std::string("cannot reach the bridge: ") + curl_easy_strerror(rc));
  return r;
}

// True when the body is the bridge's JSON error object.
bool BridgeAnswered(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string();
}

std::string ErrorText(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    std::string s = j["error"].get<std::string>();
    if (j.contains("error_description") && j["error_description"].is_string())
      s += ": " + j["error_description"].get<std::string>();
    return s;
  }
  return "HTTP " + std::to_string(r.status);
}

std::string Pick(const json& names, const char* lang) {
  if (names.is_object() && names.contains(lang) && names[lang].is_string()) return names[lang].get<std::string>();
  return "";
}

}  // namespace

StatusOr<LoginLink> ParseLoginLink(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  LoginLink link;
  constexpr std::string_view kScheme = "certme://login?";
  if (text.rfind(kScheme, 0) == 0) {
    auto params = ParseUrlEncoded(text.substr(kScheme.size()));
    if (!params) return InvalidArgument("malformed certme:// link");
    link.api_base = ParamGet(*params, "u").value_or("");
    link.code = ParamGet(*params, "c").value_or("");
  } else {
    size_t p = text.rfind("/l/");
    if (p == std::string_view::npos) return InvalidArgument("not a certME login link");
    link.api_base = std::string(text.substr(0, p));
    link.code = std::string(text.substr(p + 3));
  }
  if (link.code.empty() || link.code.size() > 128 ||
      !std::all_of(link.code.begin(), link.code.end(),
                   [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'; }))
    return InvalidArgument("the link carries no valid code");
  // §2: https only, plain http for loopback development servers.
  if (link.api_base.rfind("https://", 0) != 0 && !IsLoopbackHttp(link.api_base))
    return InvalidArgument("the wallet API must be https (http only on loopback): " + link.api_base);
  while (!link.api_base.empty() && link.api_base.back() == '/') link.api_base.pop_back();
  return link;
}

StatusOr<std::string> DecodeQrImage(const std::string& png_path) {
  int out[2];
  if (pipe(out) != 0) return Internal("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    execlp("zbarimg", "zbarimg", "--raw", "-q", "--oneshot", "-Sdisable", "-Sqrcode.enable", png_path.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0 && text.size() < 64 * 1024) text.append(buf, n);
  close(out[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) return Unavailable("zbarimg is not installed (Debian zbar-tools)");
  if (WEXITSTATUS(st) != 0 || text.empty()) return NotFound("no QR code found in " + png_path);
  if (auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  return text;
}

Status ApproveLogin(const LoginLink& link, const WalletContents& wallet, ApproveChoice choice,
                    const std::string& ca_file) {
  const std::string url = link.api_base + "/requests/" + link.code;
  CERTME_ASSIGN_OR_RETURN(HttpResult got, Fetch(url, nullptr, ca_file));
  if (got.status != 200) return FailedPrecondition("the bridge refused the request: " + ErrorText(got));
  json doc = json::parse(got.body, nullptr, false);
  try {
    if (!doc.is_object() || doc.at("version") != 1) return InvalidArgument("unsupported request version");
    if (doc.at("code") != link.code) return InvalidArgument("the request is for another code");
    const int64_t expiry = doc.at("expiry").get<int64_t>();
    if (SystemClock().NowUnixSeconds() >= expiry) return FailedPrecondition("the request has expired");
    const json& service = doc.at("service");
    std::string service_id = service.at("id").get<std::string>();
    std::string name = Pick(service["names"], "ro");
    std::printf("Service: %s (%s)\n", name.empty() ? service_id.c_str() : name.c_str(), service_id.c_str());
    if (auto en = Pick(service["names"], "en"); !en.empty()) std::printf("         %s\n", en.c_str());
    std::printf("Purpose: %s\n", Pick(doc["purpose"], "ro").c_str());
    std::vector<std::string> names = doc.at("attributes").get<std::vector<std::string>>();
    std::printf("Asks for: ");
    for (size_t i = 0; i < names.size(); ++i) std::printf("%s%s", i ? ", " : "", names[i].c_str());
    std::printf("%s\n", names.empty() ? "(no attributes)" : "");

    bool approve = choice == ApproveChoice::kApprove;
    if (choice == ApproveChoice::kAsk) {
      if (!isatty(STDIN_FILENO)) return FailedPrecondition("not a terminal: pass --yes or --refuse");
      std::printf("Approve? [y/N] ");
      std::fflush(stdout);
      std::string line;
      std::getline(std::cin, line);
      approve = line == "y" || line == "Y" || line == "yes";
    }
    json answer = {{"version", 1}, {"code", link.code}};
    if (!approve) {
      answer["refused"] = true;
    } else {
      // Values and salts exactly as enrolled, in the request's order.
      json plain = json::array();
      std::string commitments;
      std::vector<Bytes32> keys;
      for (const auto& n : names) {
        auto it = std::find_if(wallet.attributes.begin(), wallet.attributes.end(),
                               [&](const DisclosedAttribute& d) { return d.name == n; });
        if (it == wallet.attributes.end()) return FailedPrecondition("this wallet holds no attribute \"" + n + "\"");
        plain.push_back({{"key", n}, {"value", it->value}, {"salt", "0x" + HexEncode(abi::AsView(it->salt))}});
        keys.push_back(AttributeKey(n));
        commitments.append(abi::AsView(AttributeCommitment(wallet.key.address(), keys.back(), it->value, it->salt)));
      }
      auto bridge_key = HexDecode(doc.at("bridgeKey").get<std::string>());
      if (!bridge_key) return InvalidArgument("bridgeKey is not hex");
      CERTME_ASSIGN_OR_RETURN(std::string payload, EciesEncrypt(*bridge_key, plain.dump(), SystemRandom()));
      json login_types = {{"Login",
                           {{{"name", "code"}, {"type", "string"}},
                            {{"name", "nonce"}, {"type", "bytes32"}},
                            {{"name", "service"}, {"type", "string"}},
                            {{"name", "attributesHash"}, {"type", "bytes32"}},
                            {{"name", "expiry"}, {"type", "uint256"}}}}};
      json typed = {{"types", login_types},
                    {"primaryType", "Login"},
                    {"domain", doc.at("domain")},
                    {"message",
                     {{"code", link.code},
                      {"nonce", doc.at("nonce")},
                      {"service", service_id},
                      {"attributesHash", "0x" + HexEncode(abi::AsView(Keccak256(commitments)))},
                      {"expiry", expiry}}}};
      CERTME_ASSIGN_OR_RETURN(Bytes32 digest, TypedDataDigest(typed));
      answer["eid"] = wallet.key.AddressHex();
      answer["loginSignature"] = wallet.key.SignDigest(digest).ToHex();
      answer["attributes"] = Base64UrlEncode(payload);
      if (doc.contains("consent") && doc["consent"].is_object()) {
        const json& d = doc.at("domain");
        Eip712Domain domain;
        domain.chain_id = d.at("chainId").get<uint64_t>();
        CERTME_ASSIGN_OR_RETURN(domain.verifying_contract, ParseAddress(d.at("verifyingContract").get<std::string>()));
        Consent c;
        c.user = wallet.key.address();
        CERTME_ASSIGN_OR_RETURN(c.provider, ParseAddress(doc["consent"].at("provider").get<std::string>()));
        c.attr_keys = keys;
        auto nonce = HexDecode(doc.at("nonce").get<std::string>());
        if (!nonce || nonce->size() != 32) return InvalidArgument("nonce is not 32 bytes");
        c.nonce = abi::ToBytes32(*nonce);
        c.expiry = doc["consent"].at("expiry").get<uint64_t>();
        answer["consentSignature"] = SignConsent(wallet.key, domain, c).ToHex();
      }
    }
    std::string body = answer.dump();
    // A POST that got no answer (connection lost, or 502/503/504 from a
    // proxy whose replica died) is resent byte for byte: the bridge resumes
    // an identical answer (docs/wallet-protocol.md §7).
    StatusOr<HttpResult> sent = Fetch(url, &body, ca_file);
    for (int attempt = 1; attempt < kAnswerAttempts; ++attempt) {
      // 503 is always worth another try (a replica whose store is away). A
      // 502/504 is a lost answer only when a proxy wrote it: the bridge's own
      // 504 (a JSON "error", validator_timeout) is the final outcome.
      bool lost = !sent.ok() || sent->status == 503 ||
                  ((sent->status == 502 || sent->status == 504) && !BridgeAnswered(*sent));
      if (!lost) break;
      std::fprintf(stderr, "no answer from the bridge (%s); sending the answer again\n",
                   sent.ok() ? ("HTTP " + std::to_string(sent->status)).c_str() : sent.status().message().c_str());
      std::this_thread::sleep_for(std::chrono::seconds(1));
      sent = Fetch(url, &body, ca_file);
    }
    CERTME_ASSIGN_OR_RETURN(HttpResult posted, std::move(sent));
    if (posted.status != 200) return FailedPrecondition("the bridge refused the answer: " + ErrorText(posted));
    std::printf(approve ? "Approved: the browser continues.\n" : "Refused: the browser shows the refusal.\n");
    return Status();
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("malformed request document: ") + e.what());
  }
}

}  // namespace certme
