// Outbox: durable before send, backoff with jitter on a ManualClock, Retry-After, parking on a
// permanent rejection, per-incident order, restart resumes pending. No sleeping: the test pumps
// and runs the io_context until it is idle, and moves the clock.
#include "alerting/outbox.h"

#include <gtest/gtest.h>

#include <deque>
#include <future>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

struct Seen {
  int64_t id;
  std::string event;
  bool durable;  // the notification was in the store when the sink got it
};

class FakeSink final : public Sink {
 public:
  FakeSink(std::string id, store::Store& store) : id_(std::move(id)), store_(store) {}
  const std::string& id() const override { return id_; }
  boost::asio::awaitable<Delivery> deliver(const Notification& n) override {
    seen.push_back({n.id, n.event, store_.value("outbox", n.store_key()).has_value()});
    keys.push_back(n.idempotency_key);
    if (script.empty()) co_return Delivery::ok();
    Delivery d = script.front();
    script.pop_front();
    co_return d;
  }
  std::deque<Delivery> script;
  std::vector<Seen> seen;
  std::vector<std::string> keys;

 private:
  std::string id_;
  store::Store& store_;
};

struct OutboxTest : ::testing::Test {
  lookout::testing::TempDir dir;
  ManualClock clock;
  std::unique_ptr<store::SqliteStore> db = open();
  boost::asio::io_context io;
  int64_t next_id = 0;

  std::unique_ptr<store::SqliteStore> open() {
    store::StoreOptions o;
    o.path = dir.path() + "/o.db";
    return std::make_unique<store::SqliteStore>(o);
  }
  OutboxOptions options() {
    OutboxOptions o;
    o.base_backoff = 2s;
    o.max_backoff = 60s;
    o.jitter = 0.5;
    o.seed = 42;
    return o;
  }
  // Creates and durably commits notifications, as the alerting service does.
  std::vector<Notification> make(const std::string& sink, const std::string& incident,
                                 std::vector<std::string> events) {
    std::vector<Notification> out;
    store::Transaction tx;
    int seq = 0;
    for (auto& e : events) {
      Notification n;
      n.id = ++next_id;
      n.sink = sink;
      n.incident = incident;
      n.seq = ++seq;
      n.event = e;
      n.idempotency_key = "lookout:" + incident + ":" + std::to_string(n.seq);
      n.body = "{}";
      n.created = clock.now();
      tx.values.push_back({"outbox", n.store_key(), n.to_json().dump()});
      out.push_back(n);
    }
    EXPECT_TRUE(db->commit_and_wait(std::move(tx)).ok);
    return out;
  }
  void pump(Outbox& o) {
    o.pump(io.get_executor());
    io.restart();
    io.poll();
  }
  void settle() {  // every earlier commit is on disk once a later one is
    store::Transaction tx;
    tx.values.push_back({"test", "barrier", "1"});
    ASSERT_TRUE(db->commit_and_wait(std::move(tx)).ok);
  }
};

TEST_F(OutboxTest, DurableBeforeSendAndDeletedAfterDelivery) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.enqueue(make("hook", "a#1", {"incident.opened"}));
  pump(o);
  ASSERT_EQ(sink->seen.size(), 1u);
  EXPECT_TRUE(sink->seen[0].durable);
  settle();
  EXPECT_TRUE(db->values("outbox").empty());
  EXPECT_EQ(db->events("notification", "hook/00000000000000000001").size(), 1u);
  EXPECT_EQ(o.stats()["hook"].delivered, 1u);
  EXPECT_EQ(o.stats()["hook"].pending, 0u);
}

TEST_F(OutboxTest, RetriesWithExponentialBackoffAndJitterSameIdempotencyKey) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  for (int i = 0; i < 4; ++i) sink->script.push_back(Delivery::again("HTTP 500"));
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.enqueue(make("hook", "a#1", {"incident.opened"}));
  TimePoint last = clock.now();
  for (int attempt = 1; attempt <= 4; ++attempt) {
    pump(o);
    ASSERT_EQ(sink->seen.size(), static_cast<size_t>(attempt));
    auto due = o.next_due();
    ASSERT_TRUE(due);
    auto wait = *due - clock.now();
    auto full = std::min<std::chrono::milliseconds>(2s * (1 << (attempt - 1)), 60s);
    EXPECT_LE(wait, full) << attempt;
    EXPECT_GE(wait, full / 2) << attempt;
    // Not before it is due.
    clock.set(*due - 1ms);
    pump(o);
    EXPECT_EQ(sink->seen.size(), static_cast<size_t>(attempt));
    clock.set(*due);
    last = *due;
  }
  pump(o);
  EXPECT_EQ(sink->seen.size(), 5u);
  EXPECT_EQ(o.stats()["hook"].delivered, 1u);
  EXPECT_EQ(o.stats()["hook"].retried, 4u);
  for (const auto& k : sink->keys) EXPECT_EQ(k, "lookout:a#1:1");
}

TEST_F(OutboxTest, HonoursRetryAfter) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  sink->script.push_back(Delivery::again("HTTP 429", 120s));
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.enqueue(make("hook", "a#1", {"incident.opened"}));
  pump(o);
  ASSERT_TRUE(o.next_due());
  EXPECT_EQ(*o.next_due() - clock.now(), 120s);
}

TEST_F(OutboxTest, PermanentRejectionIsParkedAndTheNextOneGoes) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  sink->script.push_back(Delivery::reject("HTTP 400"));
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.enqueue(make("hook", "a#1", {"incident.opened", "incident.resolved"}));
  pump(o);
  settle();  // the parking is on disk: only then does the incident's next one go
  pump(o);
  ASSERT_EQ(sink->seen.size(), 2u);
  EXPECT_EQ(sink->seen[1].event, "incident.resolved");
  settle();
  auto failed = db->values("outbox_failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(failed.begin()->second)["reason"], "HTTP 400");
  EXPECT_EQ(o.stats()["hook"].failed, 1u);
  EXPECT_TRUE(db->values("outbox").empty());
}

TEST_F(OutboxTest, KeepsOrderPerIncidentButNotAcrossIncidents) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  sink->script.push_back(Delivery::again("timeout"));  // a#1 opened fails first
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  auto a = make("hook", "a#1", {"incident.opened", "incident.resolved"});
  auto b = make("hook", "b#1", {"incident.opened"});
  a.insert(a.end(), b.begin(), b.end());
  o.enqueue(a);
  pump(o);
  // a's opened was tried (and failed); b went; a's resolved waits behind a's opened.
  ASSERT_EQ(sink->seen.size(), 2u);
  EXPECT_EQ(sink->seen[0].id, 1);
  EXPECT_EQ(sink->seen[1].id, 3);
  pump(o);
  EXPECT_EQ(sink->seen.size(), 2u);
  clock.set(*o.next_due());
  pump(o);
  settle();
  pump(o);
  ASSERT_EQ(sink->seen.size(), 4u);
  EXPECT_EQ(sink->seen[2].event, "incident.opened");
  EXPECT_EQ(sink->seen[3].event, "incident.resolved");
}

// PagerDuty's dedup_key and Alertmanager's labels name the check, not the incident: the check's
// next incident (#2) must not be sent before the previous one's (#1) resolved, or that resolve
// would close the new page. Another check (b) is not held up.
TEST_F(OutboxTest, ACheckNextIncidentWaitsForThePreviousResolve) {
  auto sink = std::make_shared<FakeSink>("pd", *db);
  sink->script.push_back(Delivery::again("HTTP 503"));  // a#1 resolved fails first
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  auto all = make("pd", "acme/www/http#1", {"incident.resolved"});
  auto next = make("pd", "acme/www/http#2", {"incident.opened"});
  auto other = make("pd", "acme/shop/http#1", {"incident.opened"});
  all.insert(all.end(), next.begin(), next.end());
  all.insert(all.end(), other.begin(), other.end());
  o.enqueue(all);
  pump(o);
  ASSERT_EQ(sink->seen.size(), 2u);
  EXPECT_EQ(sink->seen[0].id, 1);  // #1 resolved (failed)
  EXPECT_EQ(sink->seen[1].id, 3);  // the other check went; #2 opened waits
  clock.set(*o.next_due());
  pump(o);
  settle();
  pump(o);
  ASSERT_EQ(sink->seen.size(), 4u);
  EXPECT_EQ(sink->seen[2].id, 1);
  EXPECT_EQ(sink->seen[3].id, 2);
}

TEST_F(OutboxTest, BoundedConcurrencyPerSink) {
  class Hanging final : public Sink {
   public:
    const std::string& id() const override { return id_; }
    boost::asio::awaitable<Delivery> deliver(const Notification&) override {
      ++started;
      boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, std::chrono::hours(1));
      co_await t.async_wait(boost::asio::use_awaitable);
      co_return Delivery::ok();
    }
    int started = 0;
    std::string id_ = "slow";
  };
  auto slow = std::make_shared<Hanging>();
  auto fast = std::make_shared<FakeSink>("hook", *db);
  Outbox o(*db, clock, options());
  o.add_sink(slow, 2);
  o.add_sink(fast, 2);
  auto n = make("slow", "a#1", {"incident.opened"});
  for (const char* inc : {"b#1", "c#1", "d#1"}) {
    auto more = make("slow", inc, {"incident.opened"});
    n.insert(n.end(), more.begin(), more.end());
  }
  auto f = make("hook", "a#1", {"incident.opened"});
  n.insert(n.end(), f.begin(), f.end());
  o.enqueue(n);
  pump(o);
  EXPECT_EQ(slow->started, 2);          // the cap
  EXPECT_EQ(fast->seen.size(), 1u);     // another sink is not held up
  EXPECT_EQ(o.in_flight(), 2u);
  io.stop();
}

TEST_F(OutboxTest, RestartResumesPending) {
  auto made = make("hook", "a#1", {"incident.opened", "incident.resolved"});
  (void)made;
  db.reset();
  db = open();
  auto sink = std::make_shared<FakeSink>("hook", *db);
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.load();
  EXPECT_EQ(o.stats()["hook"].pending, 2u);
  pump(o);
  settle();
  pump(o);
  ASSERT_EQ(sink->seen.size(), 2u);
  EXPECT_EQ(sink->seen[0].event, "incident.opened");
  EXPECT_EQ(sink->seen[1].event, "incident.resolved");
}

TEST_F(OutboxTest, ResolvedWaitsUntilItsOpenedIsDeliveredOnDisk) {
  // After a crash between the delivery of `opened` and the write that records it, `opened` is
  // sent again; `resolved` must not have gone out before that write, or the receiver would see
  // opened -> resolved -> opened. So the next notification of an incident starts only once the
  // previous one's outcome is on disk.
  auto sink = std::make_shared<FakeSink>("hook", *db);
  Outbox o(*db, clock, options());
  o.add_sink(sink, 4);
  o.enqueue(make("hook", "a#1", {"incident.opened", "incident.resolved"}));
  // Hold the store's writer: a commit whose completion waits for the gate (completions run in
  // order on the writer thread, so the record of the delivery completes only after it).
  std::promise<void> gate;
  auto gate_open = gate.get_future().share();
  store::Transaction hold;
  hold.values.push_back({"test", "hold", "1"});
  db->commit(std::move(hold), [gate_open](store::CommitResult) { gate_open.wait(); });
  pump(o);
  pump(o);
  ASSERT_EQ(sink->seen.size(), 1u) << "resolved went before opened's delivery was recorded";
  EXPECT_EQ(o.stats()["hook"].pending, 1u);  // the delivered one no longer counts
  gate.set_value();
  settle();
  pump(o);
  ASSERT_EQ(sink->seen.size(), 2u);
  EXPECT_EQ(sink->seen[1].event, "incident.resolved");
}

TEST_F(OutboxTest, BackoffAttemptsSurviveARestart) {
  auto sink = std::make_shared<FakeSink>("hook", *db);
  for (int i = 0; i < 3; ++i) sink->script.push_back(Delivery::again("HTTP 500"));
  {
    Outbox o(*db, clock, options());
    o.add_sink(sink, 4);
    o.enqueue(make("hook", "a#1", {"incident.opened"}));
    for (int i = 0; i < 3; ++i) {
      pump(o);
      clock.set(*o.next_due());
    }
    EXPECT_EQ(sink->seen.size(), 3u);
    settle();
    auto stored = nlohmann::json::parse(db->value("outbox", "hook/00000000000000000001").value());
    EXPECT_EQ(stored["attempts"], 3);
    EXPECT_EQ(stored["last_error"], "HTTP 500");
    EXPECT_TRUE(stored["retry_at"].is_string());
  }
  // "Crash": a new store and outbox on the same file.
  clock.set(clock.now() - 1s);  // not yet due: the restored retry time holds
  db.reset();
  db = open();
  auto again = std::make_shared<FakeSink>("hook", *db);
  again->script.push_back(Delivery::again("HTTP 500"));
  Outbox o(*db, clock, options());
  o.add_sink(again, 4);
  o.load();
  ASSERT_TRUE(o.next_due());
  EXPECT_EQ(*o.next_due() - clock.now(), 1s) << "the stored retry time was not restored";
  pump(o);
  EXPECT_TRUE(again->seen.empty()) << "sent before its retry time after a restart";
  clock.set(*o.next_due());
  pump(o);
  ASSERT_EQ(again->seen.size(), 1u);
  // The 4th attempt failed: its backoff is the 4th step (8 s..16 s), not the 1st (1 s..2 s).
  ASSERT_TRUE(o.next_due());
  auto wait = *o.next_due() - clock.now();
  EXPECT_GE(wait, 8s);
  EXPECT_LE(wait, 16s);
  settle();
  auto stored = nlohmann::json::parse(db->value("outbox", "hook/00000000000000000001").value());
  EXPECT_EQ(stored["attempts"], 4);
}

}  // namespace
