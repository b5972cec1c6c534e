#include "store/store_checks.h"

#include <string>

#include "store/store.h"

namespace certme {

namespace {

Status CheckName(std::string_view what, std::string_view s) {
  if (s.empty()) return InvalidArgument(std::string(what) + " is empty");
  if (s.size() > kMaxStoreKeyBytes) {
    return InvalidArgument(std::string(what) + " is longer than " +
                           std::to_string(kMaxStoreKeyBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

Status CheckStoreNamespace(std::string_view ns) { return CheckName("store namespace", ns); }

Status CheckStoreKey(std::string_view ns, std::string_view key) {
  CERTME_RETURN_IF_ERROR(CheckName("store namespace", ns));
  return CheckName("store key", key);
}

Status CheckStoreValue(std::string_view value) {
  if (value.size() > kMaxStoreValueBytes) {
    return InvalidArgument("store value is larger than " + std::to_string(kMaxStoreValueBytes) +
                           " bytes");
  }
  return Status::Ok();
}

Status CheckStoreTtl(Duration ttl) {
  if (ttl < Duration::zero()) return InvalidArgument("store ttl is negative");
  return Status::Ok();
}

Status CheckQueueDelay(Duration delay) {
  if (delay < Duration::zero()) return InvalidArgument("queue delay is negative");
  return Status::Ok();
}

Status CheckQueueClaim(size_t max, Duration lease) {
  if (max == 0 || max > kMaxQueueClaim) {
    return InvalidArgument("queue claim takes 1 to " + std::to_string(kMaxQueueClaim) + " items");
  }
  if (lease <= Duration::zero()) return InvalidArgument("queue lease must be positive");
  return Status::Ok();
}

int64_t StoreExpiryMillis(int64_t now_ms, Duration ttl) {
  return ttl == kNoExpiry ? 0 : now_ms + ttl.count();
}

}  // namespace certme
