// `certme wallet approve`: the reference wallet's side of the wallet login
// (docs/wallet-protocol.md): read the QR payload (a certme:// or https link,
// or a PNG screenshot decoded with zbarimg), fetch the request document,
// show what is asked, and answer: approve (EIP-712 Login and Consent
// signatures, attributes ECIES-encrypted to the bridge) or refuse. The
// protocol part is protocols/wallet/wallet_side.h; this file is the HTTP
// exchange and the terminal.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "protocols/wallet/link.h"
#include "tools/wallet_file.h"

namespace certme {

// The wallet API base URL and the code of a login link (§2); the parser is
// the protocol's (protocols/wallet/link.h).
using wallet::LoginLink;
using wallet::ParseLoginLink;

// The QR payload in a PNG image, via the zbarimg program (Debian
// zbar-tools); the first QR symbol found.
StatusOr<std::string> DecodeQrImage(const std::string& png_path);

enum class ApproveChoice { kApprove, kRefuse, kAsk };

// Runs the whole exchange; prints the request (wallet_prompt.h
// ConsentPrompt, in `lang`: ro | ru | en) and the outcome on stdout.
// kAsk reads the answer from the terminal. OK once the bridge answered 200.
// `ca_file`: PEM CA certificates to trust for https instead of the
// system's (a test or private CA); empty for the system's. An answer that
// got no reply (connection lost, 503, or a proxy's 502/504 that is not the
// bridge's own JSON error) is resent as is, a few times.
// A document of another kind is refused (a sign request: use
// ApproveSignRequest).
Status ApproveLogin(const LoginLink& link, const WalletContents& wallet, ApproveChoice choice,
                    const std::string& lang = "ro", const std::string& ca_file = "");

// `certme wallet sign`: the same exchange for a sign request
// (docs/wallet-protocol.md §10): shows the service, the identity
// attributes sent, the description and each item to sign (SignPrompt), then
// answers with the login part and one JAdES signature and SignedDigest per
// item (wallet_side.h BuildSignApproval), signed at the wallet's clock; or
// refuses. A login document is refused.
Status ApproveSignRequest(const LoginLink& link, const WalletContents& wallet, ApproveChoice choice,
                          const std::string& lang = "ro", const std::string& ca_file = "");

}  // namespace certme
