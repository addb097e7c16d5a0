// FreshdeskSink against a local Freshdesk v2 receiver that checks each request as documented:
// one ticket per incident (priority 4/3/2, status 2 -> 4), notes for updates, the id kept in the
// store, found again by its unique tag before a second create; 401, 400 validation, 429.
#include "alerting/freshdesk_sink.h"

#include <gtest/gtest.h>

#include "tests/support/freshdesk_receiver.h"
#include "tests/support/sink_fixture.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;
using lookout::testing::Fault;

namespace {

struct FreshdeskSinkTest : lookout::testing::SinkFixture {
  lookout::testing::FreshdeskReceiver fd{"fd-api-key"};
  config::SinkConfig cfg() {
    config::SinkConfig c;
    c.id = "fd";
    c.type = "freshdesk";
    c.url = fd.url("");
    c.email = "lookout@example.net";
    c.credential = "fd-api-key";
    c.credential_source = "api_key_file";
    c.rate_limit = 80;
    c.timeout = 500ms;
    return c;
  }
};

TEST_F(FreshdeskSinkTest, OneTicketWithNotesResolvedOnRecovery) {
  FreshdeskSink sink(cfg(), resolver, tls, clock, *db);
  Incident i = incident();
  ASSERT_EQ(deliver(sink, note("fd", i, "incident.opened", 1)).kind, Delivery::delivered);
  i.summary = "HTTP 503 <maintenance>";
  ASSERT_EQ(deliver(sink, note("fd", i, "incident.updated", 2)).kind, Delivery::delivered);
  ASSERT_EQ(deliver(sink, note("fd", i, "incident.reminder", 3)).kind, Delivery::delivered);
  clock.advance(27min);
  ASSERT_EQ(deliver(sink, note("fd", i, "incident.resolved", 4)).kind, Delivery::delivered);
  EXPECT_TRUE(fd.errors().empty()) << fd.errors().front();
  auto tickets = fd.tickets();
  ASSERT_EQ(tickets.size(), 1u);
  const auto& t = tickets[0];
  EXPECT_EQ(t.priority, 4);
  EXPECT_EQ(t.status, 4);
  EXPECT_EQ(t.source, 2);
  EXPECT_EQ(t.email, "lookout@example.net");
  ASSERT_EQ(t.tags.size(), 4u);
  EXPECT_EQ(t.tags[0], "lookout");
  EXPECT_EQ(t.tags[1], "client_acme");
  EXPECT_EQ(t.tags[2], "check_http");
  EXPECT_EQ(t.tags[3], freshdesk_tag("acme/shop/https#1"));
  EXPECT_NE(t.description.find("<p>SLA response due: 2026-03-02T03:44:07.000Z</p>"), std::string::npos) << t.description;
  ASSERT_EQ(t.notes.size(), 3u);
  EXPECT_NE(t.notes[0].body.find("HTTP 503 &lt;maintenance&gt;"), std::string::npos) << t.notes[0].body;
  EXPECT_NE(t.notes[2].body.find("Recovered at 2026-03-02T03:41:07.000Z"), std::string::npos) << t.notes[2].body;
  for (const auto& n : t.notes) EXPECT_TRUE(n.is_private);
  for (const auto& r : fd.http().requests()) EXPECT_EQ(r.header("authorization"), "Basic ZmQtYXBpLWtleTpY");  // fd-api-key:X
}

TEST_F(FreshdeskSinkTest, PriorityMapping) {
  EXPECT_EQ(freshdesk_priority("P1"), 4);
  EXPECT_EQ(freshdesk_priority("P2"), 3);
  EXPECT_EQ(freshdesk_priority("P3"), 2);
  EXPECT_NE(freshdesk_tag("a/b-c/d#1"), freshdesk_tag("a/b_c/d#1"));
}

TEST_F(FreshdeskSinkTest, RestartUsesTheStoredIdAndACrashFindsTheTag) {
  Incident i = incident();
  {
    FreshdeskSink sink(cfg(), resolver, tls, clock, *db);
    ASSERT_EQ(deliver(sink, note("fd", i, "incident.opened", 1)).kind, Delivery::delivered);
  }
  restart_store();
  FreshdeskSink sink(cfg(), resolver, tls, clock, *db);
  const size_t before = fd.count();
  ASSERT_EQ(deliver(sink, note("fd", i, "incident.updated", 2)).kind, Delivery::delivered);
  EXPECT_EQ(fd.count(), before + 1);  // just the note: no search
  EXPECT_EQ(fd.tickets().at(0).notes.size(), 1u);

  // Incident 2: its ticket was made, but the id never reached the store (kill -9).
  Incident j = incident("acme", "shop", "https", 2);
  lookout::testing::FreshdeskReceiver::Ticket made;
  made.subject = "made before the crash";
  made.tags = {"lookout", freshdesk_tag(j.id)};
  const int64_t id = fd.add(made);
  ASSERT_EQ(deliver(sink, note("fd", j, "incident.opened", 1)).kind, Delivery::delivered);
  ASSERT_EQ(deliver(sink, note("fd", j, "incident.resolved", 2)).kind, Delivery::delivered);
  auto tickets = fd.tickets();
  ASSERT_EQ(tickets.size(), 2u);
  EXPECT_EQ(tickets[1].id, id);
  EXPECT_EQ(tickets[1].status, 4);
  EXPECT_TRUE(fd.errors().empty()) << fd.errors().front();
}

// The create's answer is lost (Freshdesk made the ticket, then the connection died) and the
// search index has not caught up: the retry must not make a second ticket. It waits until the
// index lag has passed since the lost create, searches again and finds the ticket.
TEST_F(FreshdeskSinkTest, ALostCreateAnswerWaitsOutTheSearchLagInsteadOfADuplicate) {
  Incident i = incident();
  FreshdeskSink sink(cfg(), resolver, tls, clock, *db);
  fd.freeze_search_index();
  fd.set_fault(Fault::posts_lost, 30, 1500ms);  // answered after the sink's 500 ms timeout
  Delivery d = deliver(sink, note("fd", i, "incident.opened", 1));
  ASSERT_EQ(d.kind, Delivery::retry) << d.reason;
  ASSERT_EQ(fd.tickets().size(), 1u);  // made, but the sink never heard
  fd.set_fault(Fault::none);

  clock.advance(1min);
  restart_store();  // and the agent was restarted meanwhile: the mark is durable
  auto patient = cfg();
  patient.timeout = 5s;  // outwaits the receiver still sleeping over the lost answer
  FreshdeskSink again(patient, resolver, tls, clock, *db);
  d = deliver(again, note("fd", i, "incident.opened", 1));
  ASSERT_EQ(d.kind, Delivery::retry) << d.reason;
  EXPECT_NE(d.reason.find("may have made the ticket"), std::string::npos) << d.reason;
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, 4min);  // the default search_lag (5m) after the lost create
  EXPECT_EQ(fd.tickets().size(), 1u);

  clock.advance(4min);
  fd.catch_up_search_index();
  ASSERT_EQ(deliver(again, note("fd", i, "incident.opened", 1)).kind, Delivery::delivered);
  ASSERT_EQ(deliver(again, note("fd", i, "incident.resolved", 2)).kind, Delivery::delivered);
  auto tickets = fd.tickets();
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(tickets[0].status, 4);
  EXPECT_TRUE(fd.errors().empty()) << fd.errors().front();

  // Past the lag with still nothing found, the sink takes it that the lost create made nothing
  // and creates: an index lagging more than `search_lag` gives a second ticket (the limit).
  Incident j = incident("acme", "shop", "https", 2);
  fd.freeze_search_index();
  fd.set_fault(Fault::posts_lost, 30, 1500ms);
  FreshdeskSink hasty(cfg(), resolver, tls, clock, *db);
  ASSERT_EQ(deliver(hasty, note("fd", j, "incident.opened", 1)).kind, Delivery::retry);
  fd.set_fault(Fault::none);
  clock.advance(cfg().search_lag - 1s);
  ASSERT_EQ(deliver(again, note("fd", j, "incident.opened", 1)).kind, Delivery::retry);
  EXPECT_EQ(fd.tickets().size(), 2u);
  clock.advance(1s);
  ASSERT_EQ(deliver(again, note("fd", j, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(fd.tickets().size(), 3u);
}

TEST_F(FreshdeskSinkTest, FaultsGiveAClearReason) {
  Incident i = incident();
  auto bad = cfg();
  bad.credential = "wrong";
  FreshdeskSink wrong(bad, resolver, tls, clock, *db);
  Delivery d = deliver(wrong, note("fd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("credentials refused (check api_key_file)"), std::string::npos) << d.reason;

  auto noemail = cfg();
  noemail.email = "";
  FreshdeskSink invalid(noemail, resolver, tls, clock, *db);
  d = deliver(invalid, note("fd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("Validation failed"), std::string::npos) << d.reason;

  FreshdeskSink sink(cfg(), resolver, tls, clock, *db);
  fd.set_fault(Fault::throttle429, 60);
  d = deliver(sink, note("fd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, 60s);
  fd.set_fault(Fault::garbage);
  d = deliver(sink, note("fd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_NE(d.reason.find("not the documented JSON"), std::string::npos) << d.reason;
  fd.set_fault(Fault::none);
  EXPECT_EQ(deliver(sink, note("fd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(fd.tickets().size(), 1u);
}

}  // namespace
