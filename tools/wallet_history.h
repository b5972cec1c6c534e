// `certme wallet history`: the user's access history, complete and readable
// by the user alone (docs/privacy.md). Two sources on the ledger:
//  - the validation requests naming the wallet's address (ValidationRequested
//    / ValidationAnswered: public), as UserAccessHistory reads them;
//  - the access records (AccessRecorded) of every provider the directory
//    lists: the wallet derives the pair's keys from its own key and the
//    provider's public key, recognises its records by their tags and opens
//    them (ledger-client/access_record.h). Nobody else can;
//  - the signature records naming the wallet's address (SignatureRecorded:
//    public, hash only), as UserSignatureHistory reads them.
// Service names come from the bridge's directory
// (/.well-known/certme-providers.json) in the user's language; an address
// the directory does not name is shown as "unknown service 0x…".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ethereum.h"
#include "ledger-client/ledger.h"

namespace certme {

struct DirectoryEntry {
  std::string address;     // 20 bytes
  std::string public_key;  // 65 bytes, uncompressed
  std::map<std::string, std::string> names;  // "ro" | "ru" | "en" → name
  std::string protocol;    // "oidc" | "saml" | "sign" (informative)
};
// By 20-byte address. Several services of one bridge in dedicated mode
// share an address: their names are joined.
using ProviderDirectoryMap = std::map<std::string, DirectoryEntry>;

// Reads a directory document (untrusted): at most kMaxDirectoryEntries
// providers; an entry whose public key does not belong to its address, or
// that is malformed, is skipped (the rest still count). InvalidArgument when
// the document itself is not a directory.
inline constexpr size_t kMaxDirectoryEntries = 10000;
StatusOr<ProviderDirectoryMap> ParseProviderDirectory(std::string_view json);
// From an http(s) URL (GET; `ca_file` trusts that CA, "" the system's) or a
// file path.
StatusOr<ProviderDirectoryMap> LoadProviderDirectory(const std::string& url_or_file, const std::string& ca_file);

// The service's name in `lang` (then ro, en, ru), or the localised
// "unknown service 0x…".
std::string ServiceName(const ProviderDirectoryMap& dir, std::string_view address, const std::string& lang);

struct HistoryLine {
  int64_t time = 0;  // ledger time (requests) or the record's own time (access records)
  std::string text;
};

// Every line of the user's history, oldest first. `names`: attribute key →
// catalogue name (keys without a name are shown abbreviated).
StatusOr<std::vector<HistoryLine>> WalletHistory(Ledger& ledger, const EthKey& user, const ProviderDirectoryMap& dir,
                                                 const std::string& lang,
                                                 const std::map<Bytes32, std::string>& names);

}  // namespace certme
