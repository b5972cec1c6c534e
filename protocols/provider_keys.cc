#include "protocols/provider_keys.h"

#include <openssl/crypto.h>

#include <cctype>

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/files.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "store/store.h"

namespace certme {
namespace {

using json = nlohmann::json;

constexpr char kFormat[] = "certme-provider-key-1";

class SingleProviderKey : public ProviderKeys {
 public:
  explicit SingleProviderKey(EthKey key) : key_(std::move(key)) {}
  StatusOr<EthKey> Key(std::string_view) override { return key_; }
  StatusOr<EthKey> Ensure(std::string_view) override { return key_; }
  StatusOr<std::string> Address(std::string_view) override { return key_.address(); }
  Status Remove(std::string_view) override { return Status(); }
  bool Dedicated() const override { return true; }

 private:
  const EthKey key_;
};

// Binds a sealed key to its service and address: a record copied under
// another service id, or with another address, does not open.
std::string Aad(std::string_view service_id, std::string_view address) {
  std::string aad(kFormat);
  aad.push_back('\0');
  aad.append(service_id);
  aad.push_back('\0');
  aad.append(address);
  return aad;
}

class StoreProviderKeys : public ProviderKeys {
 public:
  StoreProviderKeys(Store& store, std::string kek, Random& random)
      : store_(store), kek_(std::move(kek)), kek_id_(HexEncode(Sha256(kek_).substr(0, 8))), random_(random) {}
  ~StoreProviderKeys() override { OPENSSL_cleanse(kek_.data(), kek_.size()); }

  StatusOr<EthKey> Key(std::string_view service_id) override {
    if (Status st = CheckId(service_id); !st.ok()) return st;
    CERTME_ASSIGN_OR_RETURN(std::string record, store_.Get(kProviderKeyNamespace, service_id));
    return Open(service_id, record);
  }

  StatusOr<EthKey> Ensure(std::string_view service_id) override {
    auto existing = Key(service_id);
    if (existing.ok() || existing.status().code() != StatusCode::kNotFound) return existing;
    EthKey key = EthKey::Generate();
    std::string hex = key.PrivateKeyHex();
    std::string secret = HexDecode(std::string_view(hex).substr(2)).value_or("");
    OPENSSL_cleanse(hex.data(), hex.size());
    auto sealed = AeadSeal(kek_, secret, Aad(service_id, key.address()), random_);
    OPENSSL_cleanse(secret.data(), secret.size());
    if (!sealed.ok()) return sealed.status();
    json j = {{"format", kFormat},
              {"address", key.AddressHex()},
              {"kek_id", kek_id_},
              {"sealed", Base64UrlEncode(*sealed)}};
    Status put = store_.PutIfAbsent(kProviderKeyNamespace, service_id, j.dump(), kNoExpiry);
    if (put.code() == StatusCode::kAlreadyExists) return Key(service_id);  // another replica won
    if (!put.ok()) return put;
    return key;
  }

  StatusOr<std::string> Address(std::string_view service_id) override {
    if (Status st = CheckId(service_id); !st.ok()) return st;
    CERTME_ASSIGN_OR_RETURN(std::string record, store_.Get(kProviderKeyNamespace, service_id));
    CERTME_ASSIGN_OR_RETURN(auto parsed, Parse(record));
    return parsed.address;
  }

  Status Remove(std::string_view service_id) override {
    if (Status st = CheckId(service_id); !st.ok()) return st;
    return store_.Delete(kProviderKeyNamespace, service_id);
  }

  bool Dedicated() const override { return false; }

 private:
  struct Record {
    std::string address;  // 20 bytes
    std::string kek_id;
    std::string sealed;
  };

  static Status CheckId(std::string_view service_id) {
    if (service_id.empty() || service_id.size() > kMaxStoreKeyBytes) return InvalidArgument("bad service id");
    return Status();
  }

  static StatusOr<Record> Parse(std::string_view text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    auto str = [&](const char* name) -> std::string {
      auto it = j.find(name);
      return it != j.end() && it->is_string() ? it->get<std::string>() : "";
    };
    if (j.is_discarded() || !j.is_object() || str("format") != kFormat)
      return Internal("damaged provider key record");
    Record r;
    std::string addr = str("address");
    auto raw = ParseAddress(addr);
    auto sealed = Base64UrlDecode(str("sealed"));
    if (!raw.ok() || !sealed) return Internal("damaged provider key record");
    r.address = *raw;
    r.kek_id = str("kek_id");
    r.sealed = std::move(*sealed);
    return r;
  }

  StatusOr<EthKey> Open(std::string_view service_id, std::string_view text) {
    CERTME_ASSIGN_OR_RETURN(Record r, Parse(text));
    if (!r.kek_id.empty() && r.kek_id != kek_id_)
      return Unauthenticated("provider key sealed under another key-encryption key");
    auto secret = AeadOpen(kek_, r.sealed, Aad(service_id, r.address));
    if (!secret.ok()) return Unauthenticated("provider key does not decrypt under this key-encryption key");
    auto key = EthKey::FromPrivateKey(*secret);
    OPENSSL_cleanse(secret->data(), secret->size());
    if (!key.ok() || key->address() != r.address) return Internal("damaged provider key record");
    return key;
  }

  Store& store_;
  std::string kek_;
  const std::string kek_id_;  // first 8 bytes of SHA-256(KEK), hex: tells a replaced KEK apart
  Random& random_;
};

}  // namespace

std::unique_ptr<ProviderKeys> NewSingleProviderKey(EthKey key) {
  return std::make_unique<SingleProviderKey>(std::move(key));
}

std::unique_ptr<ProviderKeys> NewStoreProviderKeys(Store& store, std::string kek, Random& random) {
  return std::make_unique<StoreProviderKeys>(store, std::move(kek), random);
}

StatusOr<std::string> StoredProviderAddress(Store& store, std::string_view service_id) {
  if (service_id.empty() || service_id.size() > kMaxStoreKeyBytes) return InvalidArgument("bad service id");
  CERTME_ASSIGN_OR_RETURN(std::string record, store.Get(kProviderKeyNamespace, service_id));
  json j = json::parse(record, nullptr, /*allow_exceptions=*/false);
  auto it = j.is_object() ? j.find("address") : j.end();
  if (j.is_discarded() || !j.is_object() || it == j.end() || !it->is_string())
    return Internal("damaged provider key record");
  auto addr = ParseAddress(it->get<std::string>());
  if (!addr.ok()) return Internal("damaged provider key record");
  return *addr;
}

StatusOr<std::string> ReadKekFile(const std::string& path, std::string_view setting) {
  const std::string what(setting);
  auto text = ReadSmallFile(path, 4096);
  if (!text.ok()) return FailedPrecondition(what + ": cannot read the key-encryption key " + path);
  std::string_view t = *text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  if (t.rfind("0x", 0) == 0) t.remove_prefix(2);
  auto kek = t.size() == 2 * kAeadKeyBytes ? HexDecode(t) : std::nullopt;
  OPENSSL_cleanse(text->data(), text->size());
  if (!kek) return InvalidArgument(what + ": " + path + " must hold 64 hex digits (openssl rand -hex 32)");
  return std::move(*kek);
}

Status CheckProviderKeys(Store& store, ProviderKeys& keys, const std::string& kek_path) {
  auto all = store.List(kProviderKeyNamespace);
  if (!all.ok()) return Unavailable("provider key store: cannot list the stored keys: " + all.status().ToString());
  for (const auto& e : *all) {
    auto k = keys.Key(e.key);
    if (!k.ok())
      return Unauthenticated("provider key store: the key of service \"" + e.key + "\" does not open with " +
                             kek_path + " (" + k.status().message() + ")");
  }
  return Status();
}

}  // namespace certme
