// Small files holding secrets or state: written whole, mode 0600, through a
// temporary file and a rename (a reader never sees half a file); read with a
// size bound (a hostile or damaged file cannot make a reader allocate
// without limit).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace certme {

// Writes `text` to `path` with mode 0600 through a temporary file, an fsync
// and a rename; `overwrite` false refuses an existing file (AlreadyExists).
Status WritePrivateFile(const std::string& path, std::string_view text, bool overwrite);
// The whole file; NotFound when it cannot be read, InvalidArgument when it
// is larger than `max_bytes`.
StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace certme
