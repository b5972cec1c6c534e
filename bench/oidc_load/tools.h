// The load generator's helper commands and the option parsing they share
// with main.cc: `oidc_load --enroll`, `--free-port`, `--table`.
#pragma once

#include <cstdint>
#include <string>

namespace certme::bench {

// A whole string as a number (strtod); false when anything is left over.
bool ParseNumber(const char* s, double* out);
// "A:B" with 0 <= A < B.
bool ParseRange(const std::string& v, uint64_t* begin, uint64_t* end);

// `oidc_load --enroll …`: issues eIDs to benchmark users on an embedded
// ledger (argv as main's; options from argv[2]).
int Enroll(int argc, char** argv);
// `oidc_load --free-port`: prints a free TCP port on 127.0.0.1.
int PrintFreePort();
// `oidc_load --table FILE`: one row per JSON result line of FILE.
int PrintTable(const char* path);

}  // namespace certme::bench
