// QR code as inline SVG, for the "Conectare cu certME" page: the wallet
// scans the login deep link (docs/wallet-protocol.md §2) from it.
//
// Output contract (the page embeds it as is, no external references):
//   <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="QR code"
//        width="W" height="W" viewBox="0 0 N N" shape-rendering="crispEdges">
//     <rect width="N" height="N" fill="#fff"/>
//     <path fill="#000" d="M{x} {y}h{run}v1h-{run}z…"/>
//   </svg>
// N = symbol width + 2 × kQrQuietZoneModules, in module units; W = N ×
// module_px. Dark modules are drawn as horizontal runs, one subpath each, so
// the SVG stays a few KiB for a URL-sized payload. Error correction level M
// (~15 % of the symbol may be damaged), byte mode, smallest version that fits.
//
// Thread-safety: safe for concurrent use (Debian's libqrencode is built with
// pthread support, which its header names as the condition).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

// ISO/IEC 18004 asks for a light quiet zone 4 modules wide on every side.
inline constexpr int kQrQuietZoneModules = 4;
// Larger payloads make symbols too dense to scan from a screen.
inline constexpr size_t kQrMaxTextBytes = 1024;

// InvalidArgument for empty or oversized text (> kQrMaxTextBytes) or a
// module_px outside [1, 32]; Internal if libqrencode fails otherwise.
StatusOr<std::string> QrSvg(std::string_view text, int module_px = 4);

}  // namespace certme
