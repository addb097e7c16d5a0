// The store's durable path (group-committed transactions) and its guarantees: all or nothing,
// one refused transaction or row never blocks the others, a kill -9 of the writer mid-batch
// leaves every transaction whole or absent, and one process per state file.
#include <atomic>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace lookout::store {
namespace {

using namespace std::chrono_literals;

class DurableCommitTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = path_;
    o.flush_interval = 1h;
    return o;
  }
  static Event event(const std::string& key, int64_t seq, const std::string& kind = "opened") {
    return Event{"incident", key, seq, TimePoint(std::chrono::seconds(1'700'000'000 + seq)), kind,
                 "{\"n\":" + std::to_string(seq) + "}"};
  }
  lookout::testing::TempDir dir_{"lookout-durable"};
  std::string path_ = dir_.file("state.db");
};

TEST_F(DurableCommitTest, CommittedTransactionIsThereAfterReopen) {
  {
    SqliteStore store(options());
    Transaction tx;
    tx.events = {event("acme/www/http", 1), event("acme/www/http", 2, "resolved")};
    tx.values = {{"incident", "acme/www/http", std::string("{\"state\":\"resolved\"}")}};
    auto r = store.commit_and_wait(std::move(tx));
    ASSERT_TRUE(r.ok) << r.error;
  }
  SqliteStore store(options());
  auto evs = store.events("incident", "acme/www/http");
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].kind, "opened");
  EXPECT_EQ(evs[1].kind, "resolved");
  EXPECT_EQ(evs[1].payload, "{\"n\":2}");
  EXPECT_EQ(evs[1].at, TimePoint(std::chrono::seconds(1'700'000'002)));
  EXPECT_EQ(store.value("incident", "acme/www/http"), "{\"state\":\"resolved\"}");
  EXPECT_EQ(store.events("incident", "acme/www/http", 1).size(), 1u);
}

TEST_F(DurableCommitTest, ARefusedTransactionFailsAloneAndLeavesNoTrace) {
  SqliteStore store(options());
  ASSERT_TRUE(store.commit_and_wait(Transaction{{event("a/b/c", 1)}, {}}).ok);
  // Three commits queued together (one group): the middle one repeats (a/b/c, 1).
  std::vector<std::promise<CommitResult>> done(3);
  Transaction first{{event("x/y/z", 1)}, {{"kv", "first", std::string("1")}}};
  Transaction bad{{event("bad/one/x", 1), event("a/b/c", 1)}, {{"kv", "bad", std::string("1")}}};
  Transaction third{{event("x/y/z", 2)}, {{"kv", "third", std::string("1")}}};
  store.commit(std::move(first), [&](CommitResult r) { done[0].set_value(r); });
  store.commit(std::move(bad), [&](CommitResult r) { done[1].set_value(r); });
  store.commit(std::move(third), [&](CommitResult r) { done[2].set_value(r); });
  auto r0 = done[0].get_future().get(), r1 = done[1].get_future().get(),
       r2 = done[2].get_future().get();
  EXPECT_TRUE(r0.ok) << r0.error;
  EXPECT_FALSE(r1.ok);
  EXPECT_NE(r1.error.find("UNIQUE"), std::string::npos) << r1.error;
  EXPECT_TRUE(r2.ok) << r2.error;
  // Nothing of the refused transaction, not even its first event or its value.
  EXPECT_TRUE(store.events("incident", "bad/one/x").empty());
  EXPECT_FALSE(store.value("kv", "bad"));
  EXPECT_EQ(store.events("incident", "x/y/z").size(), 2u);
  EXPECT_EQ(store.values("kv").size(), 2u);
  auto st = store.stats();
  EXPECT_EQ(st.commits, 3u);
  EXPECT_EQ(st.commit_failures, 1u);
}

TEST_F(DurableCommitTest, ARefusedBatchedRowIsDroppedAndTheRestWritten) {
  {
    SqliteStore store(options());  // creates the schema
  }
  {
    // What a constraint or a corrupt row does, made reproducible: the database refuses one row.
    SQLite::Database db(path_, SQLite::OPEN_READWRITE);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON transitions WHEN NEW.check_key = 'bad/x/y' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
  }
  SqliteStore store(options());
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const char* key : {"good/a/http", "bad/x/y", "good/b/http"}) {
    auto r = probes::make_result(probes::Status::critical, probes::FailureKind::connect, "down");
    r.started = now;
    store.record_result(key, r, HealthRecord{probes::Status::unknown, now, 1});
  }
  store.flush();
  EXPECT_EQ(store.transitions("good/a/http", now - 1h).size(), 1u);
  EXPECT_EQ(store.transitions("good/b/http", now - 1h).size(), 1u);
  EXPECT_TRUE(store.transitions("bad/x/y", now - 1h).empty());
  EXPECT_EQ(store.stats().dropped_rows, 1u);
  // The refused row does not come back: the next flush writes only what is new.
  auto ok = probes::make_result(probes::Status::ok, probes::FailureKind::none, "up");
  ok.started = now + 1s;
  store.record_result("good/a/http", ok, HealthRecord{probes::Status::critical, now + 1s, 0});
  store.flush();
  EXPECT_EQ(store.transitions("good/a/http", now - 1h).size(), 2u);
  EXPECT_EQ(store.stats().dropped_rows, 1u);
  auto states = store.load_states();
  EXPECT_EQ(states.at("good/a/http").status, probes::Status::ok);
  EXPECT_EQ(states.at("bad/x/y").status, probes::Status::critical);  // its state row went in
}

TEST_F(DurableCommitTest, KillDashNineMidBatchLeavesEveryTransactionWholeOrAbsent) {
  constexpr int kEventsPerTx = 5;
  std::mt19937 rng(42);
  int64_t seen_total = 0;
  for (int round = 0; round < 6; ++round) {
    int durable[2];  // the writer says when its first commit is on disk
    ASSERT_EQ(pipe(durable), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // The writer: many transactions in flight at once, each 5 events and a value.
      close(durable[0]);
      SqliteStore store(options());
      for (int64_t i = 0;; ++i) {
        Transaction tx;
        std::string key = "r" + std::to_string(round) + "/tx/" + std::to_string(i);
        for (int e = 1; e <= kEventsPerTx; ++e) tx.events.push_back(event(key, e));
        tx.values.push_back({"tx", key, std::string("done")});
        if (i == 0)
          store.commit(std::move(tx), [fd = durable[1]](CommitResult) { (void)!write(fd, "d", 1); });
        else
          store.commit(std::move(tx), nullptr);
        if (i % 50 == 49) std::this_thread::sleep_for(1ms);
      }
    }
    close(durable[1]);
    // Killed at a random instant after a commit was reported durable (whatever the machine's
    // load), so the first transaction at least must survive whole.
    char byte = 0;
    ASSERT_EQ(read(durable[0], &byte, 1), 1) << "the writer never reported a durable commit";
    close(durable[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));

    SqliteStore store(options());
    auto values = store.values("tx");
    int64_t whole = 0;
    for (int64_t i = 0; i < 1'000'000; ++i) {
      std::string key = "r" + std::to_string(round) + "/tx/" + std::to_string(i);
      auto evs = store.events("incident", key);
      bool has_value = values.count(key) > 0;
      if (evs.empty() && !has_value) break;  // transactions commit in order: the rest are absent
      ASSERT_EQ(evs.size(), static_cast<size_t>(kEventsPerTx)) << key << " is partial";
      ASSERT_TRUE(has_value) << key << " has events but not its value";
      ++whole;
    }
    int64_t total = 0;
    for (const auto& [k, v] : values)
      if (k.rfind("r" + std::to_string(round) + "/", 0) == 0) ++total;
    EXPECT_EQ(total, whole) << "a transaction after a gap";
    EXPECT_GT(whole, 0) << "the writer committed nothing in round " << round;
    seen_total += whole;
  }
  EXPECT_GT(seen_total, 6);
}

TEST_F(DurableCommitTest, AsyncCommitResumesTheCoroutineOnItsOwnThread) {
  SqliteStore store(options());
  boost::asio::io_context io;
  std::thread::id resumed_on;
  CommitResult result;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        Transaction tx{{event("co/ro/utine", 1)}, {}};
        result = co_await async_commit(store, std::move(tx));
        resumed_on = std::this_thread::get_id();
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run();
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(resumed_on, std::this_thread::get_id());
  EXPECT_EQ(store.events("incident", "co/ro/utine").size(), 1u);
}

TEST_F(DurableCommitTest, ASecondProcessOnTheSameFileIsRefusedNamingTheFirst) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    SqliteStore store(options());
    char c = 'x';
    if (write(ready[1], &c, 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  try {
    SqliteStore second(options());
    ADD_FAILURE() << "a second store opened the same file";
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(path_), std::string::npos) << what;
    EXPECT_NE(what.find("in use by another lookout process (pid " + std::to_string(child) + ")"),
              std::string::npos)
        << what;
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  // The lock dies with its process (kill -9 included): the file opens again.
  EXPECT_NO_THROW(SqliteStore again(options()));
}

}  // namespace
}  // namespace lookout::store
