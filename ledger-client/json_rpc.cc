#include "ledger-client/json_rpc.h"

#include <curl/curl.h>

#include <thread>

#include "common/encoding.h"

namespace certme {
namespace {

using nlohmann::json;

size_t Append(char* p, size_t size, size_t n, void* out) {
  auto* s = static_cast<std::string*>(out);
  // Bound the answer: eth_getLogs over a wide range is the biggest.
  if (s->size() + size * n > 64u * 1024 * 1024) return 0;
  s->append(p, size * n);
  return size * n;
}

const bool kCurlReady = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();

}  // namespace

StatusOr<RpcAnswer> ParseJsonRpcAnswer(std::string_view body, int64_t id) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("JSON-RPC answer is not a JSON object");
  auto v = j.find("jsonrpc");
  if (v == j.end() || *v != "2.0") return InvalidArgument("JSON-RPC answer without jsonrpc 2.0");
  auto i = j.find("id");
  if (i == j.end() || !i->is_number_integer() || i->get<int64_t>() != id)
    return InvalidArgument("JSON-RPC answer to another request");
  auto r = j.find("result");
  auto e = j.find("error");
  if ((r == j.end()) == (e == j.end())) return InvalidArgument("JSON-RPC answer needs exactly one of result and error");
  RpcAnswer a;
  if (r != j.end()) {
    a.result = std::move(*r);
    return a;
  }
  if (!e->is_object()) return InvalidArgument("JSON-RPC error is not an object");
  RpcError err;
  auto c = e->find("code");
  if (c == e->end() || !c->is_number_integer()) return InvalidArgument("JSON-RPC error without an integer code");
  err.code = c->get<int64_t>();
  auto m = e->find("message");
  if (m != e->end() && m->is_string()) err.message = m->get<std::string>().substr(0, 1024);
  auto d = e->find("data");
  // geth/anvil: "0x…"; some nodes wrap it ({"data": "0x…"}) or use text.
  if (d != e->end()) {
    if (d->is_object() && d->contains("data")) d = d->find("data");
    if (d->is_string()) {
      const std::string& s = d->get_ref<const std::string&>();
      if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s.size() <= 2 + 2 * 64 * 1024 &&
          HexDecode(std::string_view(s).substr(2)))
        err.data = s;
    }
  }
  a.error = std::move(err);
  return a;
}

JsonRpcClient::JsonRpcClient(JsonRpcOptions options) : options_(std::move(options)) {}

JsonRpcClient::~JsonRpcClient() {
  for (void* h : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(h));
}

StatusOr<std::string> JsonRpcClient::PostOnce(const std::string& body, std::string* transport_error) {
  CURL* h = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_handles_.empty()) {
      h = static_cast<CURL*>(idle_handles_.back());
      idle_handles_.pop_back();
    }
  }
  if (!h) h = curl_easy_init();
  if (!h || !kCurlReady) return Internal("HTTP client unavailable");
  std::string answer;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(options_.connect_timeout).count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout).count()));
  const CURLcode rc = curl_easy_perform(h);
  long http = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    *transport_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    curl_easy_cleanup(h);  // the connection may be half-used: never reuse it
    return Unavailable("ledger node unreachable");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_handles_.push_back(h);
  }
  // JSON-RPC errors come with 200 (geth, anvil) or 4xx/500 (some proxies);
  // the body decides. Overload and gateway errors have no JSON-RPC body.
  if (http == 429 || http == 502 || http == 503 || http == 504) {
    *transport_error = "HTTP " + std::to_string(http);
    return Unavailable("ledger node overloaded");
  }
  return answer;
}

StatusOr<RpcAnswer> JsonRpcClient::Call(const std::string& method, json params) {
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
  }
  const std::string body = json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}.dump();
  Duration backoff = options_.retry_backoff;
  std::string last_error;
  for (int attempt = 0;; ++attempt) {
    std::string transport_error;
    auto posted = PostOnce(body, &transport_error);
    if (posted.ok()) {
      auto parsed = ParseJsonRpcAnswer(*posted, id);
      if (parsed.ok()) return parsed;
      transport_error = parsed.status().message();
    }
    last_error = transport_error;
    if (attempt >= options_.retries) break;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
  return Unavailable("the ledger node at " + options_.url + " does not answer (" + method + ": " + last_error + ")",
                     last_error);
}

StatusOr<json> JsonRpcClient::Result(const std::string& method, json params) {
  CERTME_ASSIGN_OR_RETURN(RpcAnswer a, Call(method, std::move(params)));
  if (a.error) {
    return FailedPrecondition("the ledger node refused " + method + ": " + a.error->message,
                              "code " + std::to_string(a.error->code) + " data " + a.error->data);
  }
  return std::move(a.result);
}

std::string HexQuantity(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  if (v == 0) return "0x0";
  std::string s;
  while (v) {
    s.insert(s.begin(), kDigits[v & 0xf]);
    v >>= 4;
  }
  return "0x" + s;
}

std::string HexData(std::string_view bytes) { return "0x" + HexEncode(bytes); }

StatusOr<uint64_t> ParseHexQuantity(const json& v) {
  if (!v.is_string()) return InvalidArgument("ledger node sent a non-string quantity");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return InvalidArgument("ledger node sent a malformed quantity");
  size_t i = 2;
  while (i + 1 < s.size() && s[i] == '0') ++i;  // tolerate leading zeros (some nodes pad)
  if (s.size() - i > 16) return InvalidArgument("ledger node sent a quantity beyond 64 bits");
  uint64_t out = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return InvalidArgument("ledger node sent a malformed quantity");
    out = (out << 4) | static_cast<uint64_t>(d);
  }
  return out;
}

StatusOr<std::string> ParseHexData(const json& v, size_t max_bytes) {
  if (!v.is_string()) return InvalidArgument("ledger node sent non-string data");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || (s.size() - 2) / 2 > max_bytes)
    return InvalidArgument("ledger node sent malformed data");
  auto d = HexDecode(std::string_view(s).substr(2));
  if (!d) return InvalidArgument("ledger node sent malformed data");
  return *d;
}

}  // namespace certme
