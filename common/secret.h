// A string that never prints itself (docs/ARCHITECTURE.md rule 13): passwords, client
// secrets, private key passphrases. Streaming or formatting it shows
// "[redacted]"; the value is reachable only through reveal().
#pragma once

#include <ostream>
#include <string>

namespace certme {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string v) : v_(std::move(v)) {}
  const std::string& reveal() const { return v_; }
  bool empty() const { return v_.empty(); }
  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "[redacted]"; }
  bool operator==(const Secret& o) const = delete;  // use a constant-time compare

 private:
  std::string v_;
};

// Constant-time equality for secrets and MACs (length is not hidden).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace certme
