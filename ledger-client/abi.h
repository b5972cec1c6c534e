// The subset of the Solidity contract ABI the registry needs (Solidity docs,
// "Contract ABI Specification", §"Formal Specification of the Encoding"):
// static words (address, uintN, bytes32) and the dynamic types bytes,
// string and bytes32[], laid out head/tail exactly as abi.encode does, so
// that calldata and commitments computed here equal what the EVM computes.
//
// The decoder reads untrusted bytes (log entries, calldata); it checks every
// offset and length against the input and the padding of every word, and
// never allocates more than the input could hold (fuzzed:
// tests/fuzz/ledger_tx_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"

namespace certme::abi {

// A 32-byte word with `v` in its low 8 bytes (uint256 of a small value).
Bytes32 Word(uint64_t v);
// A 32-byte word holding a 20-byte address, left-padded with zeros.
// REQUIRES: address20.size() == 20.
Bytes32 AddressWord(std::string_view address20);
std::string_view AsView(const Bytes32& b);
Bytes32 ToBytes32(std::string_view exactly32);  // REQUIRES: size() == 32

// The 4-byte function selector: keccak256(signature)[0..4), e.g.
// Selector("addValidator(address)").
std::string Selector(std::string_view signature);

// Builds abi.encode(v1, v2, …) of a tuple. Not thread-safe; cheap to create.
class Encoder {
 public:
  Encoder& Address(std::string_view address20);  // REQUIRES: 20 bytes
  Encoder& Uint(uint64_t v);                      // uint8 … uint256 of a small value
  Encoder& Fixed(const Bytes32& word);            // bytes32 or a prepared word
  Encoder& Bytes(std::string_view bytes);         // dynamic `bytes`
  Encoder& String(std::string_view utf8);         // dynamic `string`
  Encoder& Bytes32Array(const std::vector<Bytes32>& items);  // dynamic `bytes32[]`
  Encoder& BytesArray(const std::vector<std::string>& items);  // dynamic `bytes[]`

  // The encoding of the tuple built so far.
  std::string Encode() const;

 private:
  struct Part {
    bool dynamic;
    std::string data;  // the word (static) or the tail (dynamic)
  };
  std::vector<Part> parts_;
};

// Reads abi.encode(…) of a tuple, one head slot per call, in order.
// Every accessor fails with InvalidArgument on malformed input (offset or
// length out of range, non-zero padding, value too large for the C++ type).
class Decoder {
 public:
  explicit Decoder(std::string_view data) : data_(data) {}

  StatusOr<std::string> Address();  // 20 bytes
  StatusOr<uint64_t> Uint64();      // a uint256 that fits in 63 bits
  StatusOr<uint8_t> Uint8();        // a uint8 (high 31 bytes zero)
  StatusOr<Bytes32> Fixed();        // bytes32
  StatusOr<std::string> Bytes(size_t max_len);
  StatusOr<std::string> String(size_t max_len) { return Bytes(max_len); }
  StatusOr<std::vector<Bytes32>> Bytes32Array(size_t max_items);
  // A `bytes[]` of at most max_items elements, each at most max_len bytes.
  StatusOr<std::vector<std::string>> BytesArray(size_t max_items, size_t max_len);

 private:
  StatusOr<Bytes32> NextHead();
  // The word at byte offset `at` of data_.
  StatusOr<Bytes32> WordAt(size_t at) const;
  // Resolves a dynamic slot: returns the offset of its length word.
  StatusOr<size_t> TailOffset();
  // Resolves a dynamic slot and reads its length word (a `bytes` length or
  // an array's item count), refused above `max`; `start` is set to the
  // offset of the first byte or item after it.
  StatusOr<uint64_t> DynamicLength(uint64_t max, std::string_view what, size_t& start);

  std::string_view data_;
  size_t head_ = 0;  // byte offset of the next head slot
};

}  // namespace certme::abi
