// Policy: default priorities, per-client overrides, paging in and out of hours, page at close.
#include "alerting/policy.h"

#include <gtest/gtest.h>

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;
using probes::Status;

namespace {

config::Client office_client() {
  config::Client c;
  c.id = "acme";
  c.hours.timezone = "Europe/London";
  for (int d = 0; d < 5; ++d) c.hours.week[d].push_back({9 * 60, 17 * 60 + 30});
  return c;
}

Incident incident(std::string type, Status s, nlohmann::json facts = nlohmann::json::object()) {
  Incident i;
  i.type = type;
  i.check = type;
  i.severity = s;
  i.facts = std::move(facts);
  i.tags = {"shop"};
  return i;
}

// 2026-03-04 is a Wednesday; London is on GMT then.
TimePoint at(int h, int m) {
  return TimePoint(date::sys_days(date::year(2026) / 3 / 4)) + std::chrono::hours(h) + std::chrono::minutes(m);
}

TEST(Policy, DefaultPriorities) {
  EXPECT_EQ(default_priority("http", Status::critical, {}), Priority::P1);
  EXPECT_EQ(default_priority("http", Status::warning, {}), Priority::P3);
  EXPECT_EQ(default_priority("tls", Status::critical, {{"findings", {"expired"}}}), Priority::P1);
  EXPECT_EQ(default_priority("tls", Status::critical, {{"findings", {"untrusted"}}}), Priority::P1);
  EXPECT_EQ(default_priority("tls", Status::critical, {{"findings", {"expiring"}}}), Priority::P2);
  EXPECT_EQ(default_priority("domain", Status::critical, {{"days_left", -2}}), Priority::P1);
  EXPECT_EQ(default_priority("domain", Status::critical, {{"days_left", 3}}), Priority::P2);
  EXPECT_EQ(default_priority("patch", Status::critical, {}), Priority::P2);
  EXPECT_EQ(default_priority("dnsbl", Status::critical, {}), Priority::P2);
  EXPECT_EQ(default_priority("disk", Status::critical, {}), Priority::P2);
  EXPECT_EQ(default_priority("disk", Status::warning, {}), Priority::P3);
}

TEST(Policy, ClientRulesFirstMatchWinsAndInheritFromDefaults) {
  config::AlertingSettings a;
  a.defaults.priorities = std::vector<config::PriorityRule>{{"P2", {"http"}, {}, {}, {"critical"}}};
  config::Client c = office_client();
  auto inherited = ClientPolicy::from_config(c, a);
  EXPECT_EQ(priority_for(inherited, incident("http", Status::critical)), Priority::P2);
  EXPECT_EQ(priority_for(inherited, incident("http", Status::warning)), Priority::P3);  // defaults

  c.alerting.priorities = std::vector<config::PriorityRule>{{"P1", {}, {}, {"shop"}, {"warning"}},
                                                            {"P3", {}, {}, {}, {}}};
  auto own = ClientPolicy::from_config(c, a);
  EXPECT_EQ(priority_for(own, incident("disk", Status::warning)), Priority::P1);   // tag + status
  EXPECT_EQ(priority_for(own, incident("http", Status::critical)), Priority::P3);  // catch-all
}

TEST(Policy, RoutingDefaults) {
  auto p = ClientPolicy::from_config(office_client(), {});
  EXPECT_EQ(p.tickets, std::vector<std::string>{"builtin"});
  EXPECT_TRUE(p.pages.empty());
  EXPECT_EQ(p.page_priorities, std::set<Priority>{Priority::P1});
}

TEST(Policy, PagesAtOnceOutsideHoursAtCloseInsideAndNeverForP2ByDefault) {
  auto p = ClientPolicy::from_config(office_client(), {});
  auto night = page_decision(p, Priority::P1, at(3, 0));
  EXPECT_TRUE(night.now);
  auto day = page_decision(p, Priority::P1, at(17, 25));
  EXPECT_FALSE(day.now);
  ASSERT_TRUE(day.at);
  EXPECT_EQ(*day.at, at(17, 30));  // the desk closes
  auto p2 = page_decision(p, Priority::P2, at(3, 0));
  EXPECT_FALSE(p2.now);
  EXPECT_FALSE(p2.at);
}

TEST(Policy, TwentyFourSevenPagesAlwaysAndPagePrioritiesAreConfigurable) {
  config::Client c = office_client();
  c.contract.coverage_24x7 = true;
  c.alerting.page_priorities = std::vector<std::string>{"P1", "P2"};
  auto p = ClientPolicy::from_config(c, {});
  EXPECT_TRUE(page_decision(p, Priority::P1, at(11, 0)).now);
  EXPECT_TRUE(page_decision(p, Priority::P2, at(11, 0)).now);
  EXPECT_FALSE(page_decision(p, Priority::P3, at(11, 0)).now);
}

}  // namespace
