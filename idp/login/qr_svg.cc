#include "idp/login/qr_svg.h"

#include <qrencode.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace certme {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};

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
  const std::string px = std::to_string(n * module_px);
  const std::string units = std::to_string(n);
  std::string svg;
  svg.reserve(256 + static_cast<size_t>(width) * width * 2);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"QR code\" width=\"";
  svg += px + "\" height=\"" + px + "\" viewBox=\"0 0 " + units + " " + units +
         "\" shape-rendering=\"crispEdges\">";
  svg += "<rect width=\"" + units + "\" height=\"" + units + "\" fill=\"#fff\"/>";
  svg += "<path fill=\"#000\" d=\"";
  const unsigned char* cells = qr->data;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      // Bit 0 of each cell is the module's colour (1 = dark); the other bits
      // describe the module's role and are not drawn.
      if (!(cells[y * width + x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (cells[y * width + x + run] & 1)) ++run;
      svg += "M" + std::to_string(x + kQrQuietZoneModules) + " " + std::to_string(y + kQrQuietZoneModules) +
             "h" + std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace certme
