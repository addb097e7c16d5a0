// ZendeskSink against a local Zendesk receiver that checks each request as documented: one ticket
// per incident with external_id, tags and priority, later events as comments, solved on recovery;
// the ticket id kept in the store across a restart; a crash between "created" and "recorded"
// finds the ticket by the external_id list instead of making a second one; 429 Retry-After,
// 401, 422 on a closed ticket, garbage, redirect.
#include "alerting/zendesk_sink.h"

#include <gtest/gtest.h>

#include "tests/support/sink_fixture.h"
#include "tests/support/zendesk_receiver.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;
using lookout::testing::Fault;

namespace {

struct ZendeskSinkTest : lookout::testing::SinkFixture {
  lookout::testing::ZendeskReceiver zd{"agent@example.net", "s3cret-token"};
  config::SinkConfig cfg() {
    config::SinkConfig c;
    c.id = "zd";
    c.type = "zendesk";
    c.url = zd.url("");
    c.email = "agent@example.net";
    c.credential = "s3cret-token";
    c.credential_source = "token_env";
    c.rate_limit = 100;
    c.timeout = 500ms;
    return c;
  }
  size_t requests(const std::string& method) {
    size_t k = 0;
    for (const auto& r : zd.http().requests()) k += r.method == method;
    return k;
  }
};

TEST_F(ZendeskSinkTest, OneTicketWithCommentsSolvedOnRecovery) {
  ZendeskSink sink(cfg(), resolver, tls, clock, *db);
  Incident i = incident();
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  i.priority = Priority::P2;
  i.summary = "HTTP 503";
  clock.advance(5min);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.updated", 2, "status changed; priority P1 -> P2")).kind, Delivery::delivered);
  clock.advance(5min);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.reminder", 3)).kind, Delivery::delivered);
  clock.advance(17min);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.resolved", 4, "3 good runs in a row")).kind, Delivery::delivered);
  EXPECT_TRUE(zd.errors().empty()) << zd.errors().front();

  auto tickets = zd.tickets();
  ASSERT_EQ(tickets.size(), 1u);
  const auto& t = tickets[0];
  EXPECT_EQ(t.external_id, "acme/shop/https#1");
  EXPECT_EQ(t.status, "solved");
  EXPECT_EQ(t.priority, "high");  // P2 after the update
  EXPECT_EQ(t.type, "incident");
  EXPECT_EQ(t.tags, (std::vector<std::string>{"lookout", "client_acme", "check_http"}));
  EXPECT_EQ(t.subject, "[P1] shop https: connect timeout");
  ASSERT_EQ(t.comments.size(), 4u);  // the description and three later events
  EXPECT_NE(t.comments[0].body.find("SLA response due: 2026-03-02T03:44:07.000Z"), std::string::npos) << t.comments[0].body;
  EXPECT_NE(t.comments[0].body.find("SLA resolution due: 2026-03-02T07:14:07.000Z"), std::string::npos);
  EXPECT_NE(t.comments[0].body.find("LK-1042"), std::string::npos);
  EXPECT_NE(t.comments[1].body.find("HTTP 503"), std::string::npos) << t.comments[1].body;
  EXPECT_NE(t.comments[3].body.find("Recovered at 2026-03-02T03:41:07.000Z"), std::string::npos) << t.comments[3].body;
  for (const auto& c : t.comments) EXPECT_FALSE(c.is_public);  // internal notes by default

  // The create carried the Idempotency-Key; every request the token auth.
  auto reqs = zd.http().requests();
  for (const auto& r : reqs) {
    if (r.method == "POST") {
      EXPECT_EQ(r.header("idempotency-key"), "lookout:acme/shop/https#1:1");
    }
  }
  EXPECT_EQ(requests("POST"), 1u);
}

TEST_F(ZendeskSinkTest, PublicCommentsWhenConfigured) {
  auto c = cfg();
  c.public_comments = true;
  ZendeskSink sink(c, resolver, tls, clock, *db);
  ASSERT_EQ(deliver(sink, note("zd", incident(), "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_TRUE(zd.tickets().at(0).comments.at(0).is_public);
}

TEST_F(ZendeskSinkTest, RestartGoesOnWithTheSameTicketFromTheStore) {
  Incident i = incident();
  {
    ZendeskSink sink(cfg(), resolver, tls, clock, *db);
    ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  }
  restart_store();
  const size_t gets_before = requests("GET");
  ZendeskSink sink(cfg(), resolver, tls, clock, *db);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.updated", 2)).kind, Delivery::delivered);
  EXPECT_EQ(requests("GET"), gets_before);  // the id came from the store, no lookup
  ASSERT_EQ(zd.tickets().size(), 1u);
  EXPECT_EQ(zd.tickets()[0].comments.size(), 2u);
}

TEST_F(ZendeskSinkTest, CrashBetweenCreatedAndRecordedMakesNoSecondTicket) {
  Incident i = incident();
  // The ticket exists at Zendesk (created just before a kill -9), but its id never reached the store.
  lookout::testing::ZendeskReceiver::Ticket made;
  made.external_id = "acme/shop/https#1";
  made.status = "open";
  made.comments.push_back({"first", false});
  const int64_t id = zd.add(made);
  ZendeskSink sink(cfg(), resolver, tls, clock, *db);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.resolved", 2)).kind, Delivery::delivered);
  auto tickets = zd.tickets();
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(tickets[0].id, id);
  EXPECT_EQ(tickets[0].status, "solved");
  EXPECT_EQ(requests("POST"), 0u);
  bool listed = false;
  for (const auto& r : zd.http().requests())
    if (r.method == "GET") {
      EXPECT_EQ(r.target, "/api/v2/tickets.json?external_id=acme%2Fshop%2Fhttps%231");
      listed = true;
    }
  EXPECT_TRUE(listed);
  EXPECT_TRUE(zd.errors().empty()) << zd.errors().front();  // never the search endpoint
}

TEST_F(ZendeskSinkTest, RetriedCreateWithTheSameKeyIsOneTicket) {
  // A create whose answer was lost: the retry lists first, finds it and creates nothing.
  ZendeskSink sink(cfg(), resolver, tls, clock, *db);
  Incident i = incident();
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  store::Transaction forget;  // as if the record had not been committed
  forget.values.push_back(store::Value{"sink_ticket", "zd/" + i.id, std::nullopt});
  ASSERT_TRUE(db->commit_and_wait(std::move(forget)).ok);
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  EXPECT_EQ(zd.tickets().size(), 1u);
}

TEST_F(ZendeskSinkTest, FaultsGiveAClearReason) {
  ZendeskSink sink(cfg(), resolver, tls, clock, *db);
  Incident i = incident();

  zd.set_fault(Fault::throttle429, 17);
  Delivery d = deliver(sink, note("zd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  ASSERT_TRUE(d.retry_after);
  EXPECT_EQ(*d.retry_after, 17s);

  zd.set_fault(Fault::garbage);
  d = deliver(sink, note("zd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry);
  EXPECT_NE(d.reason.find("not the documented JSON"), std::string::npos) << d.reason;

  zd.set_fault(Fault::redirect);
  d = deliver(sink, note("zd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("not followed"), std::string::npos) << d.reason;

  zd.set_fault(Fault::none);
  auto bad = cfg();
  bad.credential = "wrong";
  ZendeskSink wrong(bad, resolver, tls, clock, *db);
  d = deliver(wrong, note("zd", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("credentials refused (check token_env)"), std::string::npos) << d.reason;
  EXPECT_TRUE(zd.tickets().empty());

  // A closed ticket can't be updated: 422, parked with Zendesk's words.
  ASSERT_EQ(deliver(sink, note("zd", i, "incident.opened", 1)).kind, Delivery::delivered);
  zd.close_ticket(zd.tickets().at(0).id);
  d = deliver(sink, note("zd", i, "incident.updated", 2));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("closed prevents ticket update"), std::string::npos) << d.reason;
}

}  // namespace
