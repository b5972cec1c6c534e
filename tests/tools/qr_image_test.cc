// `certme wallet approve FILE.png` reads the QR code with zbarimg: a file
// that cannot be read, or holds no QR code, is a clear error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tools/wallet_approve.h"
#include "tests/ledger-client/temp_dir.h"

namespace certme {
namespace {

TEST(QrImageTest, AMissingFileIsNamedInTheError) {
  auto r = DecodeQrImage("/nonexistent/qr.png");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/qr.png"), std::string::npos) << r.status().ToString();
}

TEST(QrImageTest, AFileWithoutAQrCodeIsNotFound) {
  std::string path = LedgerTestDir().NewFile(".png");
  std::ofstream(path) << "not an image";
  auto r = DecodeQrImage(path);
  ASSERT_FALSE(r.ok());
  // NotFound when zbarimg ran and found nothing; Unavailable only where it
  // is not installed.
  EXPECT_TRUE(r.status().code() == StatusCode::kNotFound || r.status().code() == StatusCode::kUnavailable)
      << r.status().ToString();
}

}  // namespace
}  // namespace certme
