#include "bench/oidc_load/stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>

namespace certme::bench {
namespace {

StatusOr<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path + " (is the pid right?)");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

// Parses the leading decimal of `s` after skipping spaces/tabs.
bool LeadingInt(std::string_view s, int64_t* out) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  if (i == s.size() || s[i] < '0' || s[i] > '9') return false;
  int64_t v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

uint32_t Percentile(const std::vector<uint32_t>& sorted_us, double p) {
  // Nearest-rank: the smallest sample such that p% of samples are <= it.
  size_t n = sorted_us.size();
  size_t rank = size_t(std::ceil(p / 100.0 * double(n)));
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return sorted_us[rank - 1];
}

LatencySummary Summarize(std::vector<uint32_t>& samples_us) {
  LatencySummary s;
  if (samples_us.empty()) return s;
  std::sort(samples_us.begin(), samples_us.end());
  double sum = 0;
  for (uint32_t v : samples_us) sum += v;
  s.count = samples_us.size();
  s.mean_ms = sum / double(s.count) / 1000.0;
  s.p50_ms = Percentile(samples_us, 50) / 1000.0;
  s.p90_ms = Percentile(samples_us, 90) / 1000.0;
  s.p99_ms = Percentile(samples_us, 99) / 1000.0;
  s.max_ms = samples_us.back() / 1000.0;
  return s;
}

StatusOr<ProcCpu> ParseProcStat(std::string_view stat, long ticks_per_second) {
  if (ticks_per_second <= 0) return InvalidArgument("bad clock tick rate");
  size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos) return InvalidArgument("malformed /proc/<pid>/stat");
  // After ")": field 3 (state) is token 0, so utime (14) is token 11 and
  // stime (15) is token 12.
  std::vector<std::string_view> tokens;
  std::string_view rest = stat.substr(paren + 1);
  size_t i = 0;
  while (i < rest.size() && tokens.size() < 13) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (i > start) tokens.push_back(rest.substr(start, i - start));
    if (i < rest.size() && rest[i] == '\n') break;
  }
  if (tokens.size() < 13) return InvalidArgument("truncated /proc/<pid>/stat");
  int64_t utime = 0, stime = 0;
  if (!LeadingInt(tokens[11], &utime) || tokens[11].find_first_not_of("0123456789") != std::string_view::npos ||
      !LeadingInt(tokens[12], &stime) || tokens[12].find_first_not_of("0123456789") != std::string_view::npos)
    return InvalidArgument("non-numeric utime/stime in /proc/<pid>/stat");
  ProcCpu cpu;
  cpu.user_s = double(utime) / double(ticks_per_second);
  cpu.system_s = double(stime) / double(ticks_per_second);
  return cpu;
}

StatusOr<ProcMemory> ParseProcStatus(std::string_view status) {
  ProcMemory m;
  size_t pos = 0;
  while (pos < status.size()) {
    size_t nl = status.find('\n', pos);
    std::string_view line = status.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? status.size() : nl + 1;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    int64_t v = 0;
    if (key == "VmRSS" && LeadingInt(value, &v)) m.rss_kib = v;
    else if (key == "VmHWM" && LeadingInt(value, &v)) m.hwm_kib = v;
    else if (key == "Threads" && LeadingInt(value, &v)) m.threads = int(v);
  }
  if (m.rss_kib < 0 && m.hwm_kib < 0) return InvalidArgument("no VmRSS/VmHWM in /proc/<pid>/status");
  return m;
}

StatusOr<ProcCpu> ReadProcCpu(int pid) {
  CERTME_ASSIGN_OR_RETURN(std::string stat, ReadSmallFile("/proc/" + std::to_string(pid) + "/stat"));
  return ParseProcStat(stat, sysconf(_SC_CLK_TCK));
}

StatusOr<ProcMemory> ReadProcMemory(int pid) {
  CERTME_ASSIGN_OR_RETURN(std::string status,
                          ReadSmallFile("/proc/" + std::to_string(pid) + "/status"));
  return ParseProcStatus(status);
}

ProcCpu SelfCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  ProcCpu c;
  c.user_s = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
  c.system_s = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
  return c;
}

}  // namespace certme::bench
