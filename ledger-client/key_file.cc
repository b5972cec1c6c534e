#include "ledger-client/key_file.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "crypto/eth_key_import.h"
#include "ledger-client/abi.h"

namespace certme {
namespace {

using json = nlohmann::json;

StatusOr<std::string> StringMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return InvalidArgument(std::string("missing \"") + name + "\"");
  if (!it->is_string()) return InvalidArgument(std::string("\"") + name + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace

Status WriteServiceKeyFile(const std::string& path, const EthKey& key) {
  json j = {{"format", "certme-service-key-1"}, {"address", key.AddressHex()}, {"private_key", key.PrivateKeyHex()}};
  return WritePrivateFile(path, j.dump(2) + "\n", /*overwrite=*/false);
}

StatusOr<EthKey> ReadServiceKeyFile(const std::string& path, const Secret* p12_password) {
  CERTME_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, 64 * 1024));
  if (text.rfind("-----BEGIN", 0) == 0) {
    auto k = EthKeyFromPem(text);
    if (!k.ok()) return InvalidArgument(path + ": " + k.status().message());
    return k;
  }
  std::string trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
  // A bare hex key ("0x…" or digits): checked before DER, whose first byte
  // (0x30) is also the character '0'.
  const size_t digits_from = trimmed.rfind("0x", 0) == 0 ? 2 : 0;
  const bool all_hex = trimmed.size() > digits_from &&
                       std::all_of(trimmed.begin() + digits_from, trimmed.end(),
                                   [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (all_hex) {
    auto k = EthKey::FromHex(trimmed);
    if (!k.ok()) return InvalidArgument(path + ": not a key file");
    return k;
  }
  // DER: a PKCS#12 bundle is an ASN.1 SEQUENCE.
  if (!text.empty() && static_cast<unsigned char>(text[0]) == 0x30) {
    auto k = EthKeyFromPkcs12(text, p12_password ? *p12_password : Secret());
    if (!k.ok()) return Status(k.status().code(), path + ": " + k.status().message());
    return k;
  }
  if (!trimmed.empty() && trimmed[0] != '{') return InvalidArgument(path + ": not a key file");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument(path + ": key file is not a JSON object");
  auto hex = StringMember(j, "private_key");
  if (!hex.ok()) return InvalidArgument(path + ": " + hex.status().message());
  auto k = EthKey::FromHex(*hex);
  if (!k.ok()) return InvalidArgument(path + ": private_key is not a secp256k1 key");
  if (auto a = StringMember(j, "address"); a.ok()) {
    auto addr = ParseAddress(*a);
    if (!addr.ok() || *addr != k->address()) return InvalidArgument(path + ": address does not match the key");
  }
  return k;
}

}  // namespace certme
