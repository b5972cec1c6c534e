#include "idp/signing/sign_store.h"

#include <algorithm>

#include "common/encoding.h"

namespace certme::signing {

Duration SignStore::TtlOf(const SignRecord& r) const {
  int64_t left = r.expires_at + kRetentionSeconds - Now();
  return std::chrono::seconds(std::max<int64_t>(left, 1));
}

StatusOr<SignRecord> SignStore::Create(const std::string& client_id, NewSignRequest request) {
  SignRecord r;
  // 24 random bytes: the id is a capability for the signing page.
  r.id = random_.Token(24);
  r.sign_request = random_.Bytes(32);
  r.client_id = client_id;
  r.created_at = Now();
  r.expires_at = r.created_at + request.lifetime_seconds;
  r.request = std::move(request);
  CERTME_RETURN_IF_ERROR(store_.PutIfAbsent(kSignReferenceNs, HexEncode(r.sign_request), r.id, TtlOf(r)));
  CERTME_RETURN_IF_ERROR(store_.PutIfAbsent(kSignRecordNs, r.id, SerializeSignRecord(r), TtlOf(r)));
  return r;
}

StatusOr<SignRecord> SignStore::Load(std::string_view id) {
  if (id.empty() || id.size() > 64) return NotFound("no such sign request");
  auto v = store_.Get(kSignRecordNs, id);
  if (!v.ok()) return v.status();
  auto r = ParseSignRecord(*v);
  if (!r) return Internal("sign request unreadable", "record " + std::string(id));
  return std::move(*r);
}

StatusOr<SignRecord> SignStore::FindByReference(std::string_view reference) {
  if (reference.size() != 32) return NotFound("no such sign request");
  CERTME_ASSIGN_OR_RETURN(std::string id, store_.Get(kSignReferenceNs, HexEncode(reference)));
  CERTME_ASSIGN_OR_RETURN(SignRecord r, Load(id));
  if (r.sign_request != reference) return NotFound("no such sign request");
  return r;
}

StatusOr<SignRecord> SignStore::Update(std::string_view id, const std::function<bool(SignRecord&)>& mutate) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto old = store_.Get(kSignRecordNs, id);
    if (!old.ok()) return old.status();
    auto r = ParseSignRecord(*old);
    if (!r) return Internal("sign request unreadable", "record " + std::string(id));
    if (!mutate(*r)) return FailedPrecondition("sign request not in a state for this change");
    Status st = store_.CompareAndSwap(kSignRecordNs, id, *old, SerializeSignRecord(*r), TtlOf(*r));
    if (st.ok()) return std::move(*r);
    if (st.code() != StatusCode::kFailedPrecondition) return st;
  }
  return Unavailable("sign request busy, try again");
}

}  // namespace certme::signing
