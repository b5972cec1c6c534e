// One-time notes that must outlive the redirect after a POST
// (POST/Redirect/GET) but never travel in clear in a URL or a cookie: a
// secret shown once (a new client secret, a new API token).
//
// Put seals the note and keeps it in the console's Store for kFlashSeconds;
// the redirect carries only the note's random id (?flash=ID). Take consumes
// it: the first view shows it, a reload, another tab or a replayed address
// finds nothing. The Store holds neither the id nor the note in clear: the
// record's key is the SHA-256 of the id, its value AES-256-GCM under a key
// derived from the id and bound to the signed-in user (another user's
// session can neither open nor consume it).
//
// Safe for concurrent use (the Store's Consume is atomic).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/random.h"
#include "common/status.h"

namespace certme {
class Store;
}

namespace certme::admin {

inline constexpr int64_t kFlashSeconds = 300;

class FlashNotes {
 public:
  FlashNotes(Store& store, Random& random) : store_(store), random_(random) {}

  // The id of the stored note; Unavailable when the Store is.
  StatusOr<std::string> Put(std::string_view user, const nlohmann::json& note);
  // The note once, for the user it was made for; nullopt for an unknown,
  // malformed, expired, already taken or another user's id.
  std::optional<nlohmann::json> Take(std::string_view id, std::string_view user);

 private:
  Store& store_;
  Random& random_;
};

}  // namespace certme::admin
