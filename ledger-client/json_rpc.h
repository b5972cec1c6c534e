// Ethereum JSON-RPC 2.0 over HTTP (libcurl), as the EVM ledger backend
// speaks to a node (geth, Besu, GoQuorum, anvil).
//
// Failure model: a transport error (connection refused or reset, timeout,
// HTTP 5xx/429, an answer that is not JSON-RPC) is retried with backoff up
// to `retries` times and then reported as Unavailable; an error the node
// answers (a JSON-RPC `error` object: revert, bad nonce, …) is never
// retried here and comes back as an RpcError the caller interprets.
// Retrying is safe for every call the backend makes: reads are idempotent
// and a signed transaction is resent as the same bytes (same hash), which a
// node can only accept once.
//
// Thread-safe: calls from many threads run in parallel (one curl handle
// per call in flight, reused for keep-alive).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace certme {

// The error object of a JSON-RPC answer.
struct RpcError {
  int64_t code = 0;
  std::string message;
  std::string data;  // hex revert data ("0x…") when the node gives it, else ""
};

// One parsed answer: the result, or the node's error.
struct RpcAnswer {
  nlohmann::json result;
  std::optional<RpcError> error;
};

// Parses an HTTP body as the answer to request `id`. Reads untrusted bytes
// (fuzzed): anything but a JSON-RPC 2.0 object with this id and exactly one
// of result/error is InvalidArgument.
StatusOr<RpcAnswer> ParseJsonRpcAnswer(std::string_view body, int64_t id);

struct JsonRpcOptions {
  std::string url;  // http://host:port[/path]
  // Per attempt: connect and whole-request bounds.
  Duration connect_timeout = std::chrono::milliseconds(2000);
  Duration timeout = std::chrono::milliseconds(10000);
  // Attempts after the first on transport errors, with backoff doubling
  // from retry_backoff.
  int retries = 3;
  Duration retry_backoff = std::chrono::milliseconds(200);
};

class JsonRpcClient {
 public:
  explicit JsonRpcClient(JsonRpcOptions options);
  ~JsonRpcClient();
  JsonRpcClient(const JsonRpcClient&) = delete;
  JsonRpcClient& operator=(const JsonRpcClient&) = delete;

  // The node's answer (its result or its error), or Unavailable after the
  // retries (message names the URL, never a secret).
  StatusOr<RpcAnswer> Call(const std::string& method, nlohmann::json params);
  // The result; a node error becomes Internal/FailedPrecondition with the
  // node's message in the detail.
  StatusOr<nlohmann::json> Result(const std::string& method, nlohmann::json params);

  const JsonRpcOptions& options() const { return options_; }

 private:
  StatusOr<std::string> PostOnce(const std::string& body, std::string* transport_error);

  JsonRpcOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_handles_;  // CURL*
  int64_t next_id_ = 1;
};

// ---- hex quantities and data (Ethereum JSON-RPC encoding) ----
std::string HexQuantity(uint64_t v);  // "0x1a", "0x0"
std::string HexData(std::string_view bytes);  // "0x" + lowercase hex
// A quantity that fits in 64 bits; InvalidArgument otherwise.
StatusOr<uint64_t> ParseHexQuantity(const nlohmann::json& v);
StatusOr<std::string> ParseHexData(const nlohmann::json& v, size_t max_bytes);

}  // namespace certme
