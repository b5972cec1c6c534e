// QR SVG (idp/login/qr_svg.h): the SVG is rasterized here from its own
// path data and decoded with zbar, so the test proves that what a browser
// draws scans back to the input, not only that the markup looks right.
#include <gtest/gtest.h>

#include <cctype>
#include <regex>
#include <string>
#include <vector>

#include "idp/login/qr_svg.h"

#ifdef CERTME_HAVE_ZBAR
#include <zbar.h>
#endif

namespace certme {
namespace {

// The module grid the SVG draws (true = dark), quiet zone included.
struct Grid {
  int n = 0;         // modules per side
  int width_px = 0;  // the width attribute
  std::vector<bool> dark;
  bool at(int x, int y) const { return dark[y * n + x]; }
};

// Reads back exactly the format the header promises; any deviation fails.
Grid ParseSvg(const std::string& svg) {
  Grid g;
  std::smatch m;
  EXPECT_TRUE(std::regex_search(svg, m, std::regex(R"re(width="(\d+)" height="(\d+)" viewBox="0 0 (\d+) (\d+)")re")))
      << svg.substr(0, 200);
  if (m.empty()) return g;
  EXPECT_EQ(m[1], m[2]);
  EXPECT_EQ(m[3], m[4]);
  g.width_px = std::stoi(m[1]);
  g.n = std::stoi(m[3]);
  g.dark.assign(static_cast<size_t>(g.n) * g.n, false);
  // Hand-parsed (libstdc++'s regex recurses per character and overflows
  // the stack on a path this long).
  const std::string open = "<path fill=\"#000\" d=\"";
  size_t b = svg.find(open);
  size_t e = b == std::string::npos ? b : svg.find("\"/>", b + open.size());
  EXPECT_NE(e, std::string::npos);
  if (e == std::string::npos) return g;
  std::string path = svg.substr(b + open.size(), e - b - open.size());
  size_t pos = 0;
  // Reads a decimal number at pos after the literal `lit`.
  auto expect = [&](std::string_view lit) {
    if (path.compare(pos, lit.size(), lit) != 0) return false;
    pos += lit.size();
    return true;
  };
  auto number = [&](int& out) {
    size_t start = pos;
    while (pos < path.size() && std::isdigit(static_cast<unsigned char>(path[pos]))) ++pos;
    if (pos == start || pos - start > 4) return false;
    out = std::stoi(path.substr(start, pos - start));
    return true;
  };
  while (pos < path.size()) {
    int x, y, len, back;
    bool ok = expect("M") && number(x) && expect(" ") && number(y) && expect("h") && number(len) &&
              expect("v1h-") && number(back) && expect("z");
    if (!ok) {
      ADD_FAILURE() << "path data outside the promised form at " << pos;
      g.n = 0;
      return g;
    }
    EXPECT_EQ(len, back);  // each subpath closes its own rectangle
    EXPECT_GT(len, 0);
    EXPECT_LE(x + len, g.n);
    EXPECT_LT(y, g.n);
    for (int i = 0; i < len && x + i < g.n && y < g.n; ++i) g.dark[y * g.n + x + i] = true;
  }
  return g;
}

#ifdef CERTME_HAVE_ZBAR
// Rasterizes the grid at module_px pixels per module (8-bit grey, Y800) and
// returns every QR symbol zbar finds.
std::vector<std::string> Decode(const Grid& g, int module_px) {
  using namespace zbar;  // in C++ the C API lives in namespace zbar
  const int side = g.n * module_px;
  std::vector<unsigned char> pixels(static_cast<size_t>(side) * side, 0xff);
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x)
      if (g.at(x / module_px, y / module_px)) pixels[static_cast<size_t>(y) * side + x] = 0;
  zbar_image_scanner_t* scanner = zbar_image_scanner_create();
  zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_t* image = zbar_image_create();
  zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
  zbar_image_set_size(image, side, side);
  zbar_image_set_data(image, pixels.data(), pixels.size(), nullptr);
  std::vector<std::string> found;
  if (zbar_scan_image(scanner, image) > 0) {
    for (const zbar_symbol_t* s = zbar_image_first_symbol(image); s; s = zbar_symbol_next(s))
      found.emplace_back(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
  }
  zbar_image_destroy(image);
  zbar_image_scanner_destroy(scanner);
  return found;
}
#endif

constexpr char kDeepLink[] =
    "certme://login?u=https%3A%2F%2Fbridge.example.md%2Fwallet%2Fv1&c=Qm9vdHN0cmFwLWNvZGUtZm9yLXRlc3RzLW9ubHktMDE";

TEST(QrSvgTest, ScansBackToTheInput) {
#ifndef CERTME_HAVE_ZBAR
  FAIL() << "built without zbar: install libzbar-dev (scripts/deps) and reconfigure";
#else
  for (std::string text : {std::string(kDeepLink), std::string("https://bridge.example.md/w/abc"),
                           std::string("x"), std::string(600, 'a')}) {
    auto svg = QrSvg(text, 3);
    ASSERT_TRUE(svg.ok()) << svg.status().ToString();
    Grid g = ParseSvg(*svg);
    ASSERT_GT(g.n, 0);
    auto decoded = Decode(g, 3);
    ASSERT_EQ(decoded.size(), 1u) << text;
    EXPECT_EQ(decoded[0], text);
  }
#endif
}

TEST(QrSvgTest, StructureQuietZoneAndFinderPatterns) {
  auto svg = QrSvg(kDeepLink, 4);
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(svg->rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_NE(svg->find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_EQ(svg->find("href"), std::string::npos);  // no external references
  EXPECT_EQ(svg->find("<script"), std::string::npos);
  EXPECT_EQ(svg->find("certme://"), std::string::npos);  // the code is not in the markup as text
  EXPECT_EQ(svg->substr(svg->size() - 6), "</svg>");

  Grid g = ParseSvg(*svg);
  const int q = kQrQuietZoneModules;
  const int w = g.n - 2 * q;
  // Version v has 17 + 4v modules per side.
  ASSERT_GE(w, 21);
  EXPECT_EQ((w - 17) % 4, 0);
  EXPECT_EQ(g.width_px, g.n * 4);
  // Quiet zone: all light.
  for (int y = 0; y < g.n; ++y)
    for (int x = 0; x < g.n; ++x)
      if (x < q || y < q || x >= g.n - q || y >= g.n - q) {
        ASSERT_FALSE(g.at(x, y)) << x << "," << y;
      }
  // Finder patterns (7×7: dark ring, light ring, dark 3×3 core) in three corners.
  for (auto [ox, oy] : {std::pair{q, q}, std::pair{q + w - 7, q}, std::pair{q, q + w - 7}}) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        bool ring = x == 0 || y == 0 || x == 6 || y == 6;
        bool core = x >= 2 && x <= 4 && y >= 2 && y <= 4;
        EXPECT_EQ(g.at(ox + x, oy + y), ring || core) << "finder at " << ox << "," << oy;
      }
    }
  }
  // Not in the bottom-right corner.
  EXPECT_FALSE(g.at(q + w - 7, q + w - 7) && g.at(q + w - 1, q + w - 1) && g.at(q + w - 4, q + w - 4) &&
               !g.at(q + w - 6, q + w - 6));
}

TEST(QrSvgTest, SizeFollowsModulePxAndPayload) {
  auto small = QrSvg("x", 1);
  auto big = QrSvg("x", 10);
  ASSERT_TRUE(small.ok() && big.ok());
  EXPECT_EQ(ParseSvg(*small).n, 21 + 2 * kQrQuietZoneModules);  // version 1
  EXPECT_EQ(ParseSvg(*big).width_px, 10 * ParseSvg(*big).n);
  auto longer = QrSvg(std::string(500, 'z'), 4);
  ASSERT_TRUE(longer.ok());
  EXPECT_GT(ParseSvg(*longer).n, ParseSvg(*small).n);
  // A deep link stays a small inline document.
  auto link = QrSvg(kDeepLink);
  ASSERT_TRUE(link.ok());
  EXPECT_LT(link->size(), 12000u);
}

TEST(QrSvgTest, ErrorsAreStatuses) {
  EXPECT_EQ(QrSvg("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QrSvg(std::string(kQrMaxTextBytes + 1, 'a')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QrSvg("x", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QrSvg("x", 33).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(QrSvg(std::string(kQrMaxTextBytes, 'a')).ok());  // the limit itself fits
  // NUL bytes are data, not terminators.
  EXPECT_NE(*QrSvg(std::string("a\0b", 3)), *QrSvg("a"));
}

}  // namespace
}  // namespace certme
