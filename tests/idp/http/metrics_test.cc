#include "idp/http/metrics.h"

#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace certme {
namespace {

using ::testing::HasSubstr;

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
