// A small blocking libcurl client for end-to-end tests: no redirects
// followed (tests inspect each hop), headers captured.
#pragma once

#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

#include "common/encoding.h"

namespace certme::testing {

struct ClientResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lowercased names
  std::string Header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
  std::vector<std::string> Headers(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
      if (k == name) out.push_back(v);
    return out;
  }
};

inline size_t CollectBody(char* p, size_t s, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, s * n);
  return s * n;
}

inline size_t CollectHeader(char* p, size_t s, size_t n, void* ud) {
  std::string line(p, s * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = AsciiLower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    static_cast<std::vector<std::pair<std::string, std::string>>*>(ud)->emplace_back(name, value);
  }
  return s * n;
}

// method "GET", "POST" or another (sent as is, without a body); body sent
// form-encoded unless content_type says otherwise.
inline ClientResponse Fetch(const std::string& method, const std::string& url, const std::string& body = "",
                            std::vector<std::string> extra_headers = {},
                            const std::string& content_type = "application/x-www-form-urlencoded") {
  ClientResponse r;
  CURL* c = curl_easy_init();
  struct curl_slist* h = nullptr;
  for (const auto& x : extra_headers) h = curl_slist_append(h, x.c_str());
  if (method == "POST") {
    h = curl_slist_append(h, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(body.size()));
  }
  if (method != "GET" && method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

// Keeps cookies across requests like a browser (name → value; attributes
// ignored, Max-Age=0 deletes).
struct CookieJar {
  std::map<std::string, std::string> cookies;
  void Update(const ClientResponse& r) {
    for (const auto& sc : r.Headers("set-cookie")) {
      auto eq = sc.find('=');
      auto semi = sc.find(';');
      if (eq == std::string::npos) continue;
      std::string name = sc.substr(0, eq);
      std::string value = sc.substr(eq + 1, semi == std::string::npos ? std::string::npos : semi - eq - 1);
      if (sc.find("Max-Age=0") != std::string::npos) cookies.erase(name);
      else cookies[name] = value;
    }
  }
  std::vector<std::string> Header() const {
    if (cookies.empty()) return {};
    std::string h = "Cookie: ";
    for (const auto& [k, v] : cookies) h += k + "=" + v + "; ";
    return {h};
  }
  ClientResponse Fetch(const std::string& method, const std::string& url, const std::string& body = "") {
    auto r = testing::Fetch(method, url, body, Header());
    Update(r);
    return r;
  }
};

// Query parameters of a URL (after '?'), decoded.
inline Params QueryOf(const std::string& url) {
  auto q = url.find('?');
  if (q == std::string::npos) return {};
  auto p = ParseUrlEncoded(url.substr(q + 1));
  return p ? *p : Params{};
}

}  // namespace certme::testing
