#include "idp/http/metrics.h"

#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace certme {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CounterRendersWithEscapedLabels) {
  Metrics m;
  Counter& c = m.NewCounter("certme_logins_total", "Logins by result.\nSecond line \\ here.", {"result"});
  c.Inc({"ok"});
  c.Inc({"ok"}, 2);
  c.Inc({"a\"b\\c\nd"});
  c.Inc({"too", "many"});  // wrong arity: dropped
  c.Inc({"ok"}, -5);       // counters never go down
  EXPECT_EQ(c.Value({"ok"}), 3);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# HELP certme_logins_total Logins by result.\\nSecond line \\\\ here.\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE certme_logins_total counter\n"));
  EXPECT_THAT(text, HasSubstr("certme_logins_total{result=\"ok\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("certme_logins_total{result=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST(MetricsTest, GaugeAndUnlabelledSeries) {
  Metrics m;
  Gauge& g = m.NewGauge("certme_sessions", "Open sessions.");
  EXPECT_THAT(m.Render(), HasSubstr("certme_sessions 0\n"));
  g.Set(5);
  g.Add(-2);
  g.Add(0.5);
  EXPECT_EQ(g.Value(), 3.5);
  EXPECT_THAT(m.Render(), HasSubstr("certme_sessions 3.5\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics m;
  Histogram& h = m.NewHistogram("certme_x_seconds", "X.", {"op"}, {0.1, 1});
  h.Observe(0.05, {"a"});
  h.Observe(0.1, {"a"});  // le is inclusive
  h.Observe(0.5, {"a"});
  h.Observe(7, {"a"});
  EXPECT_EQ(h.CumulativeCount(0.1, {"a"}), 2u);
  EXPECT_EQ(h.CumulativeCount(1, {"a"}), 3u);
  EXPECT_EQ(h.Count({"a"}), 4u);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("certme_x_seconds_bucket{op=\"a\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("certme_x_seconds_bucket{op=\"a\",le=\"1\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("certme_x_seconds_bucket{op=\"a\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("certme_x_seconds_sum{op=\"a\"} 7.65\n"));
  EXPECT_THAT(text, HasSubstr("certme_x_seconds_count{op=\"a\"} 4\n"));
}

TEST(MetricsTest, BoundSeriesRecordWithoutLookup) {
  Metrics m;
  Counter& c = m.NewCounter("certme_b_total", "B.", {"op"});
  Histogram& h = m.NewHistogram("certme_b_seconds", "B.", {"op"}, {0.001, 0.01});
  EXPECT_EQ(c.Bind({"a", "b"}), nullptr);  // wrong arity
  EXPECT_EQ(h.Bind({}), nullptr);
  Counter::Series* get = c.Bind({"get"});
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get, c.Bind({"get"}));  // one series per label set
  // A bound series is exposed at 0 from the start (rate() needs the zero).
  EXPECT_THAT(m.Render(), HasSubstr("certme_b_total{op=\"get\"} 0\n"));
  Histogram::Series* hs = h.Bind({"get"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        get->Inc();
        hs->Observe(i % 2 ? 0.0078125 : 0.5);  // binary fractions: the sum is exact
      }
    });
  for (auto& t : threads) t.join();
  get->Inc(-1);  // never down
  EXPECT_EQ(c.Value({"get"}), 4000);
  EXPECT_EQ(h.Count({"get"}), 4000u);
  EXPECT_EQ(h.CumulativeCount(0.01, {"get"}), 2000u);
  std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("certme_b_seconds_bucket{op=\"get\",le=\"0.001\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("certme_b_seconds_bucket{op=\"get\",le=\"+Inf\"} 4000\n"));
  EXPECT_THAT(text, HasSubstr("certme_b_seconds_count{op=\"get\"} 4000\n"));
  EXPECT_THAT(text, HasSubstr("certme_b_seconds_sum{op=\"get\"} 1015.625\n"));
}

TEST(MetricsTest, CallbackGaugeIsReadAtScrape) {
  Metrics m;
  double depth = 3;
  int reads = 0;
  m.NewCallbackGauge("certme_q_depth", "Q.", {"queue"}, [&] {
    ++reads;
    return std::vector<std::pair<LabelValues, double>>{{{"outbox"}, depth}, {{"x", "y"}, 9}};
  });
  m.NewCallbackGauge("certme_throws", "T.", {}, []() -> std::vector<std::pair<LabelValues, double>> {
    throw std::runtime_error("unreadable");
  });
  std::string text = m.Render();
  EXPECT_EQ(reads, 1);
  EXPECT_THAT(text, HasSubstr("# TYPE certme_q_depth gauge\ncertme_q_depth{queue=\"outbox\"} 3\n"));
  EXPECT_THAT(text, Not(HasSubstr("9\n")));  // wrong arity skipped
  EXPECT_THAT(text, HasSubstr("# TYPE certme_throws gauge\n"));
  EXPECT_THAT(text, Not(HasSubstr("\ncertme_throws ")));
  depth = 0;
  EXPECT_THAT(m.Render(), HasSubstr("certme_q_depth{queue=\"outbox\"} 0\n"));
}

TEST(MetricsTest, RegistrationRules) {
  Metrics m;
  Counter& a = m.NewCounter("certme_a_total", "A.", {"x"});
  EXPECT_EQ(&a, &m.NewCounter("certme_a_total", "A again.", {"x"}));  // same family back
  EXPECT_THROW(m.NewCounter("certme_a_total", "A.", {"y"}), std::invalid_argument);
  EXPECT_THROW(m.NewGauge("certme_a_total", "A."), std::invalid_argument);
  EXPECT_THROW(m.NewCounter("9bad", "."), std::invalid_argument);
  EXPECT_THROW(m.NewCounter("bad-name", "."), std::invalid_argument);
  EXPECT_THROW(m.NewCounter("ok_name", ".", {"le"}), std::invalid_argument);
  EXPECT_THROW(m.NewCounter("ok_name2", ".", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(m.NewHistogram("h", ".", {}, {1, 0.5}), std::invalid_argument);
  // The server's families exist from the start.
  EXPECT_THAT(m.Render(), HasSubstr("# TYPE certme_http_requests_total counter"));
}

TEST(MetricsTest, MethodLabelIsBounded) {
  EXPECT_EQ(Metrics::MethodLabel("GET"), "GET");
  EXPECT_EQ(Metrics::MethodLabel("PATCH"), "PATCH");
  EXPECT_EQ(Metrics::MethodLabel("get"), "OTHER");
  EXPECT_EQ(Metrics::MethodLabel("XYZZY"), "OTHER");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Metrics m;
  Counter& c = m.NewCounter("certme_c_total", "C.", {"k"});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Inc({"x"});
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.Value({"x"}), 40000);
}

}  // namespace
}  // namespace certme
