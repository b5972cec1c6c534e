// Fuzzes the HTTP/1.1 request framing parser (idp/http/request_parser.h) and
// what the server does next with a request target (router match, query
// decoding). Properties: no crash; every request it completes is well formed
// and within the limits; feeding the bytes all at once or one by one frames
// the same requests and fails the same way.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/encoding.h"
#include "idp/http/request_parser.h"
#include "idp/http/router.h"

namespace {

using certme::HttpRequestParser;

struct Outcome {
  std::vector<std::string> requests;  // method, target and body, joined
  bool error = false;
};

Outcome Run(std::string_view in, size_t step) {
  certme::HttpParserLimits limits;
  limits.max_header_bytes = 512;
  limits.max_body_bytes = 1024;
  limits.max_header_count = 16;
  HttpRequestParser p(limits);
  Outcome out;
  for (size_t i = 0; i < in.size() && !out.error; i += step) {
    p.Append(in.substr(i, step));
    for (;;) {
      HttpRequestParser::State s = p.Parse();
      if (s == HttpRequestParser::State::kNeedMore) break;
      if (s == HttpRequestParser::State::kError) {
        int st = p.error_status();
        if (st != 400 && st != 413 && st != 414 && st != 431 && st != 501 && st != 505) std::abort();
        out.error = true;
        break;
      }
      certme::ParsedHttpRequest r = p.TakeRequest();
      if (r.method.empty() || r.target.empty()) std::abort();
      if (r.target != "*" && r.target.front() != '/') std::abort();
      if (r.body.size() > limits.max_body_bytes) std::abort();
      if (r.minor_version != 0 && r.minor_version != 1) std::abort();
      out.requests.push_back(r.method + ' ' + r.target + ' ' + r.body);
    }
  }
  return out;
}

const certme::Router& TestRouter() {
  static const certme::Router* r = [] {
    auto* router = new certme::Router();
    auto h = [](const certme::HttpRequest&) { return certme::HttpResponse::Text(200, ""); };
    router->Get("/", h);
    router->Get("/t/:code", h);
    router->Get("/t/new", h);
    router->Post("/a/:x/b/:y", h);
    return router;
  }();
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Outcome whole = Run(in, in.size() ? in.size() : 1);
  Outcome bytewise = Run(in, 1);
  if (whole.error != bytewise.error || whole.requests != bytewise.requests) std::abort();

  for (const std::string& r : whole.requests) {
    size_t sp = r.find(' ');
    std::string_view target = std::string_view(r).substr(sp + 1);
    target = target.substr(0, target.find(' '));
    size_t q = target.find('?');
    certme::RouteMatch m = TestRouter().Match(r.substr(0, sp), target.substr(0, q));
    if (m.status != 0 && m.status != 400 && m.status != 404 && m.status != 405) std::abort();
    if (m.status == 0 && !m.handler) std::abort();
    if (q != std::string_view::npos) (void)certme::ParseUrlEncoded(target.substr(q + 1));
  }
  return 0;
}
