#include "bench/oidc_load/fake_oidc_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/oidc_flow.h"
#include "common/encoding.h"

namespace certme::bench::testing {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 302: return "Found";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    default: return "Other";
  }
}

std::string CookieValue(const std::string& header, const std::string& name) {
  for (const auto& part : SplitTrimmed(header, ';')) {
    size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
  }
  return {};
}

std::string Get(const Params& p, std::string_view n) { return ParamGet(p, n).value_or(""); }

}  // namespace

FakeOidcServer::FakeOidcServer(FakeOidcOptions options) : options_(std::move(options)) {
  const char* kty = options_.alg == JwsAlg::kRS256 ? "RSA" : "EC";
  key_ = *GenerateSigningKey(kty, "fake-1");
  foreign_key_ = *GenerateSigningKey(kty, "fake-1");  // same kid, different key
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(uint16_t(options_.port));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  accept_thread_ = std::thread([this] {
    while (!stop_) {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::lock_guard<std::mutex> l(mu_);
      open_fds_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  });
}

FakeOidcServer::~FakeOidcServer() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wake blocked recv()s
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void FakeOidcServer::Serve(int fd) {
  std::string buf;
  char chunk[8192];
  while (!stop_) {
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) goto done;
      buf.append(chunk, size_t(n));
    }
    {
      Request req;
      std::string head = buf.substr(0, head_end);
      size_t line_end = head.find("\r\n");
      std::string line = head.substr(0, line_end);
      size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t q = target.find('?');
      req.path = target.substr(0, q);
      if (q != std::string::npos) req.query = target.substr(q + 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string h = head.substr(pos, e - pos);
        size_t colon = h.find(':');
        if (colon != std::string::npos) {
          std::string v = h.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          req.headers[AsciiLower(h.substr(0, colon))] = v;
        }
        pos = e + 2;
      }
      size_t cl = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < head_end + 4 + cl) {
        ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) goto done;
        buf.append(chunk, size_t(n));
      }
      req.body = buf.substr(head_end + 4, cl);
      buf.erase(0, head_end + 4 + cl);

      Response resp = Handle(req);
      std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + Reason(resp.status) + "\r\n";
      for (const auto& [n, v] : resp.headers) out += n + ": " + v + "\r\n";
      if (options_.connection_close) out += "Connection: close\r\n";
      if (options_.chunked && !resp.body.empty()) {
        out += "Transfer-Encoding: chunked\r\n\r\n";
        // Two chunks, so the chunk boundary falls inside the JSON.
        size_t half = resp.body.size() / 2;
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx;x=y\r\n", half);
        out += size_line + resp.body.substr(0, half) + "\r\n";
        std::snprintf(size_line, sizeof size_line, "%zX\r\n", resp.body.size() - half);
        out += size_line + resp.body.substr(half) + "\r\n0\r\n\r\n";
      } else {
        out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n" + resp.body;
      }
      ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (options_.connection_close) break;
    }
  }
done:
  std::lock_guard<std::mutex> l(mu_);
  std::erase(open_fds_, fd);
  ::close(fd);
}

FakeOidcServer::Response FakeOidcServer::Redirect(const std::string& location) {
  Response r;
  r.status = 302;
  r.headers.emplace_back("Location", location);
  return r;
}

FakeOidcServer::Response FakeOidcServer::Json(int status, const std::string& body) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = body;
  return r;
}

FakeOidcServer::Response FakeOidcServer::Bad(const std::string& what) {
  ++bad_requests_;
  return Json(400, nlohmann::json{{"error", "invalid_request"}, {"error_description", what}}.dump());
}

FakeOidcServer::Response FakeOidcServer::Handle(const Request& r) {
  const std::string origin = Origin();
  auto query = ParseUrlEncoded(r.query).value_or(Params{});
  auto form = ParseUrlEncoded(r.body).value_or(Params{});
  std::string cookies = r.headers.count("cookie") ? r.headers.at("cookie") : "";

  if (r.path == "/.well-known/openid-configuration") {
    return Json(200, nlohmann::json{{"issuer", origin},
                                    {"authorization_endpoint", origin + "/authorize"},
                                    {"token_endpoint", origin + "/token"},
                                    {"userinfo_endpoint", origin + "/userinfo"},
                                    {"jwks_uri", origin + "/jwks"}}
                         .dump());
  }
  if (r.path == "/healthz") return Json(200, R"({"status":"ok"})");
  if (r.path == "/jwks") return Json(200, nlohmann::json{{"keys", {key_->ToJwk()}}}.dump());

  if (r.path == "/authorize" && r.method == "GET") {
    if (Get(query, "client_id") != options_.client_id ||
        Get(query, "redirect_uri") != options_.redirect_uri ||
        Get(query, "response_type") != "code" || Get(query, "code_challenge_method") != "S256" ||
        Get(query, "code_challenge").size() != 43 || Get(query, "nonce").empty() ||
        Get(query, "state").empty())
      return Bad("authorize parameters");
    std::lock_guard<std::mutex> l(mu_);
    Txn t;
    for (const auto& [k, v] : query) t.params[k] = v;
    std::string sid = CookieValue(cookies, "sid");
    if (!sid.empty() && sessions_.count(sid)) {
      // SSO: an existing session skips the login page.
      std::string code = "code-" + std::to_string(++counter_);
      codes_[code] = t;
      return Redirect(options_.redirect_uri + "?code=" + code + "&state=" + PercentEncode(t.params["state"]) +
                      "&iss=" + PercentEncode(origin));
    }
    std::string txn = "txn-" + std::to_string(++counter_);
    t.bind_cookie = "bind-" + std::to_string(counter_);
    txns_[txn] = t;
    Response resp = Redirect(origin + "/login/dev?txn=" + txn);
    resp.headers.emplace_back("Set-Cookie", "bind=" + t.bind_cookie + "; Path=/; HttpOnly");
    return resp;
  }
  if (r.path == "/login/dev" && r.method == "POST") {
    std::string txn = Get(form, "txn");
    std::lock_guard<std::mutex> l(mu_);
    auto it = txns_.find(txn);
    if (it == txns_.end() || Get(form, "identity") != "ion") return Bad("login form");
    it->second.logged_in = true;
    ++logins_;
    return Redirect(origin + "/authorize/resume?txn=" + txn);
  }
  if (r.path == "/login/dev" && r.method == "GET") {
    Response page;
    page.headers.emplace_back("Content-Type", "text/html");
    page.body = "<!doctype html><title>development login</title>";
    return page;
  }
  if (r.path == "/authorize/resume" && r.method == "GET") {
    std::lock_guard<std::mutex> l(mu_);
    auto it = txns_.find(Get(query, "txn"));
    if (it == txns_.end() || !it->second.logged_in) return Bad("resume");
    // The browser-binding cookie set at authorize must come back.
    if (CookieValue(cookies, "bind") != it->second.bind_cookie) return Bad("binding cookie");
    Txn t = it->second;
    txns_.erase(it);
    std::string state = PercentEncode(t.params["state"]);
    if (options_.refuse_login)
      return Redirect(options_.redirect_uri + "?error=access_denied&state=" + state);
    std::string code = "code-" + std::to_string(++counter_);
    std::string sid = "sid-" + std::to_string(counter_);
    codes_[code] = t;
    sessions_[sid] = true;
    Response resp = Redirect(options_.redirect_uri + "?code=" + code +
                             (options_.drop_state ? "" : "&state=" + state) +
                             "&iss=" + PercentEncode(origin));
    resp.headers.emplace_back("Set-Cookie", "sid=" + sid + "; Path=/; HttpOnly");
    resp.headers.emplace_back("Set-Cookie", "bind=; Path=/; Max-Age=0");
    return resp;
  }
  if (r.path == "/token" && r.method == "POST") {
    std::string expected = "Basic " + Base64Encode(options_.client_id + ":" + options_.client_secret);
    if (!r.headers.count("authorization") || r.headers.at("authorization") != expected) {
      ++bad_requests_;
      return Json(401, R"({"error":"invalid_client"})");
    }
    if (!cookies.empty()) return Bad("cookies sent to the token endpoint");
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    std::lock_guard<std::mutex> l(mu_);
    std::string access = "at-" + std::to_string(++counter_);
    if (Get(form, "grant_type") == "client_credentials") {
      ++tokens_;
      return Json(200, nlohmann::json{{"access_token", access}, {"token_type", "Bearer"}, {"expires_in", 300}}.dump());
    }
    const std::string sub = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    std::string nonce;
    bool refreshing = Get(form, "grant_type") == "refresh_token";
    if (refreshing) {
      // Rotation: each refresh token works once; the ID token has no nonce.
      auto rt = refresh_.find(Get(form, "refresh_token"));
      if (rt == refresh_.end()) return Json(400, R"({"error":"invalid_grant"})");
      refresh_.erase(rt);
    } else {
      if (Get(form, "grant_type") != "authorization_code") return Bad("grant_type");
      auto it = codes_.find(Get(form, "code"));
      if (it == codes_.end()) return Json(400, R"({"error":"invalid_grant"})");
      Txn t = it->second;
      codes_.erase(it);  // single use
      if (Get(form, "redirect_uri") != options_.redirect_uri ||
          PkceChallenge(Get(form, "code_verifier")) != t.params["code_challenge"])
        return Json(400, R"({"error":"invalid_grant"})");
      nonce = t.params["nonce"];
    }
    access_[access] = sub;
    nlohmann::json claims = {{"iss", origin},
                             {"sub", refreshing && options_.refresh_other_sub ? "someone-else" : sub},
                             {"aud", options_.client_id},
                             {"iat", now},
                             {"exp", options_.expired ? now - 10 : now + 300},
                             {"at_hash", AtHash(options_.wrong_at_hash ? "x" : access)}};
    if (!refreshing) claims["nonce"] = options_.wrong_nonce ? "other" : nonce;
    auto id_token = SignJwt(options_.foreign_key ? *foreign_key_ : *key_, options_.alg, claims);
    std::string refresh = "rt-" + std::to_string(++counter_);
    refresh_[refresh] = nonce;
    ++tokens_;
    if (refreshing) ++refreshes_;
    return Json(200, nlohmann::json{{"access_token", access},
                                    {"token_type", "Bearer"},
                                    {"expires_in", 300},
                                    {"refresh_token", refresh},
                                    {"id_token", *id_token}}
                         .dump());
  }
  if (r.path == "/userinfo" && r.method == "GET") {
    std::string auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
    std::lock_guard<std::mutex> l(mu_);
    auto it = auth.rfind("Bearer ", 0) == 0 ? access_.find(auth.substr(7)) : access_.end();
    if (it == access_.end()) return Json(401, R"({"error":"invalid_token"})");
    return Json(200, nlohmann::json{{"sub", options_.userinfo_other_sub ? "someone-else" : it->second},
                                    {"given_name", "Ion"}}
                         .dump());
  }
  Response nf;
  nf.status = 404;
  ++bad_requests_;
  return nf;
}

}  // namespace certme::bench::testing
