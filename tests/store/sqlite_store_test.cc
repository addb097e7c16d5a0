#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

namespace lookout::store {
namespace {

using namespace std::chrono_literals;
using probes::Status;
using Clock = std::chrono::system_clock;

class StateStoreTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = path_;
    o.flush_interval = 1h;  // tests flush explicitly
    return o;
  }

  static probes::Result result(Status s, Clock::time_point at, double seconds,
                               std::string summary = "") {
    probes::Result r = probes::make_result(s, probes::FailureKind::none, std::move(summary));
    r.started = at;
    r.duration_seconds = seconds;
    return r;
  }
  // The health the engine passes with a result: given explicitly, since the store records
  // what it is told (the engine owns the rule; tests/agent/check_health_test.cc).
  static HealthRecord health(Status previous, Clock::time_point since, int failures = 0) {
    return HealthRecord{previous, since, failures};
  }

  // A fixed hour boundary recent enough to be inside the retention window.
  static Clock::time_point hour_start() {
    return std::chrono::floor<std::chrono::hours>(Clock::now()) - 5h;
  }
  static int64_t hour_number(Clock::time_point t) {
    return std::chrono::floor<std::chrono::hours>(t.time_since_epoch()).count();
  }

  lookout::testing::TempDir tmp_{"lookout-store"};
  std::string dir_ = tmp_.path();
  std::string path_ = tmp_.file("state.db");
};

TEST_F(StateStoreTest, StatesComeBackAfterReopen) {
  auto t0 = hour_start();
  {
    SqliteStore store(options());
    store.record_result("c/s/http", result(Status::ok, t0, 0.1, "HTTP 200"), health(Status::unknown, t0));
    auto bad = result(Status::critical, t0 + 1min, 0.2, "HTTP 503 from 127.0.0.1 after 200 ms");
    bad.facts["http_status"] = 503;
    store.record_result("c/s/http", bad, health(Status::ok, t0 + 1min, 1));
    store.record_result("c/s/tls", result(Status::warning, t0 + 2min, 0.3), health(Status::unknown, t0 + 2min, 1));
    store.flush();
  }
  SqliteStore store(options());
  auto states = store.load_states();
  ASSERT_EQ(states.size(), 2u);
  const auto& http = states.at("c/s/http");
  EXPECT_EQ(http.status, Status::critical);
  EXPECT_EQ(http.since, t0 + 1min);
  EXPECT_EQ(http.last_run, t0 + 1min);
  EXPECT_EQ(http.consecutive_failures, 1);
  EXPECT_EQ(nlohmann::json::parse(http.last_result)["summary"], "HTTP 503 from 127.0.0.1 after 200 ms");
  EXPECT_EQ(nlohmann::json::parse(http.last_result)["facts"]["http_status"], 503);
  EXPECT_EQ(states.at("c/s/tls").status, Status::warning);
}

TEST_F(StateStoreTest, LoadStatesShowsOnlyFlushedStates) {
  SqliteStore store(options());
  store.record_result("a", result(Status::ok, hour_start(), 0.1), {});
  EXPECT_TRUE(store.load_states().empty());
  store.flush();
  EXPECT_EQ(store.load_states().size(), 1u);
}

TEST_F(StateStoreTest, TransitionsOnlyOnStatusChange) {
  auto t0 = hour_start();
  SqliteStore store(options());
  store.record_result("k", result(Status::ok, t0, 0.1, "up"), health(Status::unknown, t0));
  store.record_result("k", result(Status::ok, t0 + 1min, 0.1, "up"), health(Status::ok, t0));
  store.record_result("k", result(Status::critical, t0 + 2min, 0.1, "HTTP 503"),
                      health(Status::ok, t0 + 2min, 1));
  store.flush();  // some flushed, some pending: both must show
  store.record_result("k", result(Status::critical, t0 + 3min, 0.1, "HTTP 503"),
                      health(Status::critical, t0 + 2min, 2));
  store.record_result("k", result(Status::ok, t0 + 4min, 0.1, "HTTP 200"),
                      health(Status::critical, t0 + 4min));

  auto ts = store.transitions("k", t0);
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_EQ(ts[0].from, Status::unknown);
  EXPECT_EQ(ts[0].to, Status::ok);
  EXPECT_EQ(ts[1].from, Status::ok);
  EXPECT_EQ(ts[1].to, Status::critical);
  EXPECT_EQ(ts[1].at, t0 + 2min);
  EXPECT_EQ(ts[1].reason, "HTTP 503");
  EXPECT_EQ(ts[2].from, Status::critical);
  EXPECT_EQ(ts[2].to, Status::ok);
  EXPECT_EQ(store.transitions("k", t0 + 3min).size(), 1u);
  EXPECT_TRUE(store.transitions("other", t0).empty());

  store.flush();
  auto states = store.load_states();
  EXPECT_EQ(states.at("k").since, t0 + 4min);
  EXPECT_EQ(states.at("k").consecutive_failures, 0);
}

TEST_F(StateStoreTest, TransitionsInsideAMaintenanceWindowSaySo) {
  auto t0 = hour_start();
  SqliteStore store(options());
  auto down = result(Status::critical, t0, 0.1, "HTTP 503");
  down.facts["maintenance"] = "mw-3";
  store.record_result("k", down, health(Status::ok, t0, 1));
  store.flush();
  store.record_result("k", result(Status::ok, t0 + 1min, 0.1, "HTTP 200"), health(Status::critical, t0 + 1min));
  auto ts = store.transitions("k", t0);
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].reason, "HTTP 503 [maintenance mw-3]");
  EXPECT_EQ(ts[1].reason, "HTTP 200");
}

TEST_F(StateStoreTest, RollupsAddUpAcrossFlushes) {
  auto t0 = hour_start();
  int64_t h = hour_number(t0);
  {
    SqliteStore store(options());
    store.record_result("k", result(Status::ok, t0 + 1min, 0.5), {});
    store.record_result("k", result(Status::critical, t0 + 2min, 2.0), {});
    store.flush();
    store.record_result("k", result(Status::ok, t0 + 3min, 1.0), {});
    store.record_result("k", result(Status::warning, t0 + 1h + 1min, 0.25), {});

    // Flushed rows and pending deltas are combined on read.
    auto rs = store.rollups("k", h, h + 1);
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_EQ(rs[0].runs, 3);
  }
  SqliteStore store(options());
  store.record_result("k", result(Status::ok, t0 + 4min, 3.0), {});
  store.flush();
  auto rs = store.rollups("k", h, h + 1);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].hour, h);
  EXPECT_EQ(rs[0].runs, 4);
  EXPECT_EQ(rs[0].failures, 1);
  EXPECT_DOUBLE_EQ(rs[0].latency_sum, 6.5);
  EXPECT_DOUBLE_EQ(rs[0].latency_max, 3.0);
  EXPECT_EQ(rs[1].hour, h + 1);
  EXPECT_EQ(rs[1].runs, 1);
  EXPECT_EQ(rs[1].failures, 1);
  EXPECT_EQ(store.rollups("k", h + 1, h + 1).size(), 1u);
  EXPECT_TRUE(store.rollups("k", h + 2, h + 10).empty());
}

TEST_F(StateStoreTest, SeriesKeepLastValuePerHourAndSurviveReopen) {
  auto t0 = hour_start();
  {
    SqliteStore store(options());
    store.record("k", "avail:/", t0 + 1min, 100);
    store.record("k", "avail:/", t0 + 30min, 90);  // same hour: replaces
    store.record("k", "avail:/", t0 + 1h + 5min, 80);
    store.record("k", "avail:/var", t0, 5);
    auto pts = store.series("k", "avail:/", t0);
    ASSERT_EQ(pts.size(), 2u);
    EXPECT_EQ(pts[0].at, t0 + 30min);
    EXPECT_EQ(pts[0].value, 90);
    EXPECT_EQ(pts[1].value, 80);
  }
  SqliteStore store(options());
  auto pts = store.series("k", "avail:/", t0);
  ASSERT_EQ(pts.size(), 2u);
  EXPECT_EQ(pts[0].at, t0 + 30min);
  EXPECT_EQ(pts[0].value, 90);
  EXPECT_EQ(pts[1].at, t0 + 1h + 5min);
  EXPECT_EQ(store.series("k", "avail:/", t0 + 31min).size(), 1u);
  EXPECT_EQ(store.series("k", "avail:/var", t0).size(), 1u);
  EXPECT_TRUE(store.series("other", "avail:/", t0).empty());
}

TEST_F(StateStoreTest, FactsSurviveReopenAndCanBeCleared) {
  {
    SqliteStore store(options());
    store.set_fact("k", "insecure_since", "2026-01-02T03:04:05Z");
    store.set_fact("k", "gone", "x");
    store.set_fact("k", "gone", std::nullopt);
    EXPECT_EQ(store.get_fact("k", "insecure_since"), "2026-01-02T03:04:05Z");
    EXPECT_FALSE(store.get_fact("k", "gone"));
  }
  {
    SqliteStore store(options());
    EXPECT_EQ(store.get_fact("k", "insecure_since"), "2026-01-02T03:04:05Z");
    EXPECT_FALSE(store.get_fact("k", "gone"));
    EXPECT_FALSE(store.get_fact("other", "insecure_since"));
    store.set_fact("k", "insecure_since", std::nullopt);
  }
  SqliteStore store(options());
  EXPECT_FALSE(store.get_fact("k", "insecure_since"));
}

TEST_F(StateStoreTest, RetentionDeletesOldRows) {
  auto now = Clock::now();
  auto old = now - 20 * 24h;
  auto recent = now - 2h;
  auto o = options();
  o.retention_days = 10;
  {
    SqliteStore store(o);
    store.record_result("old", result(Status::critical, old, 0.1), health(Status::unknown, old, 1));
    store.record_result("k", result(Status::ok, old, 0.1), health(Status::unknown, old));
    store.record_result("k", result(Status::critical, recent, 0.1), health(Status::ok, recent, 1));
    store.record("k", "s", recent, 2);
    store.flush();
    // Inject an old series point directly: record() refuses points outside the window.
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("INSERT INTO series VALUES ('k', 's', " + std::to_string(hour_number(old)) + ", " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                               old.time_since_epoch()).count()) +
            ", 1)");
  }
  SqliteStore store(o);  // retention runs at open
  EXPECT_EQ(store.transitions("k", old - 1h).size(), 1u);  // ok -> critical (recent) is kept
  EXPECT_EQ(store.transitions("old", old - 1h).size(), 0u);
  EXPECT_TRUE(store.rollups("k", hour_number(old), hour_number(old)).empty());
  EXPECT_EQ(store.rollups("k", hour_number(recent), hour_number(recent)).size(), 1u);
  auto pts = store.series("k", "s", old - 1h);
  ASSERT_EQ(pts.size(), 1u);
  EXPECT_EQ(pts[0].value, 2);
  auto states = store.load_states();
  EXPECT_EQ(states.count("old"), 0u);  // not run for the whole retention period
  EXPECT_EQ(states.count("k"), 1u);

  // apply_retention with a later "now" drops the rest, in memory too.
  store.apply_retention(now + 30 * 24h);
  EXPECT_TRUE(store.series("k", "s", old - 1h).empty());
  EXPECT_TRUE(store.transitions("k", old - 1h).empty());
  EXPECT_TRUE(store.load_states().empty());
}

TEST_F(StateStoreTest, WriterThreadFlushesOnItsOwn) {
  auto o = options();
  o.flush_interval = 10ms;
  SqliteStore store(o);
  store.record_result("k", result(Status::ok, hour_start(), 0.1), {});
  // Poll rather than sleep a fixed time: the writer's batch lands within a few intervals.
  for (int i = 0; i < 500 && store.load_states().empty(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(store.load_states().size(), 1u);
}

TEST_F(StateStoreTest, StatesSurviveKillDashNine) {
  auto t0 = hour_start();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child records, flushes, records more without flushing, and dies without any
    // destructor or atexit running: what was flushed must be there, nothing may be corrupt.
    auto* store = new SqliteStore(options());
    store->record_result("c/s/http", result(Status::critical, t0, 0.1, "HTTP 503"),
                         health(Status::unknown, t0, 1));
    store->record_result("c/s/dns", result(Status::ok, t0, 0.1, "ok"), health(Status::unknown, t0));
    store->set_fact("c/s/http", "first_failure", "t0");
    store->flush();
    store->record_result("c/s/unflushed", result(Status::ok, t0, 0.1), health(Status::unknown, t0));
    kill(getpid(), SIGKILL);
    _exit(1);  // not reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  SqliteStore store(options());
  auto states = store.load_states();
  ASSERT_EQ(states.count("c/s/http"), 1u);
  EXPECT_EQ(states.at("c/s/http").status, Status::critical);
  EXPECT_EQ(nlohmann::json::parse(states.at("c/s/http").last_result)["summary"], "HTTP 503");
  EXPECT_EQ(states.at("c/s/dns").status, Status::ok);
  EXPECT_EQ(states.count("c/s/unflushed"), 0u);
  EXPECT_EQ(store.get_fact("c/s/http", "first_failure"), "t0");
  EXPECT_EQ(store.transitions("c/s/http", t0).size(), 1u);
}

TEST_F(StateStoreTest, OpenErrorsNameTheFile) {
  {
    std::ofstream f(path_);
    f << std::string(8192, 'x');  // not a database
  }
  try {
    SqliteStore store(options());
    FAIL() << "opened a file that is not a database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
  auto o = options();
  o.path = dir_ + "/no/such/dir/state.db";
  EXPECT_THROW(SqliteStore{o}, std::runtime_error);
}

TEST_F(StateStoreTest, RefusesNewerSchema) {
  { SqliteStore store(options()); }
  {
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("UPDATE schema_version SET version = 999");
  }
  try {
    SqliteStore store(options());
    FAIL() << "opened a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST_F(StateStoreTest, UsesWalMode) {
  { SqliteStore store(options()); }
  SQLite::Database db(path_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

}  // namespace
}  // namespace lookout::store
