// Prometheus metrics, text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// The HTTP server records, per request:
//   certme_http_requests_total{route,method,status}       counter
//   certme_http_request_duration_seconds{route}           histogram
//   certme_http_requests_in_flight                        gauge
// and any module may register its own families:
//   Counter& logins = metrics.NewCounter("certme_logins_total", "Wallet logins.", {"result"});
//   logins.Inc({"ok"});
//
// All types are safe for concurrent use. Registration is meant for start-up
// (it throws std::invalid_argument on a bad or conflicting name); recording
// never throws and never allocates beyond the first use of a label set.
// Label values must come from small, fixed sets: every distinct value is a
// series kept for the life of the process.
//
// Cost of a recording: Inc/Observe with label values look the series up
// under the family's lock, then add with atomics. A hot path binds its
// series once (Counter::Bind, Histogram::Bind) and records without any lock
// or allocation:
//   Histogram::Series* get = store_latency.Bind({"get"});   // at start-up
//   get->Observe(seconds);                                   // per call
// A CallbackGauge is computed when /metrics is scraped (queue depths read
// from the Store, certificate expiry), never on a request path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace certme {

using LabelValues = std::vector<std::string>;

class MetricFamily {
 public:
  virtual ~MetricFamily() = default;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& labels() const { return labels_; }
  // Appends "# HELP", "# TYPE" and one line per series.
  virtual void Render(std::string& out) const = 0;

 protected:
  MetricFamily(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  void RenderHeader(std::string& out, const char* type) const;
  // `{a="x",b="y"` without the closing brace (callers add le=… or '}').
  std::string LabelPrefix(const LabelValues& values) const;
  bool Arity(const LabelValues& values) const { return values.size() == labels_.size(); }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labels_;
};

// Monotonic counter. A call with the wrong number of label values is dropped.
class Counter final : public MetricFamily {
 public:
  // One labelled series; lives as long as its family.
  class Series {
   public:
    void Inc(double by = 1) {
      if (by >= 0) value_.fetch_add(by, std::memory_order_relaxed);  // counters only go up
    }
    double Value() const { return value_.load(std::memory_order_relaxed); }

   private:
    std::atomic<double> value_{0};
  };

  Counter(std::string name, std::string help, std::vector<std::string> labels)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)) {}
  void Inc(const LabelValues& values = {}, double by = 1);
  double Value(const LabelValues& values = {}) const;
  // The series for `values` (created at 0 and exposed from now on); null on
  // the wrong number of label values.
  Series* Bind(const LabelValues& values = {});
  void Render(std::string& out) const override;

 private:
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

class Gauge final : public MetricFamily {
 public:
  Gauge(std::string name, std::string help, std::vector<std::string> labels)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)) {}
  void Set(double v, const LabelValues& values = {});
  void Add(double delta, const LabelValues& values = {});
  double Value(const LabelValues& values = {}) const;
  void Render(std::string& out) const override;

 private:
  mutable std::mutex mu_;
  std::map<LabelValues, double> series_;
};

// A gauge whose series are read from `read` at every scrape (queue depths,
// expiry times). `read` runs on the scraping thread, must be thread-safe
// and should be quick; series with the wrong number of label values are
// skipped, and an exception drops the family's series from that scrape.
class CallbackGauge final : public MetricFamily {
 public:
  using Reader = std::function<std::vector<std::pair<LabelValues, double>>()>;
  CallbackGauge(std::string name, std::string help, std::vector<std::string> labels, Reader read)
      : MetricFamily(std::move(name), std::move(help), std::move(labels)), read_(std::move(read)) {}
  void Render(std::string& out) const override;

 private:
  const Reader read_;
};

class Histogram final : public MetricFamily {
 public:
  // One labelled series; lives as long as its family.
  class Series {
   public:
    explicit Series(const std::vector<double>& bounds);
    void Observe(double v);

   private:
    friend class Histogram;
    const std::vector<double>& bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, non-cumulative; last = +Inf
    std::atomic<double> sum_{0};
  };

  // `buckets`: strictly increasing upper bounds; +Inf is implicit.
  Histogram(std::string name, std::string help, std::vector<std::string> labels,
            std::vector<double> buckets);
  void Observe(double v, const LabelValues& values = {});
  // See Counter::Bind.
  Series* Bind(const LabelValues& values = {});
  // Observations ≤ bucket bound `le` so far (cumulative); `le` must be one of the bounds or +Inf.
  uint64_t CumulativeCount(double le, const LabelValues& values = {}) const;
  uint64_t Count(const LabelValues& values = {}) const;
  void Render(std::string& out) const override;

  // Prometheus' default latency buckets, in seconds.
  static std::vector<double> DefaultLatencyBuckets();

 private:
  const Series* Find(const LabelValues& values) const;
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

class Metrics {
 public:
  Metrics();  // registers the HTTP families above
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]* and
  // not "le" (reserved). Registering an existing name again returns the
  // existing family when type and labels agree, and throws otherwise.
  Counter& NewCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Gauge& NewGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Histogram& NewHistogram(std::string name, std::string help, std::vector<std::string> labels = {},
                          std::vector<double> buckets = Histogram::DefaultLatencyBuckets());
  CallbackGauge& NewCallbackGauge(std::string name, std::string help, std::vector<std::string> labels,
                                  CallbackGauge::Reader read);

  // The whole registry in text format 0.0.4, families in registration order.
  std::string Render() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // The server's own families.
  Counter& http_requests() { return *http_requests_; }
  Histogram& http_request_duration() { return *http_duration_; }
  Gauge& http_in_flight() { return *http_in_flight_; }
  // Connections refused or evicted at the caps: "per_address", "busy", "evicted".
  Counter& http_refused_connections() { return *http_refused_connections_; }
  // Requests answered 429 by a rate limit, by limit ("address", "client", "code").
  Counter& http_rate_limited() { return *http_rate_limited_; }

  // Label value for a request method: the registered methods pass through,
  // anything else becomes "OTHER" so clients cannot mint series.
  static std::string MethodLabel(std::string_view method);

 private:
  template <typename T, typename... Args>
  T& Register(std::string name, std::vector<std::string> labels, Args&&... args);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
  Counter* http_requests_ = nullptr;
  Histogram* http_duration_ = nullptr;
  Gauge* http_in_flight_ = nullptr;
  Counter* http_refused_connections_ = nullptr;
  Counter* http_rate_limited_ = nullptr;
};

}  // namespace certme
