#include "bench/oidc_load/wallet_user.h"

#include <algorithm>

#include "ledger-client/abi.h"

namespace certme::bench {

const std::vector<std::string>& BenchAttributeNames() {
  static const std::vector<std::string> kNames = {"first_name", "last_name", "birth_date",   "gender",
                                                  "language",   "email",     "mobile_phone", "idnp"};
  return kNames;
}

const DisclosedAttribute* BenchUser::Find(std::string_view name) const {
  auto it = std::find_if(attributes.begin(), attributes.end(),
                         [&](const DisclosedAttribute& a) { return a.name == name; });
  return it == attributes.end() ? nullptr : &*it;
}

namespace {

std::string Value(std::string_view name, uint64_t i) {
  const std::string n = std::to_string(i);
  if (name == "first_name") return "Ion";
  if (name == "last_name") return "Popescu-" + n;
  if (name == "birth_date") return "1985-04-12";
  if (name == "gender") return "1";
  if (name == "language") return "ro";
  if (name == "email") return "user" + n + "@bench.example.md";
  if (name == "mobile_phone") return "+3736" + std::to_string(1000000 + i % 9000000);  // E.164, 11 digits
  if (name == "idnp") return std::to_string(2000000000000ULL + i % 1000000000000ULL);   // 13 digits
  return "";
}

}  // namespace

BenchUser MakeBenchUser(std::string_view seed, uint64_t index) {
  std::string material = "certme-bench-user|" + std::string(seed) + "|" + std::to_string(index);
  // A keccak output is a valid secp256k1 scalar except with probability
  // ~2^-128; re-hash in that case so every index has a key.
  Bytes32 secret = Keccak256(material);
  auto key = EthKey::FromPrivateKey(abi::AsView(secret));
  while (!key.ok()) {
    secret = Keccak256(abi::AsView(secret));
    key = EthKey::FromPrivateKey(abi::AsView(secret));
  }
  BenchUser u;
  u.index = index;
  u.key = *key;
  for (const auto& name : BenchAttributeNames()) {
    Bytes32 salt = Keccak256("certme-bench-salt|" + std::string(abi::AsView(secret)) + name);
    u.attributes.push_back({name, Value(name, index), salt});
  }
  return u;
}

StatusOr<uint64_t> EnrollBenchUsers(Ledger& ledger, const EthKey& validator, std::string_view seed,
                                    uint64_t begin, uint64_t end) {
  uint64_t issued = 0;
  for (uint64_t i = begin; i < end; ++i) {
    BenchUser u = MakeBenchUser(seed, i);
    std::vector<Bytes32> keys, commitments;
    for (const auto& a : u.attributes) {
      keys.push_back(AttributeKey(a.name));
      commitments.push_back(AttributeCommitment(u.key.address(), keys.back(), a.value, a.salt));
    }
    auto r = ledger.IssueEid(validator, u.key, keys, commitments, kLoaSubstantial);
    if (!r.ok()) {
      if (LedgerErrorOf(r.status()) == LedgerErrorCode::kEidExists) continue;
      return Status(r.status().code(), "user " + std::to_string(i) + ": " + r.status().message());
    }
    ++issued;
  }
  return issued;
}

std::optional<uint64_t> UserPicker::Next() {
  if (end_ <= begin_) return std::nullopt;
  uint64_t n = next_.fetch_add(1);
  if (fresh_) {
    if (n >= end_ - begin_) return std::nullopt;
    return begin_ + n;
  }
  return begin_ + n % (end_ - begin_);
}

}  // namespace certme::bench
