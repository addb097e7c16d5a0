#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

namespace lookout::store {
namespace {


int64_t to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
TimePoint from_ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }
int64_t hour_of(TimePoint t) {
  return std::chrono::floor<std::chrono::hours>(t.time_since_epoch()).count();
}

probes::Status status_or_unknown(const std::string& s) {
  return probes::status_from_string(s).value_or(probes::Status::unknown);
}

// Migration i takes the schema from version i to i + 1. Append only; never edit a shipped one.
// Times are Unix milliseconds, hours are Unix time / 3600, statuses are their names, so the
// file is readable with the sqlite3 shell.
const std::vector<const char*> kMigrations = {
    // 0 -> 1
    R"sql(
    CREATE TABLE check_state (
      check_key TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      since_ms INTEGER NOT NULL,
      last_run_ms INTEGER NOT NULL,
      consecutive_failures INTEGER NOT NULL,
      last_result TEXT NOT NULL
    );
    CREATE TABLE transitions (
      id INTEGER PRIMARY KEY,
      check_key TEXT NOT NULL,
      at_ms INTEGER NOT NULL,
      from_status TEXT NOT NULL,
      to_status TEXT NOT NULL,
      reason TEXT NOT NULL
    );
    CREATE INDEX transitions_by_check ON transitions (check_key, at_ms);
    CREATE INDEX transitions_by_time ON transitions (at_ms);
    CREATE TABLE rollups (
      check_key TEXT NOT NULL,
      hour INTEGER NOT NULL,
      runs INTEGER NOT NULL,
      failures INTEGER NOT NULL,
      latency_sum REAL NOT NULL,
      latency_max REAL NOT NULL,
      PRIMARY KEY (check_key, hour)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_by_hour ON rollups (hour);
    CREATE TABLE series (
      check_key TEXT NOT NULL,
      series TEXT NOT NULL,
      hour INTEGER NOT NULL,
      at_ms INTEGER NOT NULL,
      value REAL NOT NULL,
      PRIMARY KEY (check_key, series, hour)
    ) WITHOUT ROWID;
    CREATE INDEX series_by_hour ON series (hour);
    CREATE TABLE facts (
      check_key TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (check_key, key)
    ) WITHOUT ROWID;
    )sql",
    // 1 -> 2: the durable path (incidents, tickets, outbox build on these). Plain SQL that
    // PostgreSQL runs as is.
    R"sql(
    CREATE TABLE events (
      stream TEXT NOT NULL,
      key TEXT NOT NULL,
      seq BIGINT NOT NULL,
      at_ms BIGINT NOT NULL,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL,
      PRIMARY KEY (stream, key, seq)
    );
    CREATE INDEX events_by_time ON events (at_ms);
    CREATE TABLE kv (
      scope TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      PRIMARY KEY (scope, key)
    );
    )sql",
};

constexpr auto kRetentionEvery = std::chrono::hours(24);

}  // namespace

struct SqliteStore::Impl {
  // A check's state row as it waits in the pending queue (the engine owns health; the store
  // keeps nothing per check between flushes).
  struct Current {
    probes::Status status = probes::Status::unknown;
    TimePoint since{};
    TimePoint last_run{};
    int consecutive_failures = 0;
  };
  struct PendingState {
    Current current;
    std::string last_result;  // JSON text
  };
  using SeriesKey = std::pair<std::string, std::string>;  // (check_key, series)
  using FactKey = std::pair<std::string, std::string>;    // (check_key, key)
  using RollupKey = std::pair<std::string, int64_t>;      // (check_key, hour)

  // Everything queued since the last flush; swapped out whole by the writer.
  struct Pending {
    std::map<std::string, PendingState> states;
    std::vector<Transition> transitions;
    std::map<RollupKey, Rollup> rollups;  // deltas to add to the stored rows
    std::map<std::pair<SeriesKey, int64_t>, probes::SeriesPoint> series;
    std::map<FactKey, std::optional<std::string>> facts;
    bool empty() const {
      return states.empty() && transitions.empty() && rollups.empty() && series.empty() &&
             facts.empty();
    }
  };

  struct PendingCommit {
    Transaction tx;
    std::function<void(CommitResult)> done;
  };

  StoreOptions options;
  const Clock* clock = nullptr;
  int lock_fd = -1;
  std::unique_ptr<SQLite::Database> db;  // used under db_mutex only
  std::vector<PendingCommit> commits;    // durable commits waiting for the writer (mutex)
  std::atomic<uint64_t> committed{0}, commit_failures{0}, dropped_rows{0};

  // Lock order: db_mutex before mutex.
  std::mutex db_mutex;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::map<SeriesKey, std::map<int64_t, probes::SeriesPoint>> series;  // hour -> last point
  std::map<FactKey, std::string> facts;
  Pending pending;
  std::thread writer;
  Clock::time_point last_retention{};

  std::string describe() const { return "state store " + options.path; }
  void refuse_write(const char* what) const {
    if (options.read_only)
      throw std::logic_error(describe() + " is open read-only: " + what + " refused");
  }

  void lock_file();
  void open();
  void migrate();
  void load_memory();
  void flush();  // takes db_mutex
  void write(Pending& p, bool isolate);
  void write_commits(std::vector<PendingCommit>& batch);  // takes db_mutex
  void apply(const Transaction& tx);
  // Runs one row's statement; in isolation under a savepoint, so a refused row is dropped
  // (logged and counted) and the rest of the batch still commits.
  template <class F>
  void row(bool isolate, const char* what, const std::string& key, F&& fn);
  void requeue(Pending&& p);
  void retention(TimePoint now);  // takes db_mutex
  void run_writer();
};

void SqliteStore::Impl::lock_file() {
  if (options.path.empty() || options.path == ":memory:") return;
  // flock on a lock file beside the database: held until this process exits (kill -9
  // included), so a second agent on the same file is refused instead of corrupting state.
  std::string lock_path = options.path + ".lock";
  lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0)
    throw std::runtime_error(describe() + ": cannot create " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(lock_fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(lock_fd);
    lock_fd = -1;
    throw std::runtime_error(describe() + " is in use by another lookout process" +
                             (pid.empty() ? "" : " (pid " + pid + ")") + "; lock file " + lock_path);
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd, 0) == 0 && ::pwrite(lock_fd, pid.data(), pid.size(), 0) < 0) {
    // the pid is only for the message above; the lock itself is held
  }
}

void SqliteStore::Impl::open() {
  if (options.read_only) {
    // A reader: no lock file (the agent may hold it), no journal-mode change, no migration.
    // WAL lets it read a consistent snapshot per statement while the agent writes.
    if (options.path.empty() || options.path == ":memory:")
      throw std::runtime_error(describe() + ": a read-only store needs a file");
    if (!std::filesystem::exists(options.path))
      throw std::runtime_error(describe() + ": no such file");
    try {
      db = std::make_unique<SQLite::Database>(options.path,
                                              SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX);
      db->setBusyTimeout(5000);
      int version = 0;
      if (db->tableExists("schema_version")) {
        SQLite::Statement q(*db, "SELECT MAX(version) FROM schema_version");
        if (q.executeStep() && !q.getColumn(0).isNull()) version = q.getColumn(0).getInt();
      }
      int current = static_cast<int>(kMigrations.size());
      if (version > current)
        throw std::runtime_error(describe() + ": schema version " + std::to_string(version) +
                                 " is newer than this lookout understands (" +
                                 std::to_string(current) + ")");
      if (version < current)
        throw std::runtime_error(
            describe() + ": schema version " + std::to_string(version) + " is older than this "
            "lookout's (" + std::to_string(current) + "); start `lookout run` on it once to "
            "migrate it (a reader never migrates)");
    } catch (const SQLite::Exception& e) {
      throw std::runtime_error(describe() + ": " + e.what());
    }
    return;
  }
  lock_file();
  try {
    db = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
    db->setBusyTimeout(5000);
    // WAL + FULL: a commit is on disk (fsync of the WAL) when it returns, which the durable
    // path promises; the batched path pays one sync per flush, about once a second.
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=FULL");
    db->exec("PRAGMA foreign_keys=ON");
    migrate();
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(describe() + ": " + e.what());
  }
}

void SqliteStore::Impl::migrate() {
  db->exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  int version = 0;
  {
    SQLite::Statement q(*db, "SELECT MAX(version) FROM schema_version");
    if (q.executeStep() && !q.getColumn(0).isNull()) version = q.getColumn(0).getInt();
  }
  if (version > static_cast<int>(kMigrations.size()))
    throw std::runtime_error(describe() + ": schema version " + std::to_string(version) +
                             " is newer than this lookout understands (" +
                             std::to_string(kMigrations.size()) + ")");
  for (size_t v = version; v < kMigrations.size(); ++v) {
    SQLite::Transaction tx(*db);
    db->exec(kMigrations[v]);
    db->exec("DELETE FROM schema_version");
    SQLite::Statement ins(*db, "INSERT INTO schema_version (version) VALUES (?)");
    ins.bind(1, static_cast<int>(v + 1));
    ins.exec();
    tx.commit();
  }
}

void SqliteStore::Impl::load_memory() {
  std::lock_guard lock(mutex);
  SQLite::Statement se(*db, "SELECT check_key, series, hour, at_ms, value FROM series");
  while (se.executeStep()) {
    series[{se.getColumn(0).getString(), se.getColumn(1).getString()}][se.getColumn(2).getInt64()] =
        probes::SeriesPoint{from_ms(se.getColumn(3).getInt64()), se.getColumn(4).getDouble()};
  }
  SQLite::Statement fa(*db, "SELECT check_key, key, value FROM facts");
  while (fa.executeStep())
    facts[{fa.getColumn(0).getString(), fa.getColumn(1).getString()}] = fa.getColumn(2).getString();
}

void SqliteStore::Impl::flush() {
  std::lock_guard db_lock(db_mutex);
  Pending p;
  {
    std::lock_guard lock(mutex);
    if (pending.empty()) return;
    std::swap(p, pending);
  }
  try {
    write(p, false);
    return;
  } catch (const std::exception& e) {
    spdlog::warn("{}: batch write failed ({}); writing row by row", describe(), e.what());
  }
  try {
    write(p, true);  // a row the database refuses is dropped; the others commit
  } catch (const std::exception& e) {
    // Disk full, file locked by someone else...: keep the batch and try again next time.
    spdlog::error("{}: write failed, will retry: {}", describe(), e.what());
    requeue(std::move(p));
  }
}

template <class F>
void SqliteStore::Impl::row(bool isolate, const char* what, const std::string& key, F&& fn) {
  if (!isolate) {
    fn();
    return;
  }
  db->exec("SAVEPOINT row");
  try {
    fn();
    db->exec("RELEASE row");
  } catch (const SQLite::Exception& e) {
    db->exec("ROLLBACK TO row");
    db->exec("RELEASE row");
    dropped_rows.fetch_add(1);
    spdlog::error("{}: dropped {} {}: {}", describe(), what, key, e.what());
  }
}

void SqliteStore::Impl::write(Pending& p, bool isolate) {
  SQLite::Transaction tx(*db);
  if (!p.states.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO check_state (check_key, status, since_ms, last_run_ms, "
                         "consecutive_failures, last_result) VALUES (?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (check_key) DO UPDATE SET status = excluded.status, "
                         "since_ms = excluded.since_ms, last_run_ms = excluded.last_run_ms, "
                         "consecutive_failures = excluded.consecutive_failures, "
                         "last_result = excluded.last_result");
    for (const auto& state : p.states) {
      const auto& key = state.first;  // not a structured binding: clang 14 cannot capture those
      const auto& s = state.second;
      row(isolate, "the state of", key, [&] {
        st.tryReset();  // a previous row may have failed: its error is not this row's
        st.bind(1, key);
        st.bind(2, std::string(probes::to_string(s.current.status)));
        st.bind(3, static_cast<int64_t>(to_ms(s.current.since)));
        st.bind(4, static_cast<int64_t>(to_ms(s.current.last_run)));
        st.bind(5, s.current.consecutive_failures);
        st.bind(6, s.last_result);
        st.exec();
      });
    }
  }
  if (!p.transitions.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO transitions (check_key, at_ms, from_status, to_status, "
                         "reason) VALUES (?, ?, ?, ?, ?)");
    for (const auto& t : p.transitions) {
      row(isolate, "a transition of", t.check_key, [&] {
        st.tryReset();
        st.bind(1, t.check_key);
        st.bind(2, static_cast<int64_t>(to_ms(t.at)));
        st.bind(3, std::string(probes::to_string(t.from)));
        st.bind(4, std::string(probes::to_string(t.to)));
        st.bind(5, t.reason);
        st.exec();
      });
    }
  }
  if (!p.rollups.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO rollups (check_key, hour, runs, failures, latency_sum, "
                         "latency_max) VALUES (?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (check_key, hour) DO UPDATE SET "
                         "runs = runs + excluded.runs, failures = failures + excluded.failures, "
                         "latency_sum = latency_sum + excluded.latency_sum, "
                         "latency_max = CASE WHEN excluded.latency_max > latency_max "
                         "THEN excluded.latency_max ELSE latency_max END");
    for (const auto& rollup : p.rollups) {
      const auto& k = rollup.first;
      const auto& r = rollup.second;
      row(isolate, "a rollup of", k.first, [&] {
        st.tryReset();
        st.bind(1, k.first);
        st.bind(2, static_cast<int64_t>(k.second));
        st.bind(3, static_cast<int64_t>(r.runs));
        st.bind(4, static_cast<int64_t>(r.failures));
        st.bind(5, r.latency_sum);
        st.bind(6, r.latency_max);
        st.exec();
      });
    }
  }
  if (!p.series.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO series (check_key, series, hour, at_ms, value) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_key, series, hour) DO UPDATE "
                         "SET at_ms = excluded.at_ms, value = excluded.value");
    for (const auto& entry : p.series) {
      const auto& k = entry.first;
      const auto& point = entry.second;
      row(isolate, "a series point of", k.first.first, [&] {
        st.tryReset();
        st.bind(1, k.first.first);
        st.bind(2, k.first.second);
        st.bind(3, static_cast<int64_t>(k.second));
        st.bind(4, static_cast<int64_t>(to_ms(point.at)));
        st.bind(5, point.value);
        st.exec();
      });
    }
  }
  if (!p.facts.empty()) {
    SQLite::Statement up(*db,
                         "INSERT INTO facts (check_key, key, value) VALUES (?, ?, ?) "
                         "ON CONFLICT (check_key, key) DO UPDATE SET value = excluded.value");
    SQLite::Statement del(*db, "DELETE FROM facts WHERE check_key = ? AND key = ?");
    for (const auto& fact : p.facts) {
      const auto& k = fact.first;
      const auto& v = fact.second;
      row(isolate, "a fact of", k.first, [&] {
        auto& st = v ? up : del;
        st.tryReset();
        st.bind(1, k.first);
        st.bind(2, k.second);
        if (v) st.bind(3, *v);
        st.exec();
      });
    }
  }
  tx.commit();
}

void SqliteStore::Impl::requeue(Pending&& p) {
  std::lock_guard lock(mutex);
  // Anything queued meanwhile is newer and wins; rollup deltas and transitions add up.
  for (auto& [k, s] : p.states) pending.states.try_emplace(k, std::move(s));
  p.transitions.insert(p.transitions.end(), pending.transitions.begin(), pending.transitions.end());
  pending.transitions = std::move(p.transitions);
  for (const auto& [k, r] : p.rollups) {
    auto [it, inserted] = pending.rollups.try_emplace(k, r);
    if (!inserted) {
      it->second.runs += r.runs;
      it->second.failures += r.failures;
      it->second.latency_sum += r.latency_sum;
      it->second.latency_max = std::max(it->second.latency_max, r.latency_max);
    }
  }
  for (auto& [k, v] : p.series) pending.series.try_emplace(k, v);
  for (auto& [k, v] : p.facts) pending.facts.try_emplace(k, std::move(v));
}

void SqliteStore::Impl::retention(TimePoint now) {
  TimePoint cutoff = now - std::chrono::hours(24) * options.retention_days;
  int64_t cutoff_ms = to_ms(cutoff);
  int64_t cutoff_hour = hour_of(cutoff);
  {
    // Memory first, so reads never show what the file no longer holds.
    std::lock_guard lock(mutex);
    for (auto it = series.begin(); it != series.end();) {
      auto& points = it->second;
      points.erase(points.begin(), points.lower_bound(cutoff_hour));
      it = points.empty() ? series.erase(it) : std::next(it);
    }
  }
  std::lock_guard db_lock(db_mutex);
  try {
    SQLite::Transaction tx(*db);
    auto run = [&](const char* sql, int64_t bound) {
      SQLite::Statement st(*db, sql);
      st.bind(1, static_cast<int64_t>(bound));
      st.exec();
    };
    run("DELETE FROM transitions WHERE at_ms < ?", cutoff_ms);
    run("DELETE FROM rollups WHERE hour < ?", cutoff_hour);
    run("DELETE FROM series WHERE hour < ?", cutoff_hour);
    run("DELETE FROM check_state WHERE last_run_ms < ?", cutoff_ms);
    tx.commit();
  } catch (const std::exception& e) {
    spdlog::error("{}: retention failed: {}", describe(), e.what());
  }
}

void SqliteStore::Impl::apply(const Transaction& tx) {
  if (!tx.events.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO events (stream, key, seq, at_ms, kind, payload) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& e : tx.events) {
      st.tryReset();
      st.bind(1, e.stream);
      st.bind(2, e.key);
      st.bind(3, static_cast<int64_t>(e.seq));
      st.bind(4, static_cast<int64_t>(to_ms(e.at)));
      st.bind(5, e.kind);
      st.bind(6, e.payload);
      st.exec();
    }
  }
  if (!tx.values.empty()) {
    SQLite::Statement up(*db,
                         "INSERT INTO kv (scope, key, value) VALUES (?, ?, ?) "
                         "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value");
    SQLite::Statement del(*db, "DELETE FROM kv WHERE scope = ? AND key = ?");
    for (const auto& v : tx.values) {
      auto& st = v.value ? up : del;
      st.tryReset();
      st.bind(1, v.scope);
      st.bind(2, v.key);
      if (v.value) st.bind(3, *v.value);
      st.exec();
    }
  }
}

void SqliteStore::Impl::write_commits(std::vector<PendingCommit>& batch) {
  // Group commit: one database transaction (one WAL sync) for every queued commit, each under
  // its own savepoint so that a refused one leaves no trace and does not fail the others.
  std::vector<CommitResult> results(batch.size());
  {
    std::lock_guard db_lock(db_mutex);
    try {
      SQLite::Transaction tx(*db);
      for (size_t i = 0; i < batch.size(); ++i) {
        db->exec("SAVEPOINT tx");
        try {
          apply(batch[i].tx);
          db->exec("RELEASE tx");
          results[i].ok = true;
        } catch (const std::exception& e) {
          db->exec("ROLLBACK TO tx");
          db->exec("RELEASE tx");
          results[i].error = e.what();
        }
      }
      tx.commit();
    } catch (const std::exception& e) {
      for (auto& r : results)
        if (r.ok) r = CommitResult{false, std::string("commit failed: ") + e.what()};
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    (results[i].ok ? committed : commit_failures).fetch_add(1);
    if (!results[i].ok) spdlog::error("{}: durable commit refused: {}", describe(), results[i].error);
    if (batch[i].done) batch[i].done(std::move(results[i]));
  }
}

void SqliteStore::Impl::run_writer() {
  std::unique_lock lock(mutex);
  auto next_flush = std::chrono::steady_clock::now() + options.flush_interval;
  while (!stopping) {
    wake.wait_until(lock, next_flush, [this] { return stopping || !commits.empty(); });
    if (stopping) break;
    if (!commits.empty()) {
      // Durable commits go first and never wait for the flush interval.
      std::vector<PendingCommit> batch;
      std::swap(batch, commits);
      lock.unlock();
      write_commits(batch);
      lock.lock();
      if (std::chrono::steady_clock::now() < next_flush) continue;
    }
    lock.unlock();
    flush();
    auto now = clock->now();
    if (now - last_retention >= kRetentionEvery) {
      last_retention = now;
      retention(now);
    }
    next_flush = std::chrono::steady_clock::now() + options.flush_interval;
    lock.lock();
  }
}

SqliteStore::SqliteStore(StoreOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->clock = impl_->options.clock ? impl_->options.clock : &SystemClock::instance();
  impl_->open();
  auto now = impl_->clock->now();
  impl_->last_retention = now;
  if (!impl_->options.read_only) impl_->retention(now);
  try {
    impl_->load_memory();
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(impl_->describe() + ": " + e.what());
  }
  if (impl_->options.read_only) return;
  impl_->writer = std::thread([impl = impl_.get()] { impl->run_writer(); });
}

SqliteStore::~SqliteStore() {
  if (impl_->options.read_only) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  std::vector<Impl::PendingCommit> last;
  {
    std::lock_guard lock(impl_->mutex);
    std::swap(last, impl_->commits);
  }
  if (!last.empty()) impl_->write_commits(last);
  impl_->flush();
  if (impl_->lock_fd >= 0) ::close(impl_->lock_fd);
}

void SqliteStore::commit(Transaction tx, std::function<void(CommitResult)> done) {
  impl_->refuse_write("commit");
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopping) {
      impl_->commits.push_back({std::move(tx), std::move(done)});
      impl_->wake.notify_all();
      return;
    }
  }
  // The writer is gone (shutdown): commit on this thread.
  std::vector<Impl::PendingCommit> one;
  one.push_back({std::move(tx), std::move(done)});
  impl_->write_commits(one);
}

std::vector<Event> SqliteStore::events(const std::string& stream, const std::string& key,
                                       int64_t after_seq) {
  std::vector<Event> out;
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db,
                       "SELECT seq, at_ms, kind, payload FROM events "
                       "WHERE stream = ? AND key = ? AND seq > ? ORDER BY seq");
  st.bind(1, stream);
  st.bind(2, key);
  st.bind(3, static_cast<int64_t>(after_seq));
  while (st.executeStep())
    out.push_back(Event{stream, key, st.getColumn(0).getInt64(), from_ms(st.getColumn(1).getInt64()),
                        st.getColumn(2).getString(), st.getColumn(3).getString()});
  return out;
}

std::map<std::string, std::string> SqliteStore::values(const std::string& scope) {
  std::map<std::string, std::string> out;
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db, "SELECT key, value FROM kv WHERE scope = ?");
  st.bind(1, scope);
  while (st.executeStep()) out[st.getColumn(0).getString()] = st.getColumn(1).getString();
  return out;
}

std::optional<std::string> SqliteStore::value(const std::string& scope, const std::string& key) {
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db, "SELECT value FROM kv WHERE scope = ? AND key = ?");
  st.bind(1, scope);
  st.bind(2, key);
  if (!st.executeStep()) return std::nullopt;
  return st.getColumn(0).getString();
}

StoreStats SqliteStore::stats() const {
  return StoreStats{impl_->committed.load(), impl_->commit_failures.load(),
                    impl_->dropped_rows.load()};
}

std::optional<StoredState> SqliteStore::load_state(const std::string& check_key) {
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db,
                       "SELECT status, since_ms, last_run_ms, consecutive_failures, last_result "
                       "FROM check_state WHERE check_key = ?");
  st.bind(1, check_key);
  if (!st.executeStep()) return std::nullopt;
  StoredState s;
  s.check_key = check_key;
  s.status = status_or_unknown(st.getColumn(0).getString());
  s.since = from_ms(st.getColumn(1).getInt64());
  s.last_run = from_ms(st.getColumn(2).getInt64());
  s.consecutive_failures = st.getColumn(3).getInt();
  s.last_result = st.getColumn(4).getString();
  if (!nlohmann::json::accept(s.last_result)) s.last_result.clear();
  return s;
}

std::map<std::string, StoredState> SqliteStore::load_states() {
  std::map<std::string, StoredState> out;
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db,
                       "SELECT check_key, status, since_ms, last_run_ms, consecutive_failures, "
                       "last_result FROM check_state");
  while (st.executeStep()) {
    StoredState s;
    s.check_key = st.getColumn(0).getString();
    s.status = status_or_unknown(st.getColumn(1).getString());
    s.since = from_ms(st.getColumn(2).getInt64());
    s.last_run = from_ms(st.getColumn(3).getInt64());
    s.consecutive_failures = st.getColumn(4).getInt();
    s.last_result = st.getColumn(5).getString();
    if (!nlohmann::json::accept(s.last_result)) s.last_result.clear();
    out.emplace(s.check_key, std::move(s));
  }
  return out;
}

void SqliteStore::record_result(const std::string& check_key, const probes::Result& result,
                                const HealthRecord& health) {
  impl_->refuse_write("record_result");
  TimePoint at = result.started == TimePoint{} ? impl_->clock->now() : result.started;
  std::string json = result.to_stored_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  bool failed = result.status != probes::Status::ok;

  std::lock_guard lock(impl_->mutex);
  if (result.status != health.previous) {
    // A result inside a maintenance window (facts.maintenance, set by the agent) says so in the
    // transition too, so a report reading transitions can tell.
    std::string reason = result.summary;
    if (result.facts.is_object())
      if (auto m = result.facts.find("maintenance"); m != result.facts.end() && m->is_string())
        reason += " [maintenance " + m->get<std::string>() + "]";
    impl_->pending.transitions.push_back(
        Transition{check_key, at, health.previous, result.status, std::move(reason)});
  }
  impl_->pending.states[check_key] = Impl::PendingState{
      Impl::Current{result.status, health.since, at, health.consecutive_failures}, std::move(json)};

  int64_t hour = hour_of(at);
  auto& r = impl_->pending.rollups[{check_key, hour}];
  r.check_key = check_key;
  r.hour = hour;
  r.runs += 1;
  r.failures += failed ? 1 : 0;
  r.latency_sum += result.duration_seconds;
  r.latency_max = std::max(r.latency_max, result.duration_seconds);
}

void SqliteStore::flush() {
  if (!impl_->options.read_only) impl_->flush();
}

std::vector<Transition> SqliteStore::transitions(const std::string& check_key,
                                                TimePoint since) {
  std::vector<Transition> out;
  std::lock_guard db_lock(impl_->db_mutex);  // no flush moves rows meanwhile
  SQLite::Statement st(*impl_->db,
                       "SELECT at_ms, from_status, to_status, reason FROM transitions "
                       "WHERE check_key = ? AND at_ms >= ? ORDER BY at_ms, id");
  st.bind(1, check_key);
  st.bind(2, static_cast<int64_t>(to_ms(since)));
  while (st.executeStep()) {
    out.push_back(Transition{check_key, from_ms(st.getColumn(0).getInt64()),
                             status_or_unknown(st.getColumn(1).getString()),
                             status_or_unknown(st.getColumn(2).getString()),
                             st.getColumn(3).getString()});
  }
  std::lock_guard lock(impl_->mutex);
  for (const auto& t : impl_->pending.transitions)
    if (t.check_key == check_key && t.at >= since) out.push_back(t);
  std::stable_sort(out.begin(), out.end(),
                   [](const Transition& a, const Transition& b) { return a.at < b.at; });
  return out;
}

std::vector<Rollup> SqliteStore::rollups(const std::string& check_key, int64_t from_hour,
                                        int64_t to_hour) {
  std::map<int64_t, Rollup> by_hour;
  std::lock_guard db_lock(impl_->db_mutex);
  SQLite::Statement st(*impl_->db,
                       "SELECT hour, runs, failures, latency_sum, latency_max FROM rollups "
                       "WHERE check_key = ? AND hour >= ? AND hour <= ? ORDER BY hour");
  st.bind(1, check_key);
  st.bind(2, static_cast<int64_t>(from_hour));
  st.bind(3, static_cast<int64_t>(to_hour));
  while (st.executeStep()) {
    int64_t hour = st.getColumn(0).getInt64();
    by_hour[hour] = Rollup{check_key, hour, st.getColumn(1).getInt64(), st.getColumn(2).getInt64(),
                           st.getColumn(3).getDouble(), st.getColumn(4).getDouble()};
  }
  std::lock_guard lock(impl_->mutex);
  auto& pr = impl_->pending.rollups;
  for (auto it = pr.lower_bound({check_key, from_hour});
       it != pr.end() && it->first.first == check_key && it->first.second <= to_hour; ++it) {
    auto& r = by_hour[it->first.second];
    r.check_key = check_key;
    r.hour = it->first.second;
    r.runs += it->second.runs;
    r.failures += it->second.failures;
    r.latency_sum += it->second.latency_sum;
    r.latency_max = std::max(r.latency_max, it->second.latency_max);
  }
  std::vector<Rollup> out;
  out.reserve(by_hour.size());
  for (auto& [h, r] : by_hour) out.push_back(std::move(r));
  return out;
}

void SqliteStore::apply_retention(TimePoint now) {
  impl_->refuse_write("apply_retention");
  impl_->retention(now);
}

std::vector<probes::SeriesPoint> SqliteStore::series(const std::string& check_key,
                                                    const std::string& series,
                                                    TimePoint since) {
  std::vector<probes::SeriesPoint> out;
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->series.find({check_key, series});
  if (it == impl_->series.end()) return out;
  for (auto p = it->second.lower_bound(hour_of(since)); p != it->second.end(); ++p)
    if (p->second.at >= since) out.push_back(p->second);
  return out;
}

void SqliteStore::record(const std::string& check_key, const std::string& series,
                        TimePoint at, double value) {
  impl_->refuse_write("record");
  // Memory only covers the retention window: an ancient point would be deleted at once.
  if (at < impl_->clock->now() - std::chrono::hours(24) * impl_->options.retention_days) return;
  int64_t hour = hour_of(at);
  probes::SeriesPoint point{at, value};
  std::lock_guard lock(impl_->mutex);
  impl_->series[{check_key, series}][hour] = point;
  impl_->pending.series[{{check_key, series}, hour}] = point;
}

std::optional<std::string> SqliteStore::get_fact(const std::string& check_key,
                                                const std::string& key) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->facts.find({check_key, key});
  if (it == impl_->facts.end()) return std::nullopt;
  return it->second;
}

void SqliteStore::set_fact(const std::string& check_key, const std::string& key,
                          const std::optional<std::string>& value) {
  impl_->refuse_write("set_fact");
  std::lock_guard lock(impl_->mutex);
  if (value)
    impl_->facts[{check_key, key}] = *value;
  else
    impl_->facts.erase({check_key, key});
  impl_->pending.facts[{check_key, key}] = value;
}

}  // namespace lookout::store
