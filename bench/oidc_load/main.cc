// oidc_load — drives a local certME bridge with OpenID Connect traffic and
// reports throughput, latency percentiles, errors, and the server's CPU and
// memory. See bench/README.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/oidc_load/http_client.h"
#include "bench/oidc_load/oidc_flow.h"
#include "bench/oidc_load/stats.h"
#include "bench/oidc_load/tools.h"
#include "bench/oidc_load/wallet_user.h"
#include "common/clock.h"
#include "common/random.h"

namespace certme::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;

// Hard bounds: the tool must never turn into an open-ended load source.
constexpr double kMaxDurationS = 60;
constexpr double kMaxWarmupS = 10;
constexpr int kMaxWorkers = 256;

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string mode = "flow";  // flow | wallet | client_credentials | refresh | discovery | jwks
  std::string alg = "ES256";
  std::string client_id;      // default: bench-<alg lower>
  std::string client_secret;  // default: <client_id>-secret, or $CERTME_BENCH_CLIENT_SECRET
  std::string redirect_uri = "http://127.0.0.1/bench/callback";
  std::string identity = "ion";
  std::optional<std::string> scope;
  int workers = 0;  // 0: 2 × cores
  double duration_s = 10;
  double warmup_s = 2;
  int timeout_ms = 5000;
  std::vector<int> server_pids;  // the bridge (several: the replicas of a cluster)
  bool sso = false;
  bool login_page = false;
  bool json = false;
  std::string label;  // free text copied into the JSON (e.g. the store backend)
  std::vector<int> validator_pids;
  std::vector<int> extra_pids;  // infrastructure measured apart: proxy, store server
  // Wallet login: benchmark users [users_begin, users_end) of wallet_seed.
  std::string wallet_seed = "bench";
  uint64_t users_begin = 0, users_end = 0;
  bool fresh_users = false;
};

void Usage(FILE* out) {
  std::fprintf(out,
      "Usage: oidc_load [options]\n"
      "  --url URL            server origin, 127.0.0.1 or localhost only (default http://127.0.0.1:8080)\n"
      "  --mode M             flow (full code flow, development login) | wallet (full code flow, the\n"
      "                       wallet login answered by benchmark users) | client_credentials |\n"
      "                       refresh (refresh_token grant; a code flow first gets the token) |\n"
      "                       discovery | jwks (GET the documents)\n"
      "  --alg A              RS256 | ES256: which client (ID token algorithm) to use (default ES256)\n"
      "  --client-id ID       default bench-rs256 / bench-es256\n"
      "  --client-secret S    default <client-id>-secret, or $CERTME_BENCH_CLIENT_SECRET\n"
      "  --redirect-uri U     registered redirect URI (default http://127.0.0.1/bench/callback)\n"
      "  --identity NAME      development login identity (default ion)\n"
      "  --scope S            default \"openid profile email\" (flow), none (client_credentials)\n"
      "  --workers N          worker threads, one keep-alive connection each (default 2 x cores)\n"
      "  --duration S         measured seconds (default 10, max 60)\n"
      "  --warmup S           unmeasured seconds first (default 2, max 10)\n"
      "  --timeout-ms N       per send/receive (default 5000)\n"
      "  --server-pid PID[,PID…]  server process(es) to measure CPU and RSS of (sums: replicas)\n"
      "  --sso                keep cookies between flows (reuse the SSO session)\n"
      "  --login-page         also GET the development login page, as a browser would\n"
      "  --json               print the result as one JSON line on stdout (report on stderr)\n"
      "  --label TEXT         copied into the JSON result (e.g. the server's store backend)\n"
      "  --validator-pid PID  also measure this process's CPU and RSS (the validator service)\n"
      "  --extra-pid PID[,PID…]  also measure these (a proxy, a store server), reported as infra\n"
      "Wallet mode (users from `oidc_load --enroll`, same seed):\n"
      "  --wallet-seed S      benchmark users' seed (default bench)\n"
      "  --users A:B          users A..B-1 answer the logins (required in wallet mode)\n"
      "  --fresh-users        each user logs in once: first logins (validation on the ledger);\n"
      "                       default: users in turn (re-authentication once each has logged in)\n"
      "\n"
      "Helpers for scripts/bench-oidc:\n"
      "  oidc_load --free-port        print a free TCP port on 127.0.0.1\n"
      "  oidc_load --enroll --ledger FILE --validator-key FILE --users A:B [--wallet-seed S] [--no-sync]\n"
      "            [--sequencer-key FILE (default var/ledger/sequencer.key or its CERTME_LEDGER_ variable)]\n"
      "                               issue eIDs to benchmark users A..B-1 on an embedded ledger\n"
      "  oidc_load --table FILE       print a table of the JSON result lines in FILE\n");
}

// "12,34" → {12, 34}.
bool ParsePids(const std::string& v, std::vector<int>* out) {
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t comma = v.find(',', pos);
    std::string one = v.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    double d = 0;
    if (!ParseNumber(one.c_str(), &d) || d < 1 || d > 1e9) return false;
    out->push_back(int(d));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return !out->empty();
}

// Processes measured together: CPU summed at both ends of the window, RSS
// summed at each sample (the peak of the sum is kept).
struct ProcGroup {
  std::vector<int> pids;
  int64_t rss_peak_kib = -1;
  int64_t rss_last_kib = -1;  // at the last sample
  int threads = -1;

  bool empty() const { return pids.empty(); }
  StatusOr<ProcCpu> Cpu() const {
    ProcCpu sum;
    for (int pid : pids) {
      CERTME_ASSIGN_OR_RETURN(ProcCpu c, ReadProcCpu(pid));
      sum.user_s += c.user_s;
      sum.system_s += c.system_s;
    }
    return sum;
  }
  void SampleMemory() {
    int64_t rss = 0;
    int t = 0;
    for (int pid : pids) {
      auto m = ReadProcMemory(pid);
      if (!m.ok()) return;
      rss += m->rss_kib;
      t += m->threads;
    }
    rss_peak_kib = std::max(rss_peak_kib, rss);
    rss_last_kib = rss;
    threads = t;
  }
  int64_t HwmKib() const {
    int64_t sum = 0;
    for (int pid : pids) {
      auto m = ReadProcMemory(pid);
      if (!m.ok()) return -1;
      sum += m->hwm_kib;
    }
    return sum;
  }
  std::string PidText() const {
    std::string t;
    for (int pid : pids) t += (t.empty() ? "" : ",") + std::to_string(pid);
    return t;
  }
};

// Returns an error text, or empty when the options are usable.
std::string ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) -> bool {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    double d = 0;
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      std::exit(0);
    } else if (a == "--sso") {
      o->sso = true;
    } else if (a == "--login-page") {
      o->login_page = true;
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "--fresh-users") {
      o->fresh_users = true;
    } else if (!value(&v)) {
      return "unknown option or missing value: " + a;
    } else if (a == "--url") {
      o->url = v;
    } else if (a == "--mode") {
      o->mode = v;
    } else if (a == "--alg") {
      o->alg = v;
    } else if (a == "--client-id") {
      o->client_id = v;
    } else if (a == "--client-secret") {
      o->client_secret = v;
    } else if (a == "--redirect-uri") {
      o->redirect_uri = v;
    } else if (a == "--identity") {
      o->identity = v;
    } else if (a == "--scope") {
      o->scope = v;
    } else if (a == "--label") {
      o->label = v;
    } else if (a == "--wallet-seed") {
      o->wallet_seed = v;
    } else if (a == "--users") {
      if (!ParseRange(v, &o->users_begin, &o->users_end)) return "--users takes A:B with A < B";
    } else if (a == "--server-pid" || a == "--validator-pid" || a == "--extra-pid") {
      auto& list = a == "--server-pid" ? o->server_pids : a == "--validator-pid" ? o->validator_pids : o->extra_pids;
      if (!ParsePids(v, &list)) return "bad pid list for " + a + ": " + v;
    } else if (a == "--workers" || a == "--duration" || a == "--warmup" || a == "--timeout-ms") {
      if (!ParseNumber(v.c_str(), &d) || d < 0) return "bad number for " + a + ": " + v;
      if (a == "--workers") o->workers = int(d);
      if (a == "--duration") o->duration_s = d;
      if (a == "--warmup") o->warmup_s = d;
      if (a == "--timeout-ms") o->timeout_ms = int(d);
    } else {
      return "unknown option: " + a;
    }
  }
  if (o->mode != "flow" && o->mode != "wallet" && o->mode != "client_credentials" && o->mode != "refresh" &&
      o->mode != "discovery" && o->mode != "jwks")
    return "--mode must be flow, wallet, client_credentials, refresh, discovery or jwks";
  if (o->mode == "wallet" && o->users_end == 0) return "--mode wallet needs --users A:B";
  if (o->alg != "RS256" && o->alg != "ES256") return "--alg must be RS256 or ES256";
  if (o->duration_s <= 0 || o->duration_s > kMaxDurationS) return "--duration must be in (0, 60]";
  if (o->warmup_s > kMaxWarmupS) return "--warmup must be at most 10";
  if (o->timeout_ms < 100 || o->timeout_ms > 30000) return "--timeout-ms must be in [100, 30000]";
  if (o->workers == 0) o->workers = 2 * int(std::max(1u, std::thread::hardware_concurrency()));
  if (o->workers < 1 || o->workers > kMaxWorkers) return "--workers must be in [1, 256]";
  if (o->client_id.empty()) o->client_id = o->alg == "RS256" ? "bench-rs256" : "bench-es256";
  if (o->client_secret.empty()) {
    const char* env = std::getenv("CERTME_BENCH_CLIENT_SECRET");
    o->client_secret = env && *env ? env : o->client_id + "-secret";
  }
  if (!o->scope) o->scope = o->mode == "client_credentials" ? "" : "openid profile email";
  return "";
}

// Samples and counters of one worker. The worker appends under `mu` (never
// contended except at the end), so the reporter can read them even if a
// worker is still blocked in a receive when time is up.
struct WorkerStats {
  std::mutex mu;
  std::vector<uint32_t> total_us;
  std::array<std::vector<uint32_t>, kStepCount> step_us;
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> first_detail;
  uint64_t ok = 0;
  uint64_t signatures = 0;  // OpResult::signatures of the counted operations
  uint64_t connects = 0;
  uint64_t stale_retries = 0;
};

struct Shared {
  const Options* options;
  const ProviderInfo* provider;
  const ClientSettings* client;
  LoopbackUrl origin;
  SteadyClock::time_point measure_start;
  SteadyClock::time_point measure_end;
  std::atomic<int> running{0};
  std::mutex done_mu;
  std::condition_variable done_cv;
};

void Worker(Shared* sh, WorkerStats* stats) {
  ConnectionOptions copts;
  copts.io_timeout = std::chrono::milliseconds(sh->options->timeout_ms);
  HttpConnection conn(sh->origin, copts);
  FlowRunner runner(*sh->provider, *sh->client, conn, SystemRandom(), SystemClock());
  const std::string& mode = sh->options->mode;
  while (true) {
    auto start = SteadyClock::now();
    if (start >= sh->measure_end) break;
    OpResult r = mode == "client_credentials" ? runner.RunClientCredentials()
                 : mode == "refresh"          ? runner.RunRefresh()
                 : mode == "discovery"        ? runner.RunDiscovery()
                 : mode == "jwks"             ? runner.RunJwks()
                                              : runner.RunCodeFlow();
    if (r.error_kind == "wallet:users_exhausted") {  // fresh users all used: this worker is done
      std::lock_guard<std::mutex> l(stats->mu);
      ++stats->errors[r.error_kind];
      stats->first_detail.emplace(r.error_kind, "every user of --users has logged in; enroll more");
      break;
    }
    auto end = SteadyClock::now();
    // An operation counts when it completes inside the measured window.
    if (end >= sh->measure_start && end < sh->measure_end && !(r.ok && r.preparation)) {
      std::lock_guard<std::mutex> l(stats->mu);
      if (r.ok) {
        ++stats->ok;
        stats->signatures += uint64_t(r.signatures);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
        stats->total_us.push_back(uint32_t(std::min<int64_t>(us, UINT32_MAX)));
        for (size_t s = 0; s < kStepCount; ++s)
          if (r.step_us[s]) stats->step_us[s].push_back(r.step_us[s]);
      } else {
        ++stats->errors[r.error_kind];
        stats->first_detail.emplace(r.error_kind, r.detail.substr(0, 300));
      }
    }
    if (!r.ok && r.error_kind.find(":connection") != std::string::npos)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // server down: don't spin
    {
      std::lock_guard<std::mutex> l(stats->mu);
      stats->connects = conn.connects();
      stats->stale_retries = conn.stale_retries();
    }
  }
  if (--sh->running == 0) {
    std::lock_guard<std::mutex> l(sh->done_mu);
    sh->done_cv.notify_all();
  }
}

Json SummaryJson(const LatencySummary& s) {
  return {{"count", s.count}, {"mean", s.mean_ms}, {"p50", s.p50_ms},
          {"p90", s.p90_ms},  {"p99", s.p99_ms},   {"max", s.max_ms}};
}

int Run(const Options& o) {
  auto origin = ParseLoopbackUrl(o.url);
  if (!origin.ok()) {
    std::fprintf(stderr, "oidc_load: %s\n", origin.status().message().c_str());
    return 2;
  }
  // Hard stop whatever happens (a wedged server, a stuck receive): the
  // default SIGALRM action ends the process.
  alarm(unsigned(o.warmup_s + o.duration_s + 2.0 * o.timeout_ms / 1000.0 + 30));

  FILE* report = o.json ? stderr : stdout;
  ConnectionOptions copts;
  copts.io_timeout = std::chrono::milliseconds(o.timeout_ms);
  HttpConnection dconn(*origin, copts);
  auto provider = Discover(dconn);
  if (!provider.ok()) {
    std::fprintf(stderr, "oidc_load: discovery failed: %s\n", provider.status().ToString().c_str());
    return 1;
  }
  dconn.Close();

  ClientSettings client;
  client.client_id = o.client_id;
  client.client_secret = o.client_secret;
  client.redirect_uri = o.redirect_uri;
  client.scope = *o.scope;
  client.identity = o.identity;
  client.id_token_alg = o.alg == "RS256" ? JwsAlg::kRS256 : JwsAlg::kES256;
  client.sso = o.sso;
  client.fetch_login_page = o.login_page;
  UserPicker users(o.users_begin, o.users_end, o.fresh_users);
  if (o.mode == "wallet") {
    client.wallet_users = &users;
    client.wallet_seed = o.wallet_seed;
  }

  std::vector<int> all_pids = o.server_pids;
  all_pids.insert(all_pids.end(), o.validator_pids.begin(), o.validator_pids.end());
  all_pids.insert(all_pids.end(), o.extra_pids.begin(), o.extra_pids.end());
  for (int pid : all_pids) {
    if (auto c = ReadProcCpu(pid); !c.ok()) {
      std::fprintf(stderr, "oidc_load: pid %d: %s\n", pid, c.status().message().c_str());
      return 2;
    }
  }

  Shared sh;
  sh.options = &o;
  sh.provider = &*provider;
  sh.client = &client;
  sh.origin = *origin;
  auto t_start = SteadyClock::now();
  sh.measure_start = t_start + std::chrono::microseconds(int64_t(o.warmup_s * 1e6));
  sh.measure_end = sh.measure_start + std::chrono::microseconds(int64_t(o.duration_s * 1e6));

  std::vector<std::unique_ptr<WorkerStats>> stats;
  std::vector<std::thread> threads;
  sh.running = o.workers;
  for (int i = 0; i < o.workers; ++i) {
    stats.push_back(std::make_unique<WorkerStats>());
    threads.emplace_back(Worker, &sh, stats.back().get());
  }

  // Measured window: server CPU and our own CPU at both ends; RSS sampled
  // every 100 ms for the peak during the run.
  std::this_thread::sleep_until(sh.measure_start);
  auto wall0 = SteadyClock::now();
  ProcGroup server{o.server_pids}, validator{o.validator_pids}, infra{o.extra_pids};
  auto cpu_or = [](const ProcGroup& g) { return g.empty() ? StatusOr<ProcCpu>(NotFound("no pid")) : g.Cpu(); };
  StatusOr<ProcCpu> server0 = cpu_or(server), validator0 = cpu_or(validator), infra0 = cpu_or(infra);
  ProcCpu self0 = SelfCpu();
  // The window also ends when every worker has stopped (fresh users ran out).
  for (auto next = wall0; next < sh.measure_end && sh.running.load() > 0;) {
    for (ProcGroup* g : {&server, &validator, &infra}) g->SampleMemory();
    next += std::chrono::milliseconds(100);
    std::this_thread::sleep_until(std::min(next, sh.measure_end));
  }
  auto wall1 = SteadyClock::now();
  StatusOr<ProcCpu> server1 = cpu_or(server), validator1 = cpu_or(validator), infra1 = cpu_or(infra);
  ProcCpu self1 = SelfCpu();
  const int64_t server_hwm = server.empty() ? -1 : server.HwmKib();
  const int64_t rss_peak = server.rss_peak_kib;
  const int threads_seen = server.threads;
  double wall = std::chrono::duration<double>(wall1 - wall0).count();

  // Workers finish their current operation (bounded by the I/O timeout).
  bool all_done;
  {
    std::unique_lock<std::mutex> l(sh.done_mu);
    all_done = sh.done_cv.wait_for(l, std::chrono::milliseconds(2 * o.timeout_ms + 1000),
                                   [&] { return sh.running.load() == 0; });
  }

  // Merge.
  std::vector<uint32_t> total;
  std::array<std::vector<uint32_t>, kStepCount> steps;
  std::map<std::string, uint64_t> errors;
  std::map<std::string, std::string> details;
  uint64_t ok = 0, signatures = 0, connects = 0, stale = 0, err_total = 0;
  for (auto& s : stats) {
    std::lock_guard<std::mutex> l(s->mu);
    ok += s->ok;
    signatures += s->signatures;
    connects += s->connects;
    stale += s->stale_retries;
    total.insert(total.end(), s->total_us.begin(), s->total_us.end());
    for (size_t i = 0; i < kStepCount; ++i)
      steps[i].insert(steps[i].end(), s->step_us[i].begin(), s->step_us[i].end());
    for (const auto& [k, n] : s->errors) {
      errors[k] += n;
      err_total += n;
    }
    for (const auto& [k, d] : s->first_detail) details.emplace(k, d);
  }
  LatencySummary lat = Summarize(total);
  double rate = wall > 0 ? double(ok) / wall : 0.0;
  const char* unit = o.mode == "flow" || o.mode == "wallet" ? "flows" : "requests";

  Json j;
  j["mode"] = o.mode;
  j["alg"] = o.alg;
  j["client_id"] = o.client_id;
  j["url"] = origin->Origin();
  j["workers"] = o.workers;
  j["duration_s"] = o.duration_s;
  j["warmup_s"] = o.warmup_s;
  j["sso"] = o.sso;
  j["label"] = o.label;
  if (o.mode == "wallet")
    j["users"] = {{"seed", o.wallet_seed},
                  {"begin", o.users_begin},
                  {"end", o.users_end},
                  {"fresh", o.fresh_users},
                  {"handed_out", std::min<uint64_t>(users.used(), o.users_end - o.users_begin)}};
  j["completed"] = ok;
  j["window_s"] = wall;
  j["rate_per_s"] = rate;
  j["signatures_per_op"] = ok ? double(signatures) / double(ok) : 0.0;
  j["latency_ms"] = SummaryJson(lat);
  Json jsteps = Json::object();
  for (size_t i = 0; i < kStepCount; ++i)
    if (!steps[i].empty()) jsteps[StepName(Step(i))] = SummaryJson(Summarize(steps[i]));
  j["steps_ms"] = jsteps;
  j["errors"] = {{"total", err_total}, {"by_kind", errors}};
  j["connections_opened"] = connects;
  j["stale_retries"] = stale;
  double self_cpu = self1.total() - self0.total();
  j["client"] = {{"cpu_s", self_cpu}, {"cores", self_cpu / wall}};
  Json jserver = nullptr;
  double server_cpu = 0;
  if (server0.ok() && server1.ok()) {
    server_cpu = server1->total() - server0->total();
    jserver = {{"pid", o.server_pids.front()},
               {"pids", o.server_pids},
               {"cpu_s", server_cpu},
               {"user_s", server1->user_s - server0->user_s},
               {"system_s", server1->system_s - server0->system_s},
               {"cores", server_cpu / wall},
               {"per_cpu_s", server_cpu > 0 ? double(ok) / server_cpu : 0.0},
               {"rss_peak_kib", rss_peak},
               {"rss_end_kib", server.rss_last_kib},
               {"vmhwm_kib", server_hwm},
               {"threads", threads_seen}};
  }
  j["server"] = jserver;
  auto side = [&](const ProcGroup& g, const StatusOr<ProcCpu>& c0, const StatusOr<ProcCpu>& c1) -> Json {
    if (!c0.ok() || !c1.ok()) return nullptr;
    double v = c1->total() - c0->total();
    return {{"pids", g.pids},
            {"cpu_s", v},
            {"cores", v / wall},
            {"cpu_ms_per_op", ok ? 1000.0 * v / double(ok) : 0.0},
            {"rss_peak_kib", g.rss_peak_kib}};
  };
  Json jvalidator = side(validator, validator0, validator1);
  Json jinfra = side(infra, infra0, infra1);
  j["validator"] = jvalidator;
  j["infra"] = jinfra;
  j["workers_finished"] = all_done;

  std::fprintf(report, "oidc_load: mode=%s alg=%s client=%s target=%s workers=%d duration=%.1fs warmup=%.1fs%s\n",
               o.mode.c_str(), o.alg.c_str(), o.client_id.c_str(), origin->Origin().c_str(),
               o.workers, o.duration_s, o.warmup_s, o.sso ? " sso" : "");
  std::fprintf(report, "  completed  %llu %s in %.2f s = %.1f %s/s\n", (unsigned long long)ok, unit,
               wall, rate, unit);
  std::fprintf(report, "  latency    p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  mean %.2f ms\n",
               lat.p50_ms, lat.p90_ms, lat.p99_ms, lat.max_ms, lat.mean_ms);
  std::string step_line;
  for (size_t i = 0; i < kStepCount; ++i) {
    if (steps[i].empty()) continue;
    LatencySummary s = Summarize(steps[i]);
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %s %.2f/%.2f", StepName(Step(i)), s.p50_ms, s.p99_ms);
    step_line += buf;
  }
  if (!step_line.empty()) std::fprintf(report, "  steps p50/p99 ms:%s\n", step_line.c_str());
  std::fprintf(report, "  errors     %llu\n", (unsigned long long)err_total);
  for (const auto& [k, n] : errors)
    std::fprintf(report, "    %-40s %llu  (first: %s)\n", k.c_str(), (unsigned long long)n,
                 details[k].c_str());
  std::fprintf(report, "  conns      %llu opened, %llu stale-connection retries\n",
               (unsigned long long)connects, (unsigned long long)stale);
  if (!jserver.is_null()) {
    std::fprintf(report,
                 "  server     pid %s: %.2f CPU-s (user %.2f, sys %.2f) over %.2f s = %.2f cores; "
                 "%.1f %s per CPU-second\n",
                 server.PidText().c_str(), server_cpu, server1->user_s - server0->user_s,
                 server1->system_s - server0->system_s, wall, server_cpu / wall,
                 server_cpu > 0 ? double(ok) / server_cpu : 0.0, unit);
    std::fprintf(report, "             RSS peak during run %.1f MiB, VmHWM %.1f MiB, %d threads\n",
                 rss_peak / 1024.0, server_hwm / 1024.0, threads_seen);
  } else {
    std::fprintf(report, "  server     (no --server-pid: CPU and RSS not measured)\n");
  }
  for (auto [name, jg, g] : {std::tuple{"validator", &jvalidator, &validator}, std::tuple{"infra    ", &jinfra, &infra}})
    if (!jg->is_null())
      std::fprintf(report, "  %s  pid %s: %.2f CPU-s = %.2f cores, %.3f ms per %s; RSS peak %.1f MiB\n", name,
                   g->PidText().c_str(), (*jg)["cpu_s"].get<double>(), (*jg)["cores"].get<double>(),
                   (*jg)["cpu_ms_per_op"].get<double>(), unit == std::string("flows") ? "flow" : "request",
                   g->rss_peak_kib / 1024.0);
  std::fprintf(report, "  client     %.2f CPU-s = %.2f cores (this load generator)\n", self_cpu,
               self_cpu / wall);
  if (!all_done) std::fprintf(report, "  warning: some workers were still blocked at the end\n");
  if (o.json) std::printf("%s\n", j.dump().c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  if (!all_done) std::_Exit(ok > 0 ? 0 : 1);  // do not wait for wedged threads
  for (auto& t : threads) t.join();
  return ok > 0 ? 0 : 1;
}

}  // namespace
}  // namespace certme::bench

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--free-port") return certme::bench::PrintFreePort();
  if (argc == 3 && std::string(argv[1]) == "--table") return certme::bench::PrintTable(argv[2]);
  if (argc >= 2 && std::string(argv[1]) == "--enroll") return certme::bench::Enroll(argc, argv);
  certme::bench::Options o;
  std::string err = certme::bench::ParseArgs(argc, argv, &o);
  if (!err.empty()) {
    std::fprintf(stderr, "oidc_load: %s\n\n", err.c_str());
    certme::bench::Usage(stderr);
    return 2;
  }
  return certme::bench::Run(o);
}
