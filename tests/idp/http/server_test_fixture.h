// The fixture of the HTTP adapter's end-to-end tests (server_test.cc,
// server_lifecycle_test.cc): a real HttpServer on 127.0.0.1:0, driven by raw
// sockets (exact bytes, malformed ones included) and libcurl.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/signals.h"
#include "idp/http/response.h"
#include "idp/http/server.h"
#include "tests/idp/http/test_client.h"

namespace certme::http_test {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Curl;
using testing::RawConn;
using Clock = std::chrono::steady_clock;

class ServerTest : public ::testing::Test {
 protected:
  void Start(HttpServerOptions o = {}) {
    o.address = "127.0.0.1";
    o.port = 0;
    o.access_log = [this](const std::string& line) {
      std::lock_guard<std::mutex> l(log_mu_);
      log_.push_back(line);
    };
    auto s = HttpServer::Start(std::move(o), router_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  uint16_t port() const { return server_->port(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }
  std::vector<nlohmann::json> Logs() {
    std::lock_guard<std::mutex> l(log_mu_);
    std::vector<nlohmann::json> out;
    for (const auto& line : log_) out.push_back(nlohmann::json::parse(line));
    return out;
  }
  // The access-log line of the request with this id (logs are written just
  // before the answer is queued, so they are there once the client has it).
  nlohmann::json LogFor(const std::string& request_id) {
    for (auto& j : Logs())
      if (j.value("request_id", "") == request_id) return j;
    return nullptr;
  }
  static std::string Get(const std::string& path, const std::string& extra = "") {
    return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
  }

  std::shared_ptr<Router> router_ = std::make_shared<Router>();
  std::shared_ptr<Metrics> metrics_ = std::make_shared<Metrics>();
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<HttpServer> server_;  // last: stops before the rest goes away
};

// Echoes what the adapter decoded, as JSON.
inline HttpResponse EchoRequest(const HttpRequest& r) {
  nlohmann::json j;
  j["method"] = r.method;
  j["path"] = r.path;
  j["raw_path"] = r.raw_path;
  j["raw_query"] = r.raw_query;
  for (const auto& [k, v] : r.query) j["query"][k].push_back(v);
  for (const auto& [k, v] : r.form) j["form"][k].push_back(v);
  for (const auto& [k, v] : r.cookies) j["cookies"][k] = v;
  for (const auto& [k, v] : r.path_params) j["params"][k] = v;
  j["body_size"] = r.body.size();
  j["client_ip"] = r.client_ip;
  j["remote_addr"] = r.remote_addr;
  j["secure"] = r.secure;
  j["client_cert_pem"] = r.client_cert_pem;
  j["has_cert_header"] = r.headers.Has("x-ssl-client-cert");
  return HttpResponse::Json(200, j.dump());
}

}  // namespace certme::http_test
