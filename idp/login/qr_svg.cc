#include "idp/login/qr_svg.h"

#include <qrencode.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace certme {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

// Decimal digits of a small non-negative int appended in place: the SVG has
// thousands of numbers, and std::to_string's temporaries were a visible part
// of the page's cost.
void AppendInt(std::string& out, int v) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;  // cannot fail: 16 chars hold any int
  out.append(buf, end);
}

}  // namespace

StatusOr<std::string> QrSvg(std::string_view text, int module_px) {
  if (text.empty()) return InvalidArgument("QR text is empty");
  if (text.size() > kQrMaxTextBytes) return InvalidArgument("QR text too long");
  if (module_px < 1 || module_px > 32) return InvalidArgument("QR module size must be 1-32 px");

  errno = 0;
  // Byte mode for the whole text (QRcode_encodeData): a URL is mostly
  // lowercase, where the alphanumeric mode would not apply anyway, and NUL
  // bytes need no special casing. Version 0 = the smallest that fits.
  std::unique_ptr<QRcode, QrFree> qr(QRcode_encodeData(static_cast<int>(text.size()),
                                                       reinterpret_cast<const unsigned char*>(text.data()),
                                                       0, QR_ECLEVEL_M));
  if (!qr) {
    int err = errno;
    if (err == ERANGE) return InvalidArgument("QR text too long");
    return Internal("QR encoding failed", std::strerror(err));
  }

  const int width = qr->width;
  const int n = width + 2 * kQrQuietZoneModules;
  std::string svg;
  // Header and footer ~260 bytes; a run costs at most ~20 bytes and a row of
  // w modules has at most (w + 1) / 2 runs.
  svg.reserve(320 + static_cast<size_t>(width) * ((width + 1) / 2) * 20);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"QR code\" width=\"";
  AppendInt(svg, n * module_px);
  svg += "\" height=\"";
  AppendInt(svg, n * module_px);
  svg += "\" viewBox=\"0 0 ";
  AppendInt(svg, n);
  svg += ' ';
  AppendInt(svg, n);
  svg += "\" shape-rendering=\"crispEdges\"><rect width=\"";
  AppendInt(svg, n);
  svg += "\" height=\"";
  AppendInt(svg, n);
  svg += "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  const unsigned char* cells = qr->data;
  for (int y = 0; y < width; ++y) {
    const unsigned char* row = cells + static_cast<size_t>(y) * width;
    for (int x = 0; x < width;) {
      // Bit 0 of each cell is the module's colour (1 = dark); the other bits
      // describe the module's role and are not drawn.
      if (!(row[x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (row[x + run] & 1)) ++run;
      // One subpath per horizontal run: M{x} {y}h{run}v1h-{run}z, written
      // straight into the buffer (no temporary strings).
      svg += 'M';
      AppendInt(svg, x + kQrQuietZoneModules);
      svg += ' ';
      AppendInt(svg, y + kQrQuietZoneModules);
      svg += 'h';
      AppendInt(svg, run);
      svg += "v1h-";
      AppendInt(svg, run);
      svg += 'z';
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace certme
