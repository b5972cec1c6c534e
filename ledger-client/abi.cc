#include "ledger-client/abi.h"

#include <algorithm>
#include <cstring>

namespace certme::abi {
namespace {

constexpr size_t kWord = 32;

std::string PadRight(std::string_view bytes) {
  std::string out(bytes);
  out.append((kWord - bytes.size() % kWord) % kWord, '\0');
  return out;
}

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

}  // namespace

Bytes32 Word(uint64_t v) {
  Bytes32 w{};
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return w;
}

Bytes32 AddressWord(std::string_view address20) {
  Bytes32 w{};
  std::memcpy(w.data() + 12, address20.data(), std::min<size_t>(address20.size(), 20));
  return w;
}

std::string_view AsView(const Bytes32& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

Bytes32 ToBytes32(std::string_view exactly32) {
  Bytes32 w{};
  std::memcpy(w.data(), exactly32.data(), std::min<size_t>(exactly32.size(), 32));
  return w;
}

std::string Selector(std::string_view signature) {
  return std::string(AsView(Keccak256(signature)).substr(0, 4));
}

// ---------------------------------------------------------------- Encoder

Encoder& Encoder::Address(std::string_view address20) { return Fixed(AddressWord(address20)); }
Encoder& Encoder::Uint(uint64_t v) { return Fixed(Word(v)); }

Encoder& Encoder::Fixed(const Bytes32& word) {
  parts_.push_back({false, std::string(AsView(word))});
  return *this;
}

Encoder& Encoder::Bytes(std::string_view bytes) {
  // Tail of a dynamic `bytes`: length word, then the data right-padded.
  parts_.push_back({true, std::string(AsView(Word(bytes.size()))) + PadRight(bytes)});
  return *this;
}

Encoder& Encoder::String(std::string_view utf8) { return Bytes(utf8); }

Encoder& Encoder::Bytes32Array(const std::vector<Bytes32>& items) {
  std::string tail(AsView(Word(items.size())));
  for (const auto& it : items) tail.append(AsView(it));
  parts_.push_back({true, std::move(tail)});
  return *this;
}

Encoder& Encoder::BytesArray(const std::vector<std::string>& items) {
  // Tail of a dynamic `bytes[]`: the count, then the elements as a tuple of
  // `bytes` (offsets measured from just after the count).
  Encoder inner;
  for (const auto& it : items) inner.Bytes(it);
  parts_.push_back({true, std::string(AsView(Word(items.size()))) + inner.Encode()});
  return *this;
}

std::string Encoder::Encode() const {
  // Heads first (one word per element: the value, or the offset of its
  // tail measured from the start of the tuple), then the tails in order.
  std::string head, tail;
  const size_t head_size = parts_.size() * kWord;
  for (const auto& p : parts_) {
    if (p.dynamic) {
      head.append(AsView(Word(head_size + tail.size())));
      tail.append(p.data);
    } else {
      head.append(p.data);
    }
  }
  return head + tail;
}

// ---------------------------------------------------------------- Decoder

StatusOr<Bytes32> Decoder::WordAt(size_t at) const {
  if (at > data_.size() || data_.size() - at < kWord)
    return InvalidArgument("ABI data too short", "word at offset " + std::to_string(at));
  return ToBytes32(data_.substr(at, kWord));
}

StatusOr<Bytes32> Decoder::NextHead() {
  CERTME_ASSIGN_OR_RETURN(Bytes32 w, WordAt(head_));
  head_ += kWord;
  return w;
}

StatusOr<std::string> Decoder::Address() {
  CERTME_ASSIGN_OR_RETURN(Bytes32 w, NextHead());
  if (!AllZero(w.data(), 12)) return InvalidArgument("ABI address with non-zero padding");
  return std::string(AsView(w).substr(12));
}

StatusOr<uint64_t> Decoder::Uint64() {
  CERTME_ASSIGN_OR_RETURN(Bytes32 w, NextHead());
  if (!AllZero(w.data(), 24) || (w[24] & 0x80)) return InvalidArgument("ABI integer out of range");
  uint64_t v = 0;
  for (int i = 24; i < 32; ++i) v = (v << 8) | w[i];
  return v;
}

StatusOr<uint8_t> Decoder::Uint8() {
  CERTME_ASSIGN_OR_RETURN(Bytes32 w, NextHead());
  // Solidity rejects a uint8 argument with dirty high bits.
  if (!AllZero(w.data(), 31)) return InvalidArgument("ABI uint8 out of range");
  return w[31];
}

StatusOr<Bytes32> Decoder::Fixed() { return NextHead(); }

StatusOr<size_t> Decoder::TailOffset() {
  CERTME_ASSIGN_OR_RETURN(uint64_t off, Uint64());
  if (off % kWord != 0 || off >= data_.size()) return InvalidArgument("ABI offset out of range");
  return static_cast<size_t>(off);
}

StatusOr<uint64_t> Decoder::DynamicLength(uint64_t max, std::string_view what, size_t& start) {
  CERTME_ASSIGN_OR_RETURN(size_t at, TailOffset());
  CERTME_ASSIGN_OR_RETURN(Bytes32 len_word, WordAt(at));
  if (!AllZero(len_word.data(), 24)) return InvalidArgument("ABI " + std::string(what) + " length out of range");
  uint64_t n = 0;
  for (int i = 24; i < 32; ++i) n = (n << 8) | len_word[i];
  if (n > max) return InvalidArgument("ABI " + std::string(what) + " too long");
  start = at + kWord;
  return n;
}

StatusOr<std::string> Decoder::Bytes(size_t max_len) {
  size_t start = 0;
  CERTME_ASSIGN_OR_RETURN(uint64_t len, DynamicLength(max_len, "bytes", start));
  const size_t padded = (len + kWord - 1) / kWord * kWord;
  if (data_.size() - start < padded) return InvalidArgument("ABI bytes extend past the data");
  const auto* p = reinterpret_cast<const uint8_t*>(data_.data()) + start;
  if (!AllZero(p + len, padded - len)) return InvalidArgument("ABI bytes with non-zero padding");
  return std::string(data_.substr(start, len));
}

StatusOr<std::vector<Bytes32>> Decoder::Bytes32Array(size_t max_items) {
  size_t start = 0;
  CERTME_ASSIGN_OR_RETURN(uint64_t n, DynamicLength(max_items, "array", start));
  // n ≤ max_items keeps n * 32 far from overflow.
  if ((data_.size() - start) / kWord < n) return InvalidArgument("ABI array extends past the data");
  std::vector<Bytes32> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) out.push_back(ToBytes32(data_.substr(start + i * kWord, kWord)));
  return out;
}

StatusOr<std::vector<std::string>> Decoder::BytesArray(size_t max_items, size_t max_len) {
  size_t start = 0;
  CERTME_ASSIGN_OR_RETURN(uint64_t n, DynamicLength(max_items, "array", start));
  // Each element needs at least its offset word: n ≤ max_items keeps this small.
  if ((data_.size() - start) / kWord < n) return InvalidArgument("ABI array extends past the data");
  // The elements are a tuple of `bytes` whose offsets count from `start`.
  Decoder inner(data_.substr(start));
  std::vector<std::string> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    CERTME_ASSIGN_OR_RETURN(std::string b, inner.Bytes(max_len));
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace certme::abi
