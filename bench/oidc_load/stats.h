// Measurement helpers for the load generator: latency percentiles, and the
// CPU time and memory of the server process read from /proc (proc(5)).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme::bench {

struct LatencySummary {
  size_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Exact percentiles (nearest-rank) of latencies in microseconds. Sorts
// `samples_us` in place. All zeros when empty.
LatencySummary Summarize(std::vector<uint32_t>& samples_us);

// The nearest-rank percentile `p` (0 < p <= 100) of sorted samples.
// REQUIRES: `sorted_us` is sorted ascending and not empty.
uint32_t Percentile(const std::vector<uint32_t>& sorted_us, double p);

// CPU time a process has used (user and system), in seconds.
struct ProcCpu {
  double user_s = 0;
  double system_s = 0;
  double total() const { return user_s + system_s; }
};

// Parses the contents of /proc/<pid>/stat: utime and stime are fields 14
// and 15, counted in clock ticks. The command name (field 2) is in
// parentheses and may itself contain spaces and ')', so fields are counted
// after the LAST ')'.
StatusOr<ProcCpu> ParseProcStat(std::string_view stat, long ticks_per_second);

// Resident memory of a process, from /proc/<pid>/status.
struct ProcMemory {
  int64_t rss_kib = -1;  // VmRSS: resident now
  int64_t hwm_kib = -1;  // VmHWM: peak resident since the process started
  int threads = -1;      // Threads:
};
StatusOr<ProcMemory> ParseProcStatus(std::string_view status);

StatusOr<ProcCpu> ReadProcCpu(int pid);
StatusOr<ProcMemory> ReadProcMemory(int pid);

// CPU time of this process (getrusage), for the load generator's own share.
ProcCpu SelfCpu();

}  // namespace certme::bench
