#include "idp/admin/flash.h"

#include <chrono>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "store/store.h"

namespace certme::admin {
namespace {

constexpr char kNamespace[] = "admin_flash";
constexpr size_t kIdChars = 43;  // Token(32): 256 bits, base64url

bool WellFormedId(std::string_view id) {
  if (id.size() != kIdChars) return false;
  for (char c : id)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}

std::string RecordKey(std::string_view id) { return Sha256Hex("certme admin flash id\n" + std::string(id)); }
std::string SealKey(std::string_view id) { return HmacSha256(id, "certme admin flash key"); }
std::string Aad(std::string_view user) { return "certme admin flash for " + std::string(user); }

}  // namespace

StatusOr<std::string> FlashNotes::Put(std::string_view user, const nlohmann::json& note) {
  std::string id = random_.Token(32);
  CERTME_ASSIGN_OR_RETURN(std::string sealed, AeadSeal(SealKey(id), note.dump(), Aad(user), random_));
  CERTME_RETURN_IF_ERROR(store_.Put(kNamespace, RecordKey(id), sealed, std::chrono::seconds(kFlashSeconds)));
  return id;
}

std::optional<nlohmann::json> FlashNotes::Take(std::string_view id, std::string_view user) {
  if (!WellFormedId(id)) return std::nullopt;
  // Opened before it is consumed, so a wrong user does not burn it; of two
  // concurrent views only the one whose Consume wins shows it.
  auto sealed = store_.Get(kNamespace, RecordKey(id));
  if (!sealed.ok()) return std::nullopt;
  auto plain = AeadOpen(SealKey(id), *sealed, Aad(user));
  if (!plain.ok()) return std::nullopt;
  if (!store_.Consume(kNamespace, RecordKey(id)).ok()) return std::nullopt;
  nlohmann::json note = nlohmann::json::parse(*plain, nullptr, false);
  if (note.is_discarded() || !note.is_object()) return std::nullopt;
  return note;
}

}  // namespace certme::admin
