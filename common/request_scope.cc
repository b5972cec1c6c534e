#include "common/request_scope.h"

namespace certme {

namespace {
thread_local const HttpRequest* g_current = nullptr;
}  // namespace

RequestScope::RequestScope(const HttpRequest& req) : previous_(g_current) { g_current = &req; }

RequestScope::~RequestScope() { g_current = previous_; }

const HttpRequest* RequestScope::Current() { return g_current; }

}  // namespace certme
