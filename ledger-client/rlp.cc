#include "ledger-client/rlp.h"

namespace certme::rlp {
namespace {

std::string BigEndian(uint64_t v) {
  std::string out;
  while (v) {
    out.insert(out.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  }
  return out;
}

std::string Prefix(size_t len, uint8_t short_base, uint8_t long_base) {
  if (len <= 55) return std::string(1, static_cast<char>(short_base + len));
  std::string l = BigEndian(len);
  return std::string(1, static_cast<char>(long_base + l.size())) + l;
}

Status Bad(const char* why) { return InvalidArgument("malformed RLP", why); }

// Decodes one item at data[*pos…]; advances *pos past it.
StatusOr<Item> DecodeAt(std::string_view data, size_t* pos, size_t depth) {
  if (depth > kMaxDepth) return Bad("nesting too deep");
  if (*pos >= data.size()) return Bad("truncated");
  const uint8_t b = static_cast<uint8_t>(data[*pos]);
  Item item;
  size_t len = 0;
  size_t start = *pos + 1;
  if (b < 0x80) {
    item.bytes = std::string(1, static_cast<char>(b));
    *pos += 1;
    return item;
  }
  if (b <= 0xb7 || (b >= 0xc0 && b <= 0xf7)) {
    len = b <= 0xb7 ? b - 0x80 : b - 0xc0;
  } else {
    const size_t len_of_len = b <= 0xbf ? b - 0xb7 : b - 0xf7;
    if (len_of_len > 8 || data.size() - start < len_of_len) return Bad("truncated length");
    if (data[start] == 0) return Bad("length with a leading zero");
    uint64_t l = 0;
    for (size_t i = 0; i < len_of_len; ++i) l = (l << 8) | static_cast<uint8_t>(data[start + i]);
    if (l <= 55) return Bad("long form for a short length");
    if (l > data.size()) return Bad("length past the input");
    len = static_cast<size_t>(l);
    start += len_of_len;
  }
  if (start > data.size() || data.size() - start < len) return Bad("length past the input");
  if (b < 0xc0) {
    if (len == 1 && static_cast<uint8_t>(data[start]) < 0x80) return Bad("single byte wrapped in a string");
    item.bytes = std::string(data.substr(start, len));
  } else {
    item.is_list = true;
    size_t p = start;
    const size_t end = start + len;
    while (p < end) {
      CERTME_ASSIGN_OR_RETURN(Item child, DecodeAt(data.substr(0, end), &p, depth + 1));
      item.items.push_back(std::move(child));
    }
  }
  *pos = start + len;
  return item;
}

}  // namespace

std::string EncodeBytes(std::string_view bytes) {
  if (bytes.size() == 1 && static_cast<uint8_t>(bytes[0]) < 0x80) return std::string(bytes);
  return Prefix(bytes.size(), 0x80, 0xb7) + std::string(bytes);
}

std::string EncodeUint(uint64_t v) { return EncodeBytes(BigEndian(v)); }

std::string EncodeBigEndian(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && bytes[i] == 0) ++i;
  return EncodeBytes(bytes.substr(i));
}

std::string EncodeList(const std::vector<std::string>& encoded_items) {
  std::string body;
  for (const auto& i : encoded_items) body += i;
  return Prefix(body.size(), 0xc0, 0xf7) + body;
}

StatusOr<Item> Decode(std::string_view data) {
  size_t pos = 0;
  CERTME_ASSIGN_OR_RETURN(Item item, DecodeAt(data, &pos, 0));
  if (pos != data.size()) return Bad("bytes after the item");
  return item;
}

StatusOr<uint64_t> ToUint(const Item& item) {
  if (item.is_list) return Bad("a list where an integer was expected");
  if (item.bytes.size() > 8) return Bad("integer too large");
  if (!item.bytes.empty() && item.bytes[0] == 0) return Bad("integer with a leading zero");
  uint64_t v = 0;
  for (char c : item.bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace certme::rlp
