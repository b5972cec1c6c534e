#include "idp/http/metrics.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace certme {
namespace {

bool ValidName(std::string_view n, bool allow_colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = n[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Go's ParseFloat accepts what to_chars writes; integers stay integers so
// counters read naturally.
void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<int64_t>(v));
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

// Exposition format: label values escape \, " and newline; HELP escapes \ and newline.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
}

}  // namespace

void MetricFamily::RenderHeader(std::string& out, const char* type) const {
  out += "# HELP " + name_ + " ";
  AppendEscaped(out, help_, false);
  out += "\n# TYPE " + name_ + " " + type + "\n";
}

std::string MetricFamily::LabelPrefix(const LabelValues& values) const {
  std::string s = "{";
  for (size_t i = 0; i < labels_.size(); ++i) {
    if (i) s += ',';
    s += labels_[i] + "=\"";
    AppendEscaped(s, values[i], true);
    s += '"';
  }
  return s;
}

void Counter::Inc(const LabelValues& values, double by) {
  if (!(by >= 0)) return;  // counters only go up
  if (Series* s = Bind(values)) s->Inc(by);
}

Counter::Series* Counter::Bind(const LabelValues& values) {
  if (!Arity(values)) return nullptr;
  std::lock_guard<std::mutex> l(mu_);
  std::unique_ptr<Series>& s = series_[values];
  if (!s) s = std::make_unique<Series>();
  return s.get();
}

double Counter::Value(const LabelValues& values) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second->Value();
}

void Counter::Render(std::string& out) const {
  RenderHeader(out, "counter");
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [values, s] : series_) {
    out += name_;
    if (!labels_.empty()) out += LabelPrefix(values) + "}";
    out += ' ';
    AppendNumber(out, s->Value());
    out += '\n';
  }
}

void Gauge::Set(double v, const LabelValues& values) {
  if (!Arity(values)) return;
  std::lock_guard<std::mutex> l(mu_);
  series_[values] = v;
}

void Gauge::Add(double delta, const LabelValues& values) {
  if (!Arity(values)) return;
  std::lock_guard<std::mutex> l(mu_);
  series_[values] += delta;
}

double Gauge::Value(const LabelValues& values) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second;
}

void Gauge::Render(std::string& out) const {
  RenderHeader(out, "gauge");
  std::lock_guard<std::mutex> l(mu_);
  // An unlabelled gauge is always exposed, even before its first Set.
  if (labels_.empty() && series_.empty()) out += name_ + " 0\n";
  for (const auto& [values, v] : series_) {
    out += name_;
    if (!labels_.empty()) out += LabelPrefix(values) + "}";
    out += ' ';
    AppendNumber(out, v);
    out += '\n';
  }
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> labels,
                     std::vector<double> buckets)
    : MetricFamily(std::move(name), std::move(help), std::move(labels)), bounds_(std::move(buckets)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::invalid_argument("Histogram " + name_ + ": buckets must increase strictly");
  }
}

std::vector<double> Histogram::DefaultLatencyBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

void CallbackGauge::Render(std::string& out) const {
  std::vector<std::pair<LabelValues, double>> series;
  try {
    if (read_) series = read_();
  } catch (...) {
    series.clear();  // nothing rather than a half-read family
  }
  RenderHeader(out, "gauge");
  for (const auto& [values, v] : series) {
    if (!Arity(values)) continue;
    out += name_;
    if (!labels_.empty()) out += LabelPrefix(values) + "}";
    out += ' ';
    AppendNumber(out, v);
    out += '\n';
  }
}

Histogram::Series::Series(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Series::Observe(double v) {
  if (std::isnan(v)) return;
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;  // le is inclusive
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Series* Histogram::Bind(const LabelValues& values) {
  if (!Arity(values)) return nullptr;
  std::lock_guard<std::mutex> l(mu_);
  std::unique_ptr<Series>& s = series_[values];
  if (!s) s = std::make_unique<Series>(bounds_);
  return s.get();
}

void Histogram::Observe(double v, const LabelValues& values) {
  if (std::isnan(v)) return;
  if (Series* s = Bind(values)) s->Observe(v);
}

const Histogram::Series* Histogram::Find(const LabelValues& values) const {
  auto it = series_.find(values);
  return it == series_.end() ? nullptr : it->second.get();
}

uint64_t Histogram::CumulativeCount(double le, const LabelValues& values) const {
  std::lock_guard<std::mutex> l(mu_);
  const Series* s = Find(values);
  if (!s) return 0;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    const double bound = i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity();
    if (bound > le) break;
    total += s->counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

uint64_t Histogram::Count(const LabelValues& values) const {
  std::lock_guard<std::mutex> l(mu_);
  const Series* s = Find(values);
  if (!s) return 0;
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) total += s->counts_[i].load(std::memory_order_relaxed);
  return total;
}

void Histogram::Render(std::string& out) const {
  RenderHeader(out, "histogram");
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [values, s] : series_) {
    std::string prefix = LabelPrefix(values);
    if (!labels_.empty()) prefix += ',';
    // _count is the +Inf bucket as read here, so the two always agree even
    // while observations land during the scrape.
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      cumulative += s->counts_[i].load(std::memory_order_relaxed);
      out += name_ + "_bucket" + prefix + "le=\"";
      if (i < bounds_.size()) AppendNumber(out, bounds_[i]);
      else out += "+Inf";
      out += "\"} ";
      AppendNumber(out, static_cast<double>(cumulative));
      out += '\n';
    }
    std::string plain = labels_.empty() ? "" : LabelPrefix(values) + "}";
    out += name_ + "_sum" + plain + " ";
    AppendNumber(out, s->sum_.load(std::memory_order_relaxed));
    out += '\n' + name_ + "_count" + plain + " ";
    AppendNumber(out, static_cast<double>(cumulative));
    out += '\n';
  }
}

Metrics::Metrics() {
  http_requests_ = &NewCounter("certme_http_requests_total", "HTTP requests answered, by route, method and status.",
                               {"route", "method", "status"});
  http_duration_ = &NewHistogram("certme_http_request_duration_seconds",
                                 "Time from a request's last byte to its answer being queued, by route.",
                                 {"route"});
  http_in_flight_ = &NewGauge("certme_http_requests_in_flight", "HTTP requests being handled now.");
  http_refused_connections_ = &NewCounter("certme_http_connections_refused_total",
                                          "Connections refused or evicted at the connection caps, by reason.",
                                          {"reason"});
  http_rate_limited_ = &NewCounter("certme_http_rate_limited_total",
                                   "Requests answered 429 by a rate limit, by limit.", {"limit"});
}

template <typename T, typename... Args>
T& Metrics::Register(std::string name, std::vector<std::string> labels, Args&&... args) {
  if (!ValidName(name, true)) throw std::invalid_argument("metric name invalid: " + name);
  for (const std::string& l : labels) {
    if (!ValidName(l, false) || l == "le" || l.rfind("__", 0) == 0)
      throw std::invalid_argument("metric " + name + ": label name invalid: " + l);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) {
    if (f->name() != name) continue;
    T* same = dynamic_cast<T*>(f.get());
    if (!same || same->labels() != labels)
      throw std::invalid_argument("metric " + name + " already registered with another type or labels");
    return *same;
  }
  auto family = std::make_unique<T>(name, std::forward<Args>(args)...);
  T& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

Counter& Metrics::NewCounter(std::string name, std::string help, std::vector<std::string> labels) {
  return Register<Counter>(name, labels, std::move(help), labels);
}

Gauge& Metrics::NewGauge(std::string name, std::string help, std::vector<std::string> labels) {
  return Register<Gauge>(name, labels, std::move(help), labels);
}

Histogram& Metrics::NewHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                 std::vector<double> buckets) {
  return Register<Histogram>(name, labels, std::move(help), labels, std::move(buckets));
}

CallbackGauge& Metrics::NewCallbackGauge(std::string name, std::string help, std::vector<std::string> labels,
                                         CallbackGauge::Reader read) {
  return Register<CallbackGauge>(name, labels, std::move(help), labels, std::move(read));
}

std::string Metrics::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& f : families_) f->Render(out);
  return out;
}

std::string Metrics::MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
  for (std::string_view k : kKnown)
    if (method == k) return std::string(k);
  return "OTHER";
}

}  // namespace certme
