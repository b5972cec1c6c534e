#include "ledger-client/signature_history.h"

namespace certme {

StatusOr<std::vector<SignatureRecord>> UserSignatureHistory(Ledger& ledger, std::string_view user) {
  EventFilter f;
  f.user = std::string(user);
  f.kind = EventKind::kSignatureRecorded;
  CERTME_ASSIGN_OR_RETURN(auto events, ledger.Events(f));
  std::vector<SignatureRecord> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back({e.provider, e.digest, e.sign_request, e.signed_at, e.time, e.block});
  return out;
}

}  // namespace certme
