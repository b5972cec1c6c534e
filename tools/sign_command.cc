// `certme sign verify`: checks a JAdES signature made with a certME wallet
// (crypto/jades.h, docs/signing.md "JAdES profile") against the signed
// document or its digest, and, when a ledger is named, finds the ledger's
// record of it (Ledger::RecordSignatures) and the eID's status now.
// Exit codes: 0 valid, 1 invalid, 2 usage or input error.
#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "common/encoding.h"
#include "crypto/jades.h"
#include "ledger-client/ledger.h"
#include "tools/command_helpers.h"
#include "tools/commands.h"
#include "tools/sign_verify.h"

namespace certme {

using namespace tools;  // NOLINT: the commands' shared helpers

namespace {

constexpr size_t kMaxSignatureFileBytes = 64 * 1024;

// An input that could not be read or a ledger that could not be asked: 2.
int InputError(const Status& st) {
  Fail("sign", st);
  return 2;
}

int Invalid(const std::string& why) {
  std::printf("invalid: %s\n", why.c_str());
  return 1;
}

// The hash sigD names, of the file at `path`, read in pieces (documents may
// be large).
StatusOr<std::string> HashFile(const std::string& hash_alg, const std::string& path) {
  const EVP_MD* md = hash_alg == kJadesHashS384 ? EVP_sha384() : EVP_sha256();
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return Internal("digest init failed");
  char buf[64 * 1024];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0 && EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount())) != 1)
      return Internal("digest failed");
  }
  if (in.bad()) return Internal("cannot read " + path);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) return Internal("digest failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSignatureFileBytes) return InvalidArgument(path + " is larger than 64 KiB");
  }
  return text;
}

int RunSignVerify(const Args& a, const Settings& s) {
  auto digest_hex = a.Get("digest");
  size_t want = digest_hex ? 1 : 2;
  if (a.positional.size() != want)
    return Usage("sign", "verify takes FILE SIGNATURE.json, or --digest HEX SIGNATURE.json");
  std::optional<std::string> given;
  if (digest_hex) {
    given = HexDecode(*digest_hex);
    if (!given || (given->size() != 32 && given->size() != 48))
      return Usage("sign", "--digest is the document's SHA-256 (64 hex digits) or SHA-384 (96)");
  }
  auto text = ReadSmallFile(a.positional.back());
  if (!text.ok()) return InputError(text.status());
  std::unique_ptr<Ledger> ledger;
  if (s.ledger_named) {
    auto opened = OpenLedger(s);
    if (!opened.ok()) return InputError(opened.status());
    ledger = std::move(*opened);
  }
  auto digest_of = [&](const std::string& hash_alg) -> StatusOr<std::string> {
    if (given) return *given;
    return HashFile(hash_alg, a.positional[0]);
  };
  auto report = VerifySignatureFile(*text, digest_of, ledger.get());
  if (!report.ok()) return InputError(report.status());
  const JadesHeader& h = report->header;
  if (!report->valid && !report->ledger_checked) return Invalid(report->problem);

  std::printf("valid:         the signature is the eID's over this document\n");
  std::printf("signer:        %s\n", Addr(h.signer).c_str());
  std::printf("signing time:  %s (claimed by the signer)\n", TimeText(h.signing_time).c_str());
  std::printf("document:      %s (%s %s)\n", h.item.name.c_str(),
              h.item.hash_alg == kJadesHashS384 ? "SHA-384" : "SHA-256", HexEncode(h.item.digest).c_str());
  std::printf("sign request:  0x%s\n",
              HexEncode(std::string_view(reinterpret_cast<const char*>(h.sign_request.data()), 32)).c_str());
  std::printf("ledger:        eip155:%llu:%s\n", static_cast<unsigned long long>(h.chain_id), Addr(h.registry).c_str());
  if (!report->ledger_checked) return 0;
  if (!report->valid) return Invalid(report->problem);
  const LedgerEvent& e = *report->record;
  std::printf("recorded:      block %llu, %s, by provider %s (the eID was active then)\n",
              static_cast<unsigned long long>(e.block), TimeText(e.time).c_str(), Addr(e.provider).c_str());
  std::printf("eID now:       %s\n", EidStatusName(report->eid_now));
  return 0;
}

}  // namespace

int RunSignCommand(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::printf(
        "Usage: certme sign verify FILE SIGNATURE.json [--config FILE] [--ledger PATH]\n"
        "       certme sign verify --digest HEX SIGNATURE.json [--config FILE] [--ledger PATH]\n\n"
        "Checks a JAdES signature made with a certME wallet (the flattened JSON a provider got\n"
        "from the bridge): the ES256K signature with the key in its header, and FILE's SHA-256\n"
        "or SHA-384 (or the digest given) against the digest it signed. Prints the signer's eID\n"
        "address, the signing time it claims and the document's name. With a ledger (--config,\n"
        "--ledger or CERTME_LEDGER_*, as for certme ledger), also finds the ledger's record of\n"
        "the signature (block and time: the eID was active then) and the eID's status now.\n"
        "Exit status: 0 valid, 1 invalid, 2 usage or input error.\n");
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "verify") return Usage("sign", "unknown subcommand \"" + args[0] + "\"");
  Args a;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"config", "ledger", "digest"}, {}, "sign", &a)) return 2;
  Settings s;
  if (!LoadSettings(a, "sign", &s)) return 2;
  return RunSignVerify(a, s);
}

}  // namespace certme
