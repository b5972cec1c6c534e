// Fuzz target: the load generator's HTTP/1.1 response parser reads whatever
// the server under test sends. The input is split at a position taken from
// its first byte, so the incremental (partial-feed) paths are exercised too.
// Each parsed response's Set-Cookie and Location headers then go through the
// cookie jar and the same-origin redirect resolver.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bench/oidc_load/http_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % (size);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (split > input.size()) split = input.size();
  certme::bench::ResponseLimits limits;
  limits.max_body_bytes = 1 << 20;
  certme::bench::ResponseParser parser(limits);
  parser.Reset(/*head_request=*/(data[0] & 0x80) != 0);
  const certme::bench::LoopbackUrl base = *certme::bench::ParseLoopbackUrl("http://127.0.0.1:8080/");
  // Feed as a connection would: several responses back to back.
  for (int message = 0; message < 4 && !input.empty(); ++message) {
    using R = certme::bench::ResponseParser::Result;
    size_t used = 0;
    R r = parser.Feed(input.substr(0, split), &used);
    size_t total = used;
    if (r == R::kNeedMore) {
      r = parser.Feed(input.substr(total), &used);
      total += used;
    }
    if (r == R::kNeedMore) r = parser.FeedEof();
    if (r != R::kDone) break;
    if (total > input.size()) __builtin_trap();  // consumed more than given
    // What the flow does with a response next: cookies and redirects.
    const certme::bench::ClientResponse& resp = parser.response();
    certme::bench::CookieJar jar;
    jar.Update(resp);
    (void)jar.Header();
    if (auto location = resp.Header("location")) {
      auto url = certme::bench::ResolveSameOrigin(base, *location);
      if (url.ok() && (url->target.empty() || url->target.front() != '/')) __builtin_trap();
    }
    input.remove_prefix(total);
    split = split > total ? split - total : 0;
    parser.Reset(false);
  }
  return 0;
}
