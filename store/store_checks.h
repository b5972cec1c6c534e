// Argument checks shared by every Store backend, so that all of them reject
// exactly the same inputs (the conformance suite asserts it).
#pragma once

#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace certme {

// Namespace and key: non-empty, at most kMaxStoreKeyBytes.
Status CheckStoreNamespace(std::string_view ns);
Status CheckStoreKey(std::string_view ns, std::string_view key);
// Value: at most kMaxStoreValueBytes.
Status CheckStoreValue(std::string_view value);
// ttl: kNoExpiry or positive.
Status CheckStoreTtl(Duration ttl);

// Queue arguments: a delay is zero or positive; a claim takes 1 to
// kMaxQueueClaim items with a positive lease.
inline constexpr size_t kMaxQueueClaim = 1000;
Status CheckQueueDelay(Duration delay);
Status CheckQueueClaim(size_t max, Duration lease);

// Absolute expiry in Unix milliseconds for a write at `now_ms`, or 0 for
// "never". REQUIRES: CheckStoreTtl(ttl).ok().
int64_t StoreExpiryMillis(int64_t now_ms, Duration ttl);

}  // namespace certme
