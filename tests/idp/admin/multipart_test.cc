#include "idp/admin/multipart.h"

#include <gtest/gtest.h>

namespace certme::admin {
namespace {

TEST(AdminMultipartTest, BoundaryFromContentType) {
  EXPECT_EQ(*MultipartBoundary("multipart/form-data; boundary=----WebKitFormBoundaryAbc123"),
            "----WebKitFormBoundaryAbc123");
  EXPECT_EQ(*MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(MultipartBoundary("application/x-www-form-urlencoded").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data").ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'a')).ok());
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=a<b").ok());
}

TEST(AdminMultipartTest, FieldsAndFiles) {
  std::string body =
      "preamble\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"name_en\"\r\n\r\n"
      "My <service>\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"certificate\"; filename=\"sp.cer\"\r\n"
      "Content-Type: application/pkix-cert\r\n\r\n"
      "\x30\x82\r\n--X binary\r\n--XyZ--\r\nepilogue";
  auto parts = ParseMultipart(body, "XyZ");
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "name_en");
  EXPECT_EQ((*parts)[0].data, "My <service>");
  EXPECT_EQ((*parts)[1].filename, "sp.cer");
  EXPECT_EQ((*parts)[1].content_type, "application/pkix-cert");
  EXPECT_EQ((*parts)[1].data, "\x30\x82\r\n--X binary");
}

TEST(AdminMultipartTest, RefusesMalformedBodies) {
  EXPECT_FALSE(ParseMultipart("", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", "b").ok());
  std::string many;
  for (int i = 0; i < 300; ++i) many += "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
  EXPECT_FALSE(ParseMultipart(many + "--b--", "b").ok());
}

}  // namespace
}  // namespace certme::admin
