// Files the ledger programs exchange (service key files are in
// ledger-client/key_file.h, the file primitives in common/files.h):
//  - the wallet file: the user's key and attributes (value + salt),
//    encrypted with a passphrase: Argon2id (RFC 9106) derives a 256-bit key,
//    AES-256-GCM seals the secret part, the address is authenticated data;
//  - the enrollment file a validator hands to the wallet, and the
//    presentation (consent + disclosed attributes) a wallet hands to a
//    provider.
// Every parser here reads untrusted files (fuzzed:
// tests/fuzz/ledger_wallet_fuzz.cc). Stateless; safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/files.h"
#include "common/secret.h"
#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/attributes.h"
#include "ledger-client/eip712.h"
#include "ledger-client/key_file.h"

namespace certme {

// ---- wallet ----

// Argon2id cost. The default is RFC 9106 §4's second recommended option
// (t=3, 64 MiB, p=4 there; p=1 here: one thread is what a phone gives).
struct WalletKdfParams {
  uint32_t t_cost = 3;
  uint32_t m_cost_kib = 64 * 1024;
  uint32_t parallelism = 1;
};
// Upper bounds a wallet file may ask for (a hostile file must not make
// opening it take minutes or gigabytes).
inline constexpr uint32_t kMaxWalletTCost = 16;
inline constexpr uint32_t kMaxWalletMCostKib = 1024 * 1024;

// Where the wallet's eID lives, as `certme wallet import` reached it; the
// wallet's later commands use it unless told otherwise (--config, --ledger,
// CERTME_LEDGER_*). Paths are absolute.
struct WalletLedger {
  std::string backend;  // "embedded" | "evm"
  std::string embedded_path, sequencer_key_file, checkpoint_file;
  std::string rpc_url;
  int64_t from_block = 0;
  uint64_t chain_id = 0;
  std::string registry;  // 20 bytes
};

struct WalletContents {
  EthKey key = EthKey::Generate();
  std::vector<DisclosedAttribute> attributes;
  std::string validator;  // 20 bytes, once enrolled
  uint8_t loa = 0;
  std::optional<WalletLedger> ledger;  // none before the first import
};

// The outer, unencrypted part of a wallet file.
struct WalletEnvelope {
  std::string address;  // 20 bytes
  WalletKdfParams kdf;
  std::string salt, iv, ciphertext, tag;
};
StatusOr<WalletEnvelope> ParseWalletEnvelope(std::string_view json_text);

StatusOr<std::string> SealWallet(const WalletContents& contents, const Secret& passphrase,
                                 const WalletKdfParams& kdf = {});
// Unauthenticated("wrong passphrase or damaged wallet file") when the tag
// does not verify.
StatusOr<WalletContents> OpenWallet(std::string_view json_text, const Secret& passphrase);

// ---- validator → wallet ----

// The hand-over of an enrolment (or re-attestation): values and salts, and
// the terms the user signs (eip712.h Enrolment) before the eID is issued.
struct Enrollment {
  std::string user, validator, registry;  // 20 bytes each
  uint64_t chain_id = 0;
  uint8_t loa = 0;
  std::vector<DisclosedAttribute> attributes;
  uint64_t deadline = 0;  // the enrolment's deadline; 0 = none (a re-attestation's hand-over)
};
std::string EncodeEnrollment(const Enrollment& e);
StatusOr<Enrollment> ParseEnrollment(std::string_view json_text);
// The EIP-712 Enrolment the file describes (commitments computed from the
// values and salts) and its domain.
Enrolment EnrolmentTerms(const Enrollment& e);
Eip712Domain EnrollmentDomain(const Enrollment& e);

// ---- wallet → provider ----

struct Presentation {
  Eip712Domain domain;
  Consent consent;
  std::string signature;  // 65 bytes
  std::vector<DisclosedAttribute> attributes;  // in the consent's order
};
std::string EncodePresentation(const Presentation& p);
// Also checks that the consent's attribute keys are exactly the keys of
// the disclosed attribute names, in order.
StatusOr<Presentation> ParsePresentation(std::string_view json_text);


}  // namespace certme
