// multipart/form-data (RFC 7578) for the console's upload forms: the `.cer`
// and the SP metadata arrive as file parts beside ordinary fields. Untrusted
// input, fuzzed by tests/fuzz/admin_multipart_fuzz.cc.
//
// Deliberately small: one level (no nested multipart/mixed), part headers
// limited to Content-Disposition and Content-Type, every size bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme::admin {

struct FormPart {
  std::string name;      // Content-Disposition name
  std::string filename;  // empty for plain fields
  std::string content_type;
  std::string data;
};

struct MultipartLimits {
  size_t max_parts = 200;
  size_t max_part_header_bytes = 1024;
  size_t max_name_bytes = 100;
};

// The boundary parameter of a multipart/form-data Content-Type (RFC 2046
// §5.1.1: 1..70 characters); InvalidArgument for any other type.
StatusOr<std::string> MultipartBoundary(std::string_view content_type);

// Parses a whole body. InvalidArgument (client-safe text) for anything
// malformed or beyond the limits.
StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                               const MultipartLimits& limits = {});

}  // namespace certme::admin
