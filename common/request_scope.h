// The request a thread is answering, for code far below the handler that
// needs a fact of it without every signature carrying the request: the page
// renderer (templates/) reads the negotiated language and the request id to
// show on error pages. The HTTP adapter (idp/http) opens a scope around each
// synchronous handler call; outside a scope Current() is null and callers
// fall back to defaults.
//
// Thread-safety: the pointer is thread-local; the request must outlive the
// scope (it does: the adapter owns it for the handler call).
#pragma once

#include "common/http_message.h"

namespace certme {

class RequestScope {
 public:
  explicit RequestScope(const HttpRequest& req);
  ~RequestScope();
  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

  // The innermost open scope's request on this thread; null when none.
  static const HttpRequest* Current();

 private:
  const HttpRequest* previous_;
};

}  // namespace certme
