#include "ledger-client/eip712.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/encoding.h"
#include "ledger-client/abi.h"

namespace certme {

using nlohmann::json;

Bytes32 DomainSeparator(const Eip712Domain& d) {
  static const Bytes32 kTypeHash = Keccak256(kEip712DomainType);
  // EIP-712 §encodeData: string members are hashed, the rest are words.
  return Keccak256(abi::Encoder()
                       .Fixed(kTypeHash)
                       .Fixed(Keccak256(d.name))
                       .Fixed(Keccak256(d.version))
                       .Uint(d.chain_id)
                       .Address(d.verifying_contract)
                       .Encode());
}

Bytes32 Eip712Digest(const Bytes32& domain_separator, const Bytes32& struct_hash) {
  std::string buf("\x19\x01", 2);
  buf.append(abi::AsView(domain_separator));
  buf.append(abi::AsView(struct_hash));
  return Keccak256(buf);
}

// ---------------------------------------------------------------- generic

namespace {

// A 256-bit big-endian integer being parsed.
using Word256 = std::array<uint8_t, 32>;

// w = w * m + add; false on overflow past 256 bits.
bool MulAdd(Word256& w, unsigned m, unsigned add) {
  unsigned carry = add;
  for (int i = 31; i >= 0; --i) {
    unsigned v = w[i] * m + carry;
    w[i] = static_cast<uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return carry == 0;
}

void Negate(Word256& w) {  // two's complement
  for (auto& b : w) b = static_cast<uint8_t>(~b);
  for (int i = 31; i >= 0; --i)
    if (++w[i] != 0) break;
}

// Parses a magnitude from decimal or 0x-hex text.
StatusOr<Word256> ParseMagnitude(std::string_view s) {
  Word256 w{};
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    for (char c : s) {
      int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
              : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                          : -1;
      if (d < 0) return InvalidArgument("EIP-712: bad hex integer");
      if (!MulAdd(w, 16, static_cast<unsigned>(d))) return InvalidArgument("EIP-712: integer exceeds 256 bits");
    }
    return w;
  }
  if (s.empty() || s.size() > 80) return InvalidArgument("EIP-712: bad integer");
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return InvalidArgument("EIP-712: bad integer");
    if (!MulAdd(w, 10, static_cast<unsigned>(c - '0'))) return InvalidArgument("EIP-712: integer exceeds 256 bits");
  }
  return w;
}

// Encodes an integer value of type (u)int<bits>.
StatusOr<Bytes32> EncodeInteger(const json& v, bool is_signed, int bits) {
  bool negative = false;
  Word256 mag{};
  if (v.is_number_unsigned()) {
    mag = abi::Word(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    int64_t x = v.get<int64_t>();
    negative = x < 0;
    // Magnitude of INT64_MIN does not fit in int64: go through uint64.
    uint64_t m = negative ? (~static_cast<uint64_t>(x) + 1) : static_cast<uint64_t>(x);
    mag = abi::Word(m);
  } else if (v.is_string()) {
    std::string_view s = v.get_ref<const std::string&>();
    if (!s.empty() && s[0] == '-') {
      negative = true;
      s.remove_prefix(1);
    }
    CERTME_ASSIGN_OR_RETURN(mag, ParseMagnitude(s));
  } else {
    return InvalidArgument("EIP-712: integer value expected");
  }
  bool zero = std::all_of(mag.begin(), mag.end(), [](uint8_t b) { return b == 0; });
  if (negative && zero) negative = false;
  if (negative && !is_signed) return InvalidArgument("EIP-712: negative value for an unsigned type");
  // Range: unsigned < 2^bits; signed magnitude < 2^(bits-1) (or == for negatives).
  const int limit_bits = is_signed ? bits - 1 : bits;
  // Bits above limit_bits must be zero in the magnitude, except the exact
  // value 2^(bits-1) which is allowed when negative.
  auto bit_set = [&](int bit) { return (mag[31 - bit / 8] >> (bit % 8)) & 1; };
  for (int bit = limit_bits; bit < 256; ++bit) {
    if (!bit_set(bit)) continue;
    bool is_min = negative && bit == limit_bits;
    if (is_min) {
      for (int lower = 0; lower < limit_bits && is_min; ++lower) is_min = !bit_set(lower);
      for (int higher = limit_bits + 1; higher < 256 && is_min; ++higher) is_min = !bit_set(higher);
    }
    if (!is_min) return InvalidArgument("EIP-712: integer out of range for its type");
  }
  if (negative) Negate(mag);
  return mag;
}

StatusOr<std::string> HexBytes(const json& v) {
  if (!v.is_string()) return InvalidArgument("EIP-712: hex string expected");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
    return InvalidArgument("EIP-712: hex string must start with 0x");
  auto b = HexDecode(s);
  if (!b) return InvalidArgument("EIP-712: bad hex string");
  return *b;
}

// "Foo[2][]" → base "Foo"; ParseArray splits off the last dimension.
struct ArrayType {
  std::string element;
  std::optional<size_t> fixed_len;
};
std::optional<ArrayType> ParseArray(std::string_view type) {
  if (type.empty() || type.back() != ']') return std::nullopt;
  size_t open = type.rfind('[');
  if (open == std::string_view::npos || open == 0) return std::nullopt;
  ArrayType a{std::string(type.substr(0, open)), std::nullopt};
  std::string_view n = type.substr(open + 1, type.size() - open - 2);
  if (!n.empty()) {
    if (n.size() > 6 || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    a.fixed_len = std::stoul(std::string(n));
  }
  return a;
}

std::string BaseType(std::string_view type) {
  size_t open = type.find('[');
  return std::string(open == std::string_view::npos ? type : type.substr(0, open));
}

// Validates the shape of `types` once: an object of arrays of {name, type}.
Status CheckTypes(const json& types) {
  if (!types.is_object()) return InvalidArgument("EIP-712: types must be an object");
  for (const auto& [name, fields] : types.items()) {
    if (name.empty()) return InvalidArgument("EIP-712: empty type name");
    if (!fields.is_array()) return InvalidArgument("EIP-712: type " + name + " must list its fields");
    for (const auto& f : fields) {
      if (!f.is_object() || !f.contains("name") || !f.contains("type") || !f["name"].is_string() ||
          !f["type"].is_string())
        return InvalidArgument("EIP-712: field of " + name + " needs a string name and type");
    }
  }
  return Status::Ok();
}

void CollectDeps(const json& types, const std::string& type, std::set<std::string>& out) {
  if (out.count(type) || !types.contains(type)) return;
  out.insert(type);
  for (const auto& f : types[type]) CollectDeps(types, BaseType(f["type"].get<std::string>()), out);
}

std::string TypeDefinition(const json& types, const std::string& name) {
  std::string s = name + "(";
  bool first = true;
  for (const auto& f : types[name]) {
    if (!first) s += ",";
    s += f["type"].get<std::string>() + " " + f["name"].get<std::string>();
    first = false;
  }
  return s + ")";
}

class Hasher {
 public:
  explicit Hasher(const json& types) : types_(types) {}

  StatusOr<Bytes32> HashStruct(const std::string& type, const json& value, size_t depth) {
    if (depth > kMaxTypedDataDepth) return InvalidArgument("EIP-712: nesting too deep");
    if (!types_.contains(type)) return InvalidArgument("EIP-712: unknown type " + type);
    if (!value.is_object()) return InvalidArgument("EIP-712: value of " + type + " must be an object");
    CERTME_ASSIGN_OR_RETURN(std::string enc_type, EncodeTypeOf(type));
    std::string buf(abi::AsView(Keccak256(enc_type)));
    for (const auto& f : types_[type]) {
      const std::string& fname = f["name"].get_ref<const std::string&>();
      // A member missing from the value is an error, as in ethers (no
      // silent zero that would sign something the user never saw).
      if (!value.contains(fname)) return InvalidArgument("EIP-712: missing value for " + type + "." + fname);
      CERTME_ASSIGN_OR_RETURN(Bytes32 w, EncodeValue(f["type"].get<std::string>(), value[fname], depth + 1));
      buf.append(abi::AsView(w));
    }
    return Keccak256(buf);
  }

  StatusOr<std::string> EncodeTypeOf(const std::string& primary) {
    if (!types_.contains(primary)) return InvalidArgument("EIP-712: unknown type " + primary);
    std::set<std::string> deps;
    CollectDeps(types_, primary, deps);
    deps.erase(primary);
    std::string s = TypeDefinition(types_, primary);
    for (const auto& d : deps) s += TypeDefinition(types_, d);  // std::set: sorted by name
    return s;
  }

 private:
  StatusOr<Bytes32> EncodeValue(const std::string& type, const json& v, size_t depth) {
    if (depth > kMaxTypedDataDepth) return InvalidArgument("EIP-712: nesting too deep");
    if (auto arr = ParseArray(type)) {
      // EIP-712 §encodeData: an array is keccak256 of the concatenated
      // encodeData of its elements.
      if (!v.is_array()) return InvalidArgument("EIP-712: array expected for " + type);
      if (arr->fixed_len && v.size() != *arr->fixed_len)
        return InvalidArgument("EIP-712: wrong length for " + type);
      items_ += v.size();
      if (items_ > kMaxTypedDataItems) return InvalidArgument("EIP-712: too many array items");
      std::string buf;
      for (const auto& item : v) {
        CERTME_ASSIGN_OR_RETURN(Bytes32 w, EncodeValue(arr->element, item, depth + 1));
        buf.append(abi::AsView(w));
      }
      return Keccak256(buf);
    }
    if (types_.contains(type)) return HashStruct(type, v, depth + 1);
    if (type == "string") {
      if (!v.is_string()) return InvalidArgument("EIP-712: string expected");
      return Keccak256(v.get_ref<const std::string&>());
    }
    if (type == "bytes") {
      CERTME_ASSIGN_OR_RETURN(std::string b, HexBytes(v));
      return Keccak256(b);
    }
    if (type == "bool") {
      if (!v.is_boolean()) return InvalidArgument("EIP-712: boolean expected");
      return abi::Word(v.get<bool>() ? 1 : 0);
    }
    if (type == "address") {
      if (!v.is_string()) return InvalidArgument("EIP-712: address expected");
      CERTME_ASSIGN_OR_RETURN(std::string a, ParseAddress(v.get_ref<const std::string&>()));
      return abi::AddressWord(a);
    }
    if (type.rfind("uint", 0) == 0 || type.rfind("int", 0) == 0) {
      const bool is_signed = type[0] == 'i';
      std::string_view digits = std::string_view(type).substr(is_signed ? 3 : 4);
      int bits = 256;
      if (!digits.empty()) {
        if (digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
          return InvalidArgument("EIP-712: unknown type " + type);
        bits = std::stoi(std::string(digits));
        if (bits < 8 || bits > 256 || bits % 8) return InvalidArgument("EIP-712: unknown type " + type);
      }
      return EncodeInteger(v, is_signed, bits);
    }
    if (type.rfind("bytes", 0) == 0) {
      std::string_view digits = std::string_view(type).substr(5);
      if (digits.empty() || digits.size() > 2 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return InvalidArgument("EIP-712: unknown type " + type);
      int n = std::stoi(std::string(digits));
      if (n < 1 || n > 32) return InvalidArgument("EIP-712: unknown type " + type);
      CERTME_ASSIGN_OR_RETURN(std::string b, HexBytes(v));
      if (b.size() != static_cast<size_t>(n)) return InvalidArgument("EIP-712: wrong length for " + type);
      Bytes32 w{};
      std::copy(b.begin(), b.end(), w.begin());  // bytesN is left-aligned
      return w;
    }
    return InvalidArgument("EIP-712: unknown type " + type);
  }

  const json& types_;
  size_t items_ = 0;
};

}  // namespace

StatusOr<std::string> Eip712EncodeType(const json& types, std::string_view primary_type) {
  CERTME_RETURN_IF_ERROR(CheckTypes(types));
  return Hasher(types).EncodeTypeOf(std::string(primary_type));
}

StatusOr<Bytes32> Eip712HashStruct(const json& types, std::string_view primary_type, const json& value) {
  CERTME_RETURN_IF_ERROR(CheckTypes(types));
  return Hasher(types).HashStruct(std::string(primary_type), value, 0);
}

StatusOr<Bytes32> TypedDataDigest(const json& td) {
  if (!td.is_object() || !td.contains("types") || !td.contains("primaryType") || !td.contains("domain") ||
      !td.contains("message"))
    return InvalidArgument("EIP-712: document needs types, primaryType, domain and message");
  if (!td["primaryType"].is_string() || !td["domain"].is_object())
    return InvalidArgument("EIP-712: bad primaryType or domain");
  json types = td["types"];
  CERTME_RETURN_IF_ERROR(CheckTypes(types));
  if (!types.contains("EIP712Domain")) {
    static const std::pair<const char*, const char*> kDomainFields[] = {
        {"name", "string"}, {"version", "string"}, {"chainId", "uint256"},
        {"verifyingContract", "address"}, {"salt", "bytes32"}};
    json fields = json::array();
    for (const auto& [n, t] : kDomainFields)
      if (td["domain"].contains(n)) fields.push_back({{"name", n}, {"type", t}});
    types["EIP712Domain"] = fields;
  }
  const std::string primary = td["primaryType"].get<std::string>();
  if (primary == "EIP712Domain") return InvalidArgument("EIP-712: primaryType cannot be the domain");
  Hasher h(types);
  CERTME_ASSIGN_OR_RETURN(Bytes32 ds, h.HashStruct("EIP712Domain", td["domain"], 0));
  CERTME_ASSIGN_OR_RETURN(Bytes32 sh, h.HashStruct(primary, td["message"], 0));
  return Eip712Digest(ds, sh);
}

// ---------------------------------------------------------------- consent

Bytes32 ConsentStructHash(const Consent& c) {
  static const Bytes32 kTypeHash = Keccak256(kConsentType);
  std::string keys;
  for (const auto& k : c.attr_keys) keys.append(abi::AsView(k));
  return Keccak256(abi::Encoder()
                       .Fixed(kTypeHash)
                       .Address(c.user)
                       .Address(c.provider)
                       .Fixed(Keccak256(keys))  // bytes32[]: keccak of the packed words
                       .Fixed(c.nonce)
                       .Uint(c.expiry)
                       .Encode());
}

Bytes32 ConsentDigest(const Eip712Domain& domain, const Consent& consent) {
  return Eip712Digest(DomainSeparator(domain), ConsentStructHash(consent));
}

json TypedDataDomainType() {
  return {{{"name", "name"}, {"type", "string"}},
          {{"name", "version"}, {"type", "string"}},
          {{"name", "chainId"}, {"type", "uint256"}},
          {{"name", "verifyingContract"}, {"type", "address"}}};
}

json TypedDataDomain(const Eip712Domain& d) {
  return {{"name", d.name},
          {"version", d.version},
          {"chainId", d.chain_id},
          {"verifyingContract", ChecksumAddress(d.verifying_contract)}};
}

json ConsentTypedData(const Eip712Domain& d, const Consent& c) {
  json keys = json::array();
  for (const auto& k : c.attr_keys) keys.push_back("0x" + HexEncode(abi::AsView(k)));
  return {
      {"types",
       {{"EIP712Domain", TypedDataDomainType()},
        {"Consent",
         {{{"name", "user"}, {"type", "address"}},
          {{"name", "provider"}, {"type", "address"}},
          {{"name", "attrKeys"}, {"type", "bytes32[]"}},
          {{"name", "nonce"}, {"type", "bytes32"}},
          {{"name", "expiry"}, {"type", "uint256"}}}}}},
      {"primaryType", "Consent"},
      {"domain", TypedDataDomain(d)},
      {"message",
       {{"user", ChecksumAddress(c.user)},
        {"provider", ChecksumAddress(c.provider)},
        {"attrKeys", keys},
        {"nonce", "0x" + HexEncode(abi::AsView(c.nonce))},
        {"expiry", std::to_string(c.expiry)}}},
  };
}

EthSignature SignConsent(const EthKey& key, const Eip712Domain& domain, const Consent& consent) {
  return key.SignDigest(ConsentDigest(domain, consent));
}

StatusOr<std::string> RecoverConsentSigner(const Eip712Domain& domain, const Consent& consent,
                                           const EthSignature& sig) {
  return RecoverAddress(ConsentDigest(domain, consent), sig);
}

// ---------------------------------------------------------------- enrolment

namespace {
std::string Packed(const std::vector<Bytes32>& words) {
  std::string out;
  for (const auto& w : words) out.append(abi::AsView(w));
  return out;
}
json HexWords(const std::vector<Bytes32>& words) {
  json out = json::array();
  for (const auto& w : words) out.push_back("0x" + HexEncode(abi::AsView(w)));
  return out;
}
}  // namespace

Bytes32 EnrolmentStructHash(const Enrolment& e) {
  static const Bytes32 kTypeHash = Keccak256(kEnrolmentType);
  return Keccak256(abi::Encoder()
                       .Fixed(kTypeHash)
                       .Address(e.user)
                       .Address(e.validator)
                       .Fixed(Keccak256(Packed(e.attr_keys)))
                       .Fixed(Keccak256(Packed(e.commitments)))
                       .Uint(e.loa)
                       .Uint(e.deadline)
                       .Encode());
}

Bytes32 EnrolmentDigest(const Eip712Domain& domain, const Enrolment& e) {
  return Eip712Digest(DomainSeparator(domain), EnrolmentStructHash(e));
}

json EnrolmentTypedData(const Eip712Domain& d, const Enrolment& e) {
  return {
      {"types",
       {{"EIP712Domain", TypedDataDomainType()},
        {"Enrolment",
         {{{"name", "user"}, {"type", "address"}},
          {{"name", "validator"}, {"type", "address"}},
          {{"name", "attrKeys"}, {"type", "bytes32[]"}},
          {{"name", "commitments"}, {"type", "bytes32[]"}},
          {{"name", "loa"}, {"type", "uint8"}},
          {{"name", "deadline"}, {"type", "uint256"}}}}}},
      {"primaryType", "Enrolment"},
      {"domain", TypedDataDomain(d)},
      {"message",
       {{"user", ChecksumAddress(e.user)},
        {"validator", ChecksumAddress(e.validator)},
        {"attrKeys", HexWords(e.attr_keys)},
        {"commitments", HexWords(e.commitments)},
        {"loa", e.loa},
        {"deadline", std::to_string(e.deadline)}}},
  };
}

EthSignature SignEnrolment(const EthKey& key, const Eip712Domain& domain, const Enrolment& e) {
  return key.SignDigest(EnrolmentDigest(domain, e));
}

StatusOr<std::string> RecoverEnrolmentSigner(const Eip712Domain& domain, const Enrolment& e,
                                             const EthSignature& sig) {
  return RecoverAddress(EnrolmentDigest(domain, e), sig);
}

// ---------------------------------------------------------------- signed digest

Bytes32 SignedDigestStructHash(const SignedDigest& d) {
  static const Bytes32 kTypeHash = Keccak256(kSignedDigestType);
  return Keccak256(abi::Encoder()
                       .Fixed(kTypeHash)
                       .Address(d.user)
                       .Address(d.provider)
                       .Fixed(d.digest)
                       .Fixed(d.request)
                       .Uint(d.signed_at)
                       .Encode());
}

Bytes32 SignedDigestDigest(const Eip712Domain& domain, const SignedDigest& d) {
  return Eip712Digest(DomainSeparator(domain), SignedDigestStructHash(d));
}

json SignedDigestTypedData(const Eip712Domain& domain, const SignedDigest& d) {
  return {
      {"types",
       {{"EIP712Domain", TypedDataDomainType()},
        {"SignedDigest",
         {{{"name", "user"}, {"type", "address"}},
          {{"name", "provider"}, {"type", "address"}},
          {{"name", "digest"}, {"type", "bytes32"}},
          {{"name", "request"}, {"type", "bytes32"}},
          {{"name", "signedAt"}, {"type", "uint256"}}}}}},
      {"primaryType", "SignedDigest"},
      {"domain", TypedDataDomain(domain)},
      {"message",
       {{"user", ChecksumAddress(d.user)},
        {"provider", ChecksumAddress(d.provider)},
        {"digest", "0x" + HexEncode(abi::AsView(d.digest))},
        {"request", "0x" + HexEncode(abi::AsView(d.request))},
        {"signedAt", std::to_string(d.signed_at)}}},
  };
}

EthSignature SignSignedDigest(const EthKey& key, const Eip712Domain& domain, const SignedDigest& d) {
  return key.SignDigest(SignedDigestDigest(domain, d));
}

StatusOr<std::string> RecoverSignedDigestSigner(const Eip712Domain& domain, const SignedDigest& d,
                                                const EthSignature& sig) {
  return RecoverAddress(SignedDigestDigest(domain, d), sig);
}

}  // namespace certme
