// A deliberately small stand-in for the bridge's OpenID Connect provider,
// for testing the load generator without the real server: discovery, JWKS,
// authorize → development login → resume → callback, token (code with PKCE,
// refresh with rotation, client_credentials) and userinfo, on 127.0.0.1:0
// with keep-alive.
// Knobs inject the faults a relying party must catch (wrong nonce, a token
// signed by a foreign key, …) and the framings the client must read.
// Tests only: no real protocol validation beyond what the flow exercises.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/jose.h"

namespace certme::bench::testing {

struct FakeOidcOptions {
  std::string client_id = "bench-es256";
  std::string client_secret = "bench-es256-secret";
  std::string redirect_uri = "http://127.0.0.1/bench/callback";
  JwsAlg alg = JwsAlg::kES256;
  int port = 0;                    // 0: any free port
  // Faults.
  bool wrong_nonce = false;        // ID token carries another nonce
  bool foreign_key = false;        // ID token signed by a key not in the JWKS
  bool expired = false;            // ID token exp in the past
  bool wrong_at_hash = false;      // at_hash of another token
  bool userinfo_other_sub = false; // userinfo answers for someone else
  bool drop_state = false;         // callback without state
  bool refuse_login = false;       // callback with error=access_denied
  bool refresh_other_sub = false;  // a refresh's ID token is for someone else
  // Framing.
  bool connection_close = false;   // answer "Connection: close" every time
  bool chunked = false;            // chunked bodies instead of Content-Length
};

class FakeOidcServer {
 public:
  explicit FakeOidcServer(FakeOidcOptions options);
  ~FakeOidcServer();

  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Counters the tests assert on.
  int logins() const { return logins_; }              // POST /login/dev accepted
  int tokens_issued() const { return tokens_; }       // successful token responses
  int refreshes() const { return refreshes_; }        // successful refresh_token grants
  int connections() const { return connections_; }
  int bad_requests() const { return bad_requests_; }  // anything the fake rejected

 private:
  struct Request {
    std::string method, path, query, body;
    std::map<std::string, std::string> headers;  // lowercased names
  };
  struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  void Serve(int fd);
  Response Handle(const Request& r);
  Response Redirect(const std::string& location);
  Response Json(int status, const std::string& body);
  Response Bad(const std::string& what);

  FakeOidcOptions options_;
  std::shared_ptr<SigningKey> key_;
  std::shared_ptr<SigningKey> foreign_key_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;  // guards everything below and threads_
  std::vector<std::thread> threads_;
  std::vector<int> open_fds_;
  struct Txn {
    std::map<std::string, std::string> params;  // authorize query
    std::string bind_cookie;
    bool logged_in = false;
  };
  std::map<std::string, Txn> txns_;
  std::map<std::string, Txn> codes_;          // code → its transaction
  std::map<std::string, std::string> access_; // access token → sub
  std::map<std::string, std::string> refresh_; // live refresh token → the code flow's nonce
  std::map<std::string, bool> sessions_;      // sid cookie → alive
  std::atomic<int> logins_{0}, tokens_{0}, refreshes_{0}, connections_{0}, bad_requests_{0};
  uint64_t counter_ = 0;
};

}  // namespace certme::bench::testing
