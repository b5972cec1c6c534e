// Sign records in the Store (namespace sign_request, one JSON value per
// request, sign_request.h's SignRecord). Every replica sharing the store
// serves every step; state changes go through compare-and-swap so that two
// answers racing for one request cannot both settle it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/random.h"
#include "common/status.h"
#include "idp/signing/sign_request.h"
#include "store/store.h"

namespace certme::signing {

inline constexpr char kSignRecordNs[] = "sign_request";
inline constexpr char kSignReferenceNs[] = "sign_ref";  // hex(sign_request) → id
// How long a settled (or expired) request stays readable for its provider
// after its lifetime: the status and the signatures can be fetched for a
// week.
inline constexpr int64_t kRetentionSeconds = 7 * 24 * 3600;

class SignStore {
 public:
  SignStore(Store& store, Clock& clock, Random& random) : store_(store), clock_(clock), random_(random) {}

  // A new pending record for `client_id` with a fresh id and sign_request.
  StatusOr<SignRecord> Create(const std::string& client_id, NewSignRequest request);
  // NotFound for an unknown (or long gone) id; Internal for an unreadable record.
  StatusOr<SignRecord> Load(std::string_view id);
  // The record whose sign_request (32 bytes, the JAdES certme.request) is
  // `reference`; NotFound when none is kept.
  StatusOr<SignRecord> FindByReference(std::string_view reference);
  // Applies `mutate` with compare-and-swap retries. `mutate` returns false
  // to leave the record unchanged (Update then returns FailedPrecondition).
  // The record is passed as last stored; callers check its state.
  StatusOr<SignRecord> Update(std::string_view id, const std::function<bool(SignRecord&)>& mutate);

  int64_t Now() const { return clock_.NowUnixSeconds(); }

 private:
  Duration TtlOf(const SignRecord& r) const;

  Store& store_;
  Clock& clock_;
  Random& random_;
};

}  // namespace certme::signing
