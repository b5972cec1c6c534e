#include "tools/wallet_approve.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/random.h"
#include "protocols/wallet/request_document.h"
#include "protocols/wallet/vocabulary.h"
#include "protocols/wallet/wallet_side.h"
#include "tools/wallet_prompt.h"

namespace certme {

using nlohmann::json;

namespace {

constexpr size_t kMaxResponseBytes = 256 * 1024;
// Sends of one answer when the earlier ones got no reply.
constexpr int kAnswerAttempts = 4;

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
  return j.is_object() && j.contains(wallet::kFieldError) && j[wallet::kFieldError].is_string();
}

std::string ErrorText(const HttpResult& r) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains(wallet::kFieldError) && j[wallet::kFieldError].is_string()) {
    std::string s = j[wallet::kFieldError].get<std::string>();
    if (j.contains(wallet::kFieldErrorDescription) && j[wallet::kFieldErrorDescription].is_string())
      s += ": " + j[wallet::kFieldErrorDescription].get<std::string>();
    return s;
  }
  return "HTTP " + std::to_string(r.status);
}

// What the user reads when the request document cannot be answered
// (wallet_side.h names the problem in the status message).
Status DocumentProblem(const Status& st) {
  const std::string& what = st.message();
  if (what == "version") return InvalidArgument("unsupported request version");
  if (what == "code") return InvalidArgument("the request is for another code");
  if (what == "expired") return FailedPrecondition("the request has expired");
  if (what == "attribute_not_held") return FailedPrecondition("this wallet holds no attribute \"" + st.detail() + "\"");
  if (what == "bridge_key") return InvalidArgument("bridgeKey does not encrypt: " + st.detail());
  return InvalidArgument("malformed request document: " + (st.detail().empty() ? st.ToString() : st.detail()));
}

}  // namespace

StatusOr<std::string> DecodeQrImage(const std::string& png_path) {
  if (access(png_path.c_str(), R_OK) != 0) return NotFound("cannot read " + png_path);
  int out[2];
  if (pipe(out) != 0) return Internal("pipe failed");
  pid_t pid = fork();
  if (pid < 0) return Internal("fork failed");
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    // zbarimg's image libraries print noise (a missing D-Bus, …) that says
    // nothing to the user: its exit status is the answer.
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDERR_FILENO);
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

namespace {

// The exchange of `certme wallet approve` (a login) and `certme wallet
// sign` (§10): the document must be of `kind`.
Status AnswerRequest(const LoginLink& link, const WalletContents& contents, ApproveChoice choice,
                     const std::string& lang, const std::string& ca_file, wallet::RequestKind kind) {
  const std::string url = wallet::RequestUrl(link.api_base, link.code);
  CERTME_ASSIGN_OR_RETURN(HttpResult got, Fetch(url, nullptr, ca_file));
  if (got.status != 200) return FailedPrecondition("the bridge refused the request: " + ErrorText(got));
  auto doc = wallet::ParseRequestDocument(got.body);
  if (!doc.ok()) return DocumentProblem(doc.status());
  const bool sign = kind == wallet::RequestKind::kSign;
  if (doc->kind != kind)
    return FailedPrecondition(sign ? "this is a login request: answer it with certme wallet approve"
                                   : "this is a sign request: answer it with certme wallet sign");
  const int64_t now = SystemClock().NowUnixSeconds();
  if (Status st = wallet::CheckDocumentForWallet(*doc, link.code, now); !st.ok()) return DocumentProblem(st);
  std::fputs((sign ? SignPrompt(*doc, contents.attributes, lang) : ConsentPrompt(*doc, contents.attributes, lang)).c_str(),
             stdout);

  bool approve = choice == ApproveChoice::kApprove;
  if (choice == ApproveChoice::kAsk) {
    if (!isatty(STDIN_FILENO)) return FailedPrecondition("not a terminal: pass --yes or --refuse");
    std::fputs((sign ? SignQuestion(lang) : PromptQuestion(lang)).c_str(), stdout);
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);
    approve = PromptAnswerIsYes(line);
  }
  std::string body;
  if (approve) {
    // §10: every header's sigT is the wallet's clock when the user agreed.
    auto built = sign ? wallet::BuildSignApproval(*doc, contents.key, contents.attributes,
                                                  SystemClock().NowUnixSeconds(), SystemRandom())
                      : wallet::BuildApproval(*doc, contents.key, contents.attributes, SystemRandom());
    if (!built.ok()) return DocumentProblem(built.status());
    body = std::move(*built);
  } else {
    auto built = wallet::BuildRefusal(*doc, contents.key);
    if (!built.ok()) return DocumentProblem(built.status());
    body = std::move(*built);
  }
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
  std::printf("%s\n", (sign ? SignOutcome(approve, lang) : PromptOutcome(approve, lang)).c_str());
  return Status();
}

}  // namespace

Status ApproveLogin(const LoginLink& link, const WalletContents& contents, ApproveChoice choice,
                    const std::string& lang, const std::string& ca_file) {
  return AnswerRequest(link, contents, choice, lang, ca_file, wallet::RequestKind::kLogin);
}

Status ApproveSignRequest(const LoginLink& link, const WalletContents& contents, ApproveChoice choice,
                          const std::string& lang, const std::string& ca_file) {
  return AnswerRequest(link, contents, choice, lang, ca_file, wallet::RequestKind::kSign);
}

}  // namespace certme
