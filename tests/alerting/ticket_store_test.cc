// TicketStore: reference counter, SLA due times in business time, re-prioritise, solve, reopen
// within the window, and durability through the store.
#include "alerting/ticket_store.h"

#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

TimePoint at(int day, int h, int m) {  // March 2026; the 4th is a Wednesday, London on GMT
  return TimePoint(date::sys_days(date::year(2026) / 3 / day)) + std::chrono::hours(h) + std::chrono::minutes(m);
}

ClientPolicy client(bool always = false) {
  config::Client c;
  c.id = "acme";
  c.hours.timezone = "Europe/London";
  for (int d = 0; d < 5; ++d) c.hours.week[d].push_back({9 * 60, 17 * 60});
  c.contract.coverage_24x7 = always;
  c.contract.sla["P1"] = {1h, 4h};
  c.contract.sla["P2"] = {4h, 16h};
  return ClientPolicy::from_config(c, {});
}

Incident incident(int n, Priority p) {
  Incident i;
  i.number = n;
  i.key = "acme/www/http";
  i.id = i.key + "#" + std::to_string(n);
  i.client = "acme";
  i.site = "www";
  i.check = "http";
  i.type = "http";
  i.priority = p;
  i.summary = "HTTP 503 from 127.0.0.1";
  i.facts = {{"status_code", 503}};
  return i;
}

struct TicketTest : ::testing::Test {
  lookout::testing::TempDir dir;
  std::unique_ptr<store::SqliteStore> db = open();
  std::unique_ptr<store::SqliteStore> open() {
    store::StoreOptions o;
    o.path = dir.path() + "/t.db";
    return std::make_unique<store::SqliteStore>(o);
  }
  void commit(store::Transaction& tx) {
    ASSERT_TRUE(db->commit_and_wait(std::move(tx)).ok);
    tx = {};
  }
};

TEST_F(TicketTest, DueTimesCountBusinessHours) {
  // Opened 16:30 Friday 6 March: 30 min left that day; P1 response (1h) due Monday 09:30.
  auto d = due_times(client(), Priority::P1, at(6, 16, 30));
  ASSERT_TRUE(d.response && d.resolution);
  EXPECT_EQ(*d.response, at(9, 9, 30));
  EXPECT_EQ(*d.resolution, at(9, 12, 30));
  auto c24 = due_times(client(true), Priority::P1, at(6, 16, 30));
  EXPECT_EQ(*c24.response, at(6, 17, 30));
  EXPECT_FALSE(due_times(client(), Priority::P3, at(6, 16, 30)).response);  // no P3 target
}

TEST_F(TicketTest, CounterPriorityChangeSolveAndReopenWithin24h) {
  TicketStore tickets(*db);
  tickets.load();
  store::Transaction tx;
  Incident i1 = incident(1, Priority::P2);
  const Ticket& t = tickets.open(i1, client(), at(4, 10, 0), 24h, tx);
  EXPECT_EQ(t.ref, "LK-1");
  EXPECT_EQ(t.status, TicketStatus::new_);
  EXPECT_EQ(*t.response_due, at(4, 14, 0));
  EXPECT_NE(t.body.find("HTTP 503"), std::string::npos);
  EXPECT_NE(t.body.find("status_code: 503"), std::string::npos);
  commit(tx);
  i1.ticket = "LK-1";
  // Severity went up: P1, re-targeted from the start (10:00 + 1h).
  i1.priority = Priority::P1;
  const Ticket* u = tickets.update(i1, client(), at(4, 10, 20), "severity", tx);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->priority, Priority::P1);
  EXPECT_EQ(*u->response_due, at(4, 11, 0));
  EXPECT_EQ(u->status, TicketStatus::new_);  // a system update is no acknowledgement
  tickets.solve(i1, at(4, 11, 0), "recovered", tx);
  commit(tx);
  EXPECT_EQ(tickets.get("LK-1")->status, TicketStatus::solved);

  // A re-failure 5 h later reopens LK-1; another check gets LK-2.
  Incident i2 = incident(2, Priority::P1);
  EXPECT_EQ(tickets.open(i2, client(), at(4, 16, 0), 24h, tx).ref, "LK-1");
  EXPECT_EQ(tickets.get("LK-1")->status, TicketStatus::open);
  Incident other = incident(1, Priority::P2);
  other.key = "acme/shop/http";
  other.id = other.key + "#1";
  EXPECT_EQ(tickets.open(other, client(), at(4, 16, 0), 24h, tx).ref, "LK-2");
  commit(tx);
  i2.ticket = "LK-1";
  ASSERT_TRUE(tickets.solve(i2, at(4, 17, 0), "recovered", tx));
  commit(tx);
  // After more than 24 h: a new ticket.
  Incident i3 = incident(3, Priority::P1);
  EXPECT_EQ(tickets.open(i3, client(), at(5, 17, 1), 24h, tx).ref, "LK-3");
  commit(tx);

  // Durable: a new store and ticket store see the same tickets and continue the counter.
  db.reset();
  db = open();
  TicketStore again(*db);
  again.load();
  ASSERT_TRUE(again.get("LK-1"));
  EXPECT_EQ(again.get("LK-1")->incidents, (std::vector<std::string>{"acme/www/http#1", "acme/www/http#2"}));
  auto timeline = again.timeline("LK-1");
  ASSERT_EQ(timeline.size(), 5u);
  EXPECT_EQ(timeline[0].kind, "created");
  EXPECT_EQ(timeline[1].kind, "updated");
  EXPECT_EQ(timeline[2].kind, "solved");
  EXPECT_EQ(timeline[3].kind, "reopened");
  EXPECT_EQ(timeline[4].kind, "solved");
  Incident i4 = incident(1, Priority::P2);
  i4.key = "acme/blog/http";
  EXPECT_EQ(again.open(i4, client(), at(6, 10, 0), 24h, tx).ref, "LK-4");
}

}  // namespace
