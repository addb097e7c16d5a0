// Sink faults (issue 10 "Proof"): the real WebhookSink and Outbox against real local receivers
// that misbehave -- a 500, a 429 with Retry-After in seconds and as an HTTP-date, a hang (the
// estate's /hang: the sink's timeout ends it), garbage instead of HTTP (the estate's /garbage), a
// redirect (never followed for a POST), a permanent 400. Each notification is delivered later or
// parked with a reason a person can act on, and the reason and attempt count are in the stored
// notification. While one sink hangs, another keeps flowing (in process), and in the daemon the
// probes keep running on schedule while three sinks misbehave and a fourth still gets its
// notifications at once.
//
// The backoff runs on a ManualClock (the test moves it); only the network is real.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "alerting/outbox.h"
#include "alerting/webhook_sink.h"
#include "config/time_text.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/sqlite_store.h"
#include "tests/estate/estate.h"
#include "tests/support/free_port.h"
#include "tests/support/http_get.h"
#include "tests/support/http_receiver.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace std::chrono_literals;
using namespace lookout;
using lookout::testing::Answer;
using lookout::testing::HttpReceiver;
using lookout::testing::ReceivedRequest;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

class SinkFaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    estate_ = new estate::Estate(estate::EstateOptions{});
    estate_->start();
  }
  static void TearDownTestSuite() {
    delete estate_;
    estate_ = nullptr;
  }

  void SetUp() override {
    clock_.set(config::parse_rfc3339("2026-12-04T08:00:00Z").value());
    store::StoreOptions o;
    o.path = dir_.file("state.db");
    db_ = std::make_unique<store::SqliteStore>(o);
    resolver_ = std::make_unique<net::Resolver>(io_.get_executor(), net::ResolverOptions{});
    alerting::OutboxOptions opt;
    opt.base_backoff = 2s;
    opt.max_backoff = 60s;
    opt.max_age = 10min;
    opt.seed = 7;
    outbox_ = std::make_unique<alerting::Outbox>(*db_, clock_, opt);
  }
  void TearDown() override {
    // Let attempts still in flight end by their sink's timeout, so no coroutine outlives the
    // resolver and the sinks it uses.
    const auto deadline = Steady::now() + 10s;
    while (outbox_->in_flight() > 0 && Steady::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
    }
    outbox_->stop();
    io_.stop();
  }

  void add_sink(const std::string& id, const std::string& url, std::chrono::milliseconds timeout = 2s,
                int max_in_flight = 4) {
    config::SinkConfig c;
    c.id = id;
    c.type = "webhook";
    c.url = url;
    c.timeout = timeout;
    c.max_in_flight = max_in_flight;
    outbox_->add_sink(std::make_shared<alerting::WebhookSink>(c, *resolver_, tls_, clock_), max_in_flight);
  }

  // Creates and durably commits one notification per incident, as the alerting service does.
  void notify(const std::string& sink, int count = 1, const std::string& event = "incident.opened") {
    std::vector<alerting::Notification> made;
    store::Transaction tx;
    for (int k = 0; k < count; ++k) {
      alerting::Notification n;
      n.id = ++next_id_;
      n.sink = sink;
      // One check per notification: the outbox keeps order per check (incident key), so
      // notifications of different checks go side by side.
      n.incident = "acme/s" + std::to_string(n.id) + "/http#1";
      n.seq = 1;
      n.event = event;
      n.idempotency_key = "lookout:" + n.incident + ":1";
      n.body = json{{"version", 1}, {"event", event}, {"idempotency_key", n.idempotency_key}}.dump();
      n.created = clock_.now();
      tx.values.push_back({"outbox", n.store_key(), n.to_json().dump()});
      made.push_back(n);
    }
    ASSERT_TRUE(db_->commit_and_wait(std::move(tx)).ok);
    outbox_->enqueue(made);
  }

  // Starts what is due and runs the deliveries (real network) until none is in flight.
  void drive(std::chrono::milliseconds limit = 10s) {
    outbox_->pump(io_.get_executor());
    const auto deadline = Steady::now() + limit;
    while (outbox_->in_flight() > 0 && Steady::now() < deadline) {
      io_.restart();
      io_.run_for(20ms);
    }
    settle();
  }
  void settle() {  // every earlier store write is on disk (and its completion ran) after this
    store::Transaction tx;
    tx.values.push_back({"test", "barrier", std::to_string(++barrier_)});
    ASSERT_TRUE(db_->commit_and_wait(std::move(tx)).ok);
  }
  json stored(const std::string& scope, int64_t id, const std::string& sink) {
    alerting::Notification n;
    n.id = id;
    n.sink = sink;
    auto v = db_->value(scope, n.store_key());
    return v ? json::parse(*v) : json();
  }
  std::chrono::milliseconds due_in() {
    auto d = outbox_->next_due();
    return d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d - clock_.now()) : -1ms;
  }

  static inline estate::Estate* estate_ = nullptr;
  lookout::testing::TempDir dir_{"lookout-sink-faults"};
  ManualClock clock_;
  std::unique_ptr<store::SqliteStore> db_;
  boost::asio::io_context io_;
  std::unique_ptr<net::Resolver> resolver_;
  net::TlsContexts tls_;
  std::unique_ptr<alerting::Outbox> outbox_;
  int64_t next_id_ = 0;
  int barrier_ = 0;
};

TEST_F(SinkFaults, Status500IsRetriedWithTheSameKeyAndBodyThenDelivered) {
  HttpReceiver hook;
  hook.set_responder([](const ReceivedRequest&, size_t i) { return i == 0 ? Answer{500, "oops"} : Answer{200}; });
  add_sink("hook", hook.url("/hook"));
  notify("hook");
  drive();
  ASSERT_EQ(hook.count(), 1u);
  EXPECT_EQ(outbox_->stats()["hook"].retried, 1u);
  json s = stored("outbox", 1, "hook");
  EXPECT_EQ(s["attempts"], 1);
  EXPECT_EQ(s["last_error"], "HTTP 500");
  EXPECT_GE(due_in(), 1s);  // 2 s x [0.5, 1]
  EXPECT_LE(due_in(), 2s);
  drive();
  EXPECT_EQ(hook.count(), 1u) << "retried before its backoff";
  clock_.set(*outbox_->next_due());
  drive();
  auto rs = hook.requests();
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].header("idempotency-key"), rs[1].header("idempotency-key"));
  EXPECT_EQ(rs[0].body, rs[1].body);
  EXPECT_EQ(outbox_->stats()["hook"].delivered, 1u);
  EXPECT_TRUE(db_->values("outbox").empty());
}

TEST_F(SinkFaults, Status429RetryAfterSecondsAndHttpDate) {
  HttpReceiver hook;
  const std::string date = "Fri, 04 Dec 2026 08:01:30 GMT";  // the ManualClock's now + 90 s
  hook.set_responder([&](const ReceivedRequest&, size_t i) {
    if (i == 0) return Answer{429, "slow down", "text/plain", {{"Retry-After", "7"}}};
    if (i == 1) return Answer{429, "slow down", "text/plain", {{"Retry-After", date}}};
    return Answer{200};
  });
  add_sink("hook", hook.url("/hook"));
  notify("hook");
  drive();
  EXPECT_EQ(due_in(), 7s);
  EXPECT_EQ(stored("outbox", 1, "hook")["last_error"], "HTTP 429 (Retry-After 7)");
  clock_.advance(7s);
  drive();
  ASSERT_EQ(hook.count(), 2u);
  // 08:00:07 now; the date says 08:01:30.
  EXPECT_EQ(due_in(), 83s);
  EXPECT_EQ(stored("outbox", 1, "hook")["last_error"], "HTTP 429 (Retry-After " + date + ")");
  clock_.advance(82s);
  drive();
  EXPECT_EQ(hook.count(), 2u) << "went before the Retry-After date";
  clock_.advance(1s);
  drive();
  EXPECT_EQ(hook.count(), 3u);
  EXPECT_EQ(outbox_->stats()["hook"].delivered, 1u);
}

TEST_F(SinkFaults, HangIsEndedByTheSinkTimeoutAndParkedAfterMaxAge) {
  add_sink("hang", estate_->endpoint("http") + "/hang", 300ms);
  notify("hang");
  const auto t0 = Steady::now();
  drive();
  const auto took = Steady::now() - t0;
  EXPECT_GE(took, 280ms);
  EXPECT_LT(took, 3s) << "the sink's 300 ms timeout did not end the attempt";
  EXPECT_EQ(outbox_->in_flight(), 0u);
  EXPECT_EQ(outbox_->stats()["hang"].retried, 1u);
  json s = stored("outbox", 1, "hang");
  EXPECT_EQ(s.value("last_error", "").rfind("timeout", 0), 0u) << s.dump();
  // Still failing after max_age (10 min): parked, with the reason.
  clock_.advance(11min);
  drive();
  EXPECT_EQ(outbox_->stats()["hang"].failed, 1u);
  EXPECT_EQ(outbox_->stats()["hang"].pending, 0u);
  json parked = stored("outbox_failed", 1, "hang");
  EXPECT_EQ(parked.value("reason", "").rfind("gave up after 2 attempts: timeout", 0), 0u) << parked.dump();
  EXPECT_TRUE(db_->values("outbox").empty());
}

TEST_F(SinkFaults, GarbageIsAProtocolErrorAndRetried) {
  add_sink("garbage", estate_->endpoint("http") + "/garbage");
  notify("garbage");
  drive();
  EXPECT_EQ(outbox_->stats()["garbage"].retried, 1u);
  EXPECT_EQ(outbox_->stats()["garbage"].pending, 1u);
  json s = stored("outbox", 1, "garbage");
  EXPECT_EQ(s.value("last_error", "").rfind("protocol", 0), 0u) << s.dump();
}

TEST_F(SinkFaults, RedirectIsNotFollowedForAPost) {
  HttpReceiver hook, elsewhere;
  int status = 301;
  hook.set_responder([&](const ReceivedRequest&, size_t) {
    return Answer{status, "moved", "text/plain", {{"Location", elsewhere.url("/new-hook")}}};
  });
  add_sink("hook", hook.url("/hook"));
  notify("hook");
  for (int s : {301, 302, 303, 307, 308}) {
    SCOPED_TRACE(s);
    status = s;
    clock_.advance(61s);  // past any backoff (max 60 s), well within max_age
    drive();
    EXPECT_EQ(stored("outbox", 1, "hook").value("last_error", ""),
              "HTTP " + std::to_string(s) + ": redirects are not followed; check the sink URL");
  }
  EXPECT_EQ(hook.count(), 5u);
  EXPECT_EQ(elsewhere.count(), 0u) << "a redirect was followed";
  EXPECT_EQ(outbox_->stats()["hook"].pending, 1u);  // kept until the URL is fixed (or max_age)
}

TEST_F(SinkFaults, PermanentRejectionIsParkedWithItsStatus) {
  HttpReceiver hook;
  hook.answer(400, "{\"error\":\"bad payload\"}");
  add_sink("hook", hook.url("/hook"));
  notify("hook");
  drive();
  EXPECT_EQ(hook.count(), 1u);
  EXPECT_EQ(outbox_->stats()["hook"].failed, 1u);
  EXPECT_EQ(stored("outbox_failed", 1, "hook")["reason"], "HTTP 400");
  clock_.advance(1h);
  drive();
  EXPECT_EQ(hook.count(), 1u) << "a parked notification was sent again";
}

TEST_F(SinkFaults, AHangingAndAGarbageSinkDoNotHoldUpAHealthyOne) {
  HttpReceiver hook;
  add_sink("hang", estate_->endpoint("http") + "/hang", 3s, 2);
  add_sink("garbage", estate_->endpoint("http") + "/garbage", 3s, 2);
  add_sink("hook", hook.url("/hook"), 5s, 4);
  notify("hang", 10);
  notify("garbage", 10);
  notify("hook", 30);
  const auto t0 = Steady::now();
  // Keep pumping (as the production loop does after each completion) until the healthy sink
  // has everything; the hanging sink's attempts last 3 s.
  while (hook.count() < 30 && Steady::now() - t0 < 2500ms) {
    outbox_->pump(io_.get_executor());
    io_.restart();
    io_.run_for(20ms);
  }
  const auto took = Steady::now() - t0;
  EXPECT_EQ(hook.count(), 30u);
  EXPECT_LT(took, 2500ms);
  EXPECT_EQ(outbox_->stats()["hang"].retried, 0u);   // still hanging...
  EXPECT_LE(outbox_->in_flight(), 2u + 2u);           // ...within its own two slots
  EXPECT_GE(outbox_->stats()["garbage"].retried, 10u);
}

// A long outage (issue 11): one receiver answers 503 for 10 minutes of injected time while
// incidents open, update and resolve. The healthy sink gets each notification the moment it is
// made; the down one is retried with backoff (not hammered), nothing is parked, and once it is
// back everything reaches it within one maximal backoff, each incident's notifications in order.
TEST_F(SinkFaults, ALongOutageDeliversEverythingAfterwardsInOrderWhileOtherSinksFlow) {
  alerting::OutboxOptions opt;  // the production defaults: 2 s doubling to 10 min, 24 h to give up
  opt.seed = 11;
  outbox_ = std::make_unique<alerting::Outbox>(*db_, clock_, opt);
  const auto outage_start = clock_.now();
  const auto outage_end = outage_start + 10min;
  HttpReceiver down, up;
  std::map<std::string, alerting::TimePoint> up_seen_at;  // key -> injected time it arrived
  down.set_responder([&](const ReceivedRequest&, size_t) {
    return clock_.now() < outage_end ? Answer{503, "maintenance", "text/plain"} : Answer{200};
  });
  up.set_responder([&](const ReceivedRequest& r, size_t) {
    up_seen_at.emplace(r.header("idempotency-key"), clock_.now());
    return Answer{200};
  });
  add_sink("down", down.url("/hook"), 2s, 4);
  add_sink("up", up.url("/hook"), 2s, 4);

  // Six incidents, each opened, updated and resolved a minute apart, made during the outage.
  const std::vector<std::string> events = {"incident.opened", "incident.updated", "incident.resolved"};
  std::map<std::string, alerting::TimePoint> made_at;
  auto make = [&](int incident, int seq) {
    store::Transaction tx;
    std::vector<alerting::Notification> made;
    for (const char* sink : {"down", "up"}) {
      alerting::Notification n;
      n.id = ++next_id_;
      n.sink = sink;
      n.incident = "acme/s" + std::to_string(incident) + "/http#1";
      n.seq = seq;
      n.event = events[static_cast<size_t>(seq - 1)];
      n.idempotency_key = "lookout:" + n.incident + ":" + std::to_string(seq);
      n.body = json{{"version", 1}, {"event", n.event}, {"idempotency_key", n.idempotency_key}}.dump();
      n.created = clock_.now();
      tx.values.push_back({"outbox", n.store_key(), n.to_json().dump()});
      made.push_back(n);
      made_at[n.idempotency_key] = clock_.now();
    }
    ASSERT_TRUE(db_->commit_and_wait(std::move(tx)).ok);
    outbox_->enqueue(made);
  };
  std::vector<std::pair<alerting::TimePoint, std::pair<int, int>>> plan;  // when, (incident, seq)
  for (int inc = 0; inc < 6; ++inc)
    for (int seq = 1; seq <= 3; ++seq) plan.push_back({outage_start + inc * 70s + (seq - 1) * 1min, {inc, seq}});
  std::sort(plan.begin(), plan.end());

  // The agent's loop on injected time: make what is due, deliver what is due, move the clock
  // to the next thing that happens (a planned notification or a retry).
  size_t next = 0;
  const auto give_up = outage_end + 11min;
  while (clock_.now() < give_up) {
    while (next < plan.size() && plan[next].first <= clock_.now()) {
      make(plan[next].second.first, plan[next].second.second);
      ++next;
    }
    drive();
    if (next == plan.size() && outbox_->stats()["down"].pending == 0) break;
    auto when = outbox_->next_due();
    if (next < plan.size() && (!when || plan[next].first < *when)) when = plan[next].first;
    ASSERT_TRUE(when.has_value());
    clock_.set(std::max(*when, clock_.now()));
  }
  const auto finished = clock_.now();
  ASSERT_EQ(next, plan.size());
  EXPECT_EQ(outbox_->stats()["down"].pending, 0u) << "still pending at " << config::rfc3339(finished);
  EXPECT_GT(finished, outage_end);
  EXPECT_LE(finished, outage_end + 10min) << "more than one maximal backoff after the outage";
  EXPECT_EQ(outbox_->stats()["down"].failed, 0u);
  EXPECT_EQ(outbox_->stats()["down"].delivered, 18u);
  EXPECT_TRUE(db_->values("outbox").empty());
  EXPECT_TRUE(db_->values("outbox_failed").empty());

  // The healthy sink: everything, each at the injected moment it was made.
  EXPECT_EQ(up.count(), 18u);
  EXPECT_EQ(outbox_->stats()["up"].retried, 0u);
  for (const auto& [key, at] : made_at)
    if (up_seen_at.count(key)) {
      EXPECT_EQ(up_seen_at[key], at) << key << " waited on the healthy sink";
    }
  EXPECT_EQ(up_seen_at.size(), 18u);

  // The down one: every notification delivered once it was back, in order per incident; retried
  // with backoff, not hammered (only the head of each incident's queue is tried).
  std::map<std::string, std::vector<int>> delivered_seq;
  size_t refused = 0;
  for (const auto& r : down.requests()) {
    if (r.answered != 200) {
      ++refused;
      continue;
    }
    const std::string key = r.header("idempotency-key");
    const std::string incident = key.substr(8, key.rfind(':') - 8);
    delivered_seq[incident].push_back(std::stoi(key.substr(key.rfind(':') + 1)));
  }
  ASSERT_EQ(delivered_seq.size(), 6u);
  for (const auto& [incident, seqs] : delivered_seq) EXPECT_EQ(seqs, (std::vector<int>{1, 2, 3})) << incident;
  EXPECT_GE(refused, 6u * 5);  // several attempts per incident during 10 minutes ...
  EXPECT_LE(refused, 6u * 12);  // ... but backing off: 2 s doubling, never once a second
}

// The daemon: a site goes down; sinks `hang`, `garbage` and `redirect` misbehave, `hook` is
// healthy. The healthy one gets incident.opened within a few seconds, and the checks keep
// running on their 1 s interval the whole time.
TEST_F(SinkFaults, DaemonProbesAndAHealthySinkKeepGoingWhileThreeSinksMisbehave) {
  HttpReceiver hook, redirect;
  redirect.set_responder([&](const ReceivedRequest&, size_t) {
    return Answer{308, "moved", "text/plain", {{"Location", hook.url("/hook")}}};
  });
  const std::string http = estate_->endpoint("http");
  const unsigned short estate_port = static_cast<unsigned short>(std::stoi(http.substr(http.rfind(':') + 1)));
  const unsigned short port = lookout::testing::free_port();
  {
    std::ofstream out(dir_.file("lookout.yaml"));
    out << "agent:\n  listen: 127.0.0.1:" << port << "\n  state_file: " << dir_.file("agent.db")
        << "\n  workers: 2\n"
        << "catalog: {refresh: off}\n"  // loopback only: no feed from the internet
        << "defaults:\n  interval: 1s\n  retry_interval: 1s\n  timeout: 900ms\n"
        << "alerting:\n  storm_ratio: 1\n  sinks:\n"  // every check fails: no guard here
        << "    - {id: hang, type: webhook, url: '" << http << "/hang', timeout: 20s, max_in_flight: 1}\n"
        << "    - {id: garbage, type: webhook, url: '" << http << "/garbage', timeout: 5s}\n"
        << "    - {id: redirect, type: webhook, url: '" << redirect.url("/hook") << "', timeout: 5s}\n"
        << "    - {id: hook, type: webhook, url: '" << hook.url("/hook") << "', timeout: 5s}\n"
        << "  defaults:\n    tickets: [builtin, hang, garbage, redirect, hook]\n"
        << "clients:\n  - id: acme\n    sites:\n";
    for (int s = 0; s < 20; ++s)
      out << "      - id: s" << s << "\n        url: " << http << "/switch/faults-s" << s
          << "\n        checks: [{type: http}]\n";
  }
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open(dir_.file("agent.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    const std::string cfg = dir_.file("lookout.yaml");
    execl(LOOKOUT_BINARY, LOOKOUT_BINARY, "run", "-c", cfg.c_str(), (char*)nullptr);
    _exit(127);
  }
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  auto metrics = [&] { return lookout::testing::http_get("127.0.0.1", port, "/metrics").body; };
  auto runs = [&] {
    std::string m = metrics();
    double total = 0;
    for (const char* s : {"ok", "warning", "critical", "unknown"}) {
      std::string series = "\nlookout_check_runs_total{status=\"" + std::string(s) + "\"} ";
      auto pos = m.find(series);
      if (pos != std::string::npos) total += std::stod(m.substr(pos + series.size()));
    }
    return total;
  };
  auto deadline = Steady::now() + 15s;
  while (runs() < 20 && Steady::now() < deadline) std::this_thread::sleep_for(100ms);
  ASSERT_GE(runs(), 20) << "the agent did not start";

  // Every site down at once: 20 incidents, 20 notifications per sink.
  auto r = lookout::testing::http_request("127.0.0.1", estate_port, boost::beast::http::verb::post,
                                          "/switch?down=faults-*");
  ASSERT_EQ(r.status, 200);
  const auto down_at = Steady::now();
  const double runs_before = runs();
  EXPECT_TRUE(hook.wait_for([](const std::vector<ReceivedRequest>& rs) { return rs.size() >= 20; }, 10s))
      << "the healthy sink got " << hook.count() << " of 20";
  const auto healthy_took = Steady::now() - down_at;
  // Let the faulty sinks misbehave a while longer (the hanging one holds its slot for 20 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(6000) - std::min<Steady::duration>(healthy_took, 5s));
  const double elapsed = std::chrono::duration<double>(Steady::now() - down_at).count();
  const double runs_during = runs() - runs_before;
  std::cerr << "healthy sink had all 20 after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(healthy_took).count() << " ms; "
            << runs_during << " check runs in " << elapsed << " s\n";
  // 20 checks every second (retry_interval 1 s while failing): at least 70 % of that.
  EXPECT_GE(runs_during, 0.7 * 20 * elapsed) << "the probes slowed down while sinks misbehaved";
  std::string m = metrics();
  auto sample = [&](const std::string& series) {
    auto pos = m.find("\n" + series + " ");
    return pos == std::string::npos ? -1.0 : std::stod(m.substr(pos + series.size() + 2));
  };
  EXPECT_EQ(sample("lookout_outbox_pending{sink=\"hang\"}"), 20) << m;
  EXPECT_EQ(sample("lookout_outbox_pending{sink=\"hook\"}"), 0) << m;
  EXPECT_EQ(sample("lookout_notifications_total{result=\"delivered\",sink=\"hook\"}"), 20) << m;
  EXPECT_GE(sample("lookout_notifications_total{result=\"retried\",sink=\"garbage\"}"), 1) << m;
  EXPECT_GE(sample("lookout_notifications_total{result=\"retried\",sink=\"redirect\"}"), 1) << m;
  EXPECT_EQ(sample("lookout_notifications_total{result=\"delivered\",sink=\"redirect\"}"), 0) << m;
  EXPECT_EQ(hook.count(), 20u) << "the redirect sink's notifications were followed to the hook";
  for (const auto& req : redirect.requests()) EXPECT_EQ(req.method, "POST");
}

}  // namespace
