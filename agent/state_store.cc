#include "agent/state_store.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <SQLiteCpp/SQLiteCpp.h>
#include <spdlog/spdlog.h>

namespace lookout::agent {
namespace {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

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
};

constexpr auto kRetentionEvery = std::chrono::hours(24);

}  // namespace

struct StateStore::Impl {
  // What the store needs to remember per check between results: small, so 100k checks stay
  // cheap. The last result itself only lives in the pending queue until it is written.
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

  StoreOptions options;
  std::unique_ptr<SQLite::Database> db;  // used under db_mutex only

  // Lock order: db_mutex before mutex.
  std::mutex db_mutex;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::map<std::string, Current> current;
  std::map<SeriesKey, std::map<int64_t, probes::SeriesPoint>> series;  // hour -> last point
  std::map<FactKey, std::string> facts;
  Pending pending;
  std::thread writer;
  Clock::time_point last_retention{};

  std::string describe() const { return "state store " + options.path; }

  void open();
  void migrate();
  void load_memory();
  void flush();  // takes db_mutex
  void write(Pending& p);
  void requeue(Pending&& p);
  void retention(TimePoint now);  // takes db_mutex
  void run_writer();
};

void StateStore::Impl::open() {
  try {
    db = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX);
    db->setBusyTimeout(5000);
    // WAL + NORMAL: a crash of the process loses nothing committed; a power cut may lose the
    // last batch, which the next results rebuild anyway.
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    migrate();
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(describe() + ": " + e.what());
  }
}

void StateStore::Impl::migrate() {
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

void StateStore::Impl::load_memory() {
  std::lock_guard lock(mutex);
  SQLite::Statement st(*db,
                       "SELECT check_key, status, since_ms, last_run_ms, consecutive_failures "
                       "FROM check_state");
  while (st.executeStep()) {
    Current c;
    c.status = status_or_unknown(st.getColumn(1).getString());
    c.since = from_ms(st.getColumn(2).getInt64());
    c.last_run = from_ms(st.getColumn(3).getInt64());
    c.consecutive_failures = st.getColumn(4).getInt();
    current[st.getColumn(0).getString()] = c;
  }
  SQLite::Statement se(*db, "SELECT check_key, series, hour, at_ms, value FROM series");
  while (se.executeStep()) {
    series[{se.getColumn(0).getString(), se.getColumn(1).getString()}][se.getColumn(2).getInt64()] =
        probes::SeriesPoint{from_ms(se.getColumn(3).getInt64()), se.getColumn(4).getDouble()};
  }
  SQLite::Statement fa(*db, "SELECT check_key, key, value FROM facts");
  while (fa.executeStep())
    facts[{fa.getColumn(0).getString(), fa.getColumn(1).getString()}] = fa.getColumn(2).getString();
}

void StateStore::Impl::flush() {
  std::lock_guard db_lock(db_mutex);
  Pending p;
  {
    std::lock_guard lock(mutex);
    if (pending.empty()) return;
    std::swap(p, pending);
  }
  try {
    write(p);
  } catch (const std::exception& e) {
    // Disk full, file locked by someone else...: keep the batch and try again next time.
    spdlog::error("{}: write failed, will retry: {}", describe(), e.what());
    requeue(std::move(p));
  }
}

void StateStore::Impl::write(Pending& p) {
  SQLite::Transaction tx(*db);
  if (!p.states.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO check_state (check_key, status, since_ms, last_run_ms, "
                         "consecutive_failures, last_result) VALUES (?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (check_key) DO UPDATE SET status = excluded.status, "
                         "since_ms = excluded.since_ms, last_run_ms = excluded.last_run_ms, "
                         "consecutive_failures = excluded.consecutive_failures, "
                         "last_result = excluded.last_result");
    for (const auto& [key, s] : p.states) {
      st.bind(1, key);
      st.bind(2, std::string(probes::to_string(s.current.status)));
      st.bind(3, static_cast<int64_t>(to_ms(s.current.since)));
      st.bind(4, static_cast<int64_t>(to_ms(s.current.last_run)));
      st.bind(5, s.current.consecutive_failures);
      st.bind(6, s.last_result);
      st.exec();
      st.reset();
    }
  }
  if (!p.transitions.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO transitions (check_key, at_ms, from_status, to_status, "
                         "reason) VALUES (?, ?, ?, ?, ?)");
    for (const auto& t : p.transitions) {
      st.bind(1, t.check_key);
      st.bind(2, static_cast<int64_t>(to_ms(t.at)));
      st.bind(3, std::string(probes::to_string(t.from)));
      st.bind(4, std::string(probes::to_string(t.to)));
      st.bind(5, t.reason);
      st.exec();
      st.reset();
    }
  }
  if (!p.rollups.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO rollups (check_key, hour, runs, failures, latency_sum, "
                         "latency_max) VALUES (?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (check_key, hour) DO UPDATE SET "
                         "runs = runs + excluded.runs, failures = failures + excluded.failures, "
                         "latency_sum = latency_sum + excluded.latency_sum, "
                         "latency_max = MAX(latency_max, excluded.latency_max)");
    for (const auto& [k, r] : p.rollups) {
      st.bind(1, k.first);
      st.bind(2, static_cast<int64_t>(k.second));
      st.bind(3, static_cast<int64_t>(r.runs));
      st.bind(4, static_cast<int64_t>(r.failures));
      st.bind(5, r.latency_sum);
      st.bind(6, r.latency_max);
      st.exec();
      st.reset();
    }
  }
  if (!p.series.empty()) {
    SQLite::Statement st(*db,
                         "INSERT INTO series (check_key, series, hour, at_ms, value) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_key, series, hour) DO UPDATE "
                         "SET at_ms = excluded.at_ms, value = excluded.value");
    for (const auto& [k, point] : p.series) {
      st.bind(1, k.first.first);
      st.bind(2, k.first.second);
      st.bind(3, static_cast<int64_t>(k.second));
      st.bind(4, static_cast<int64_t>(to_ms(point.at)));
      st.bind(5, point.value);
      st.exec();
      st.reset();
    }
  }
  if (!p.facts.empty()) {
    SQLite::Statement up(*db,
                         "INSERT INTO facts (check_key, key, value) VALUES (?, ?, ?) "
                         "ON CONFLICT (check_key, key) DO UPDATE SET value = excluded.value");
    SQLite::Statement del(*db, "DELETE FROM facts WHERE check_key = ? AND key = ?");
    for (const auto& [k, v] : p.facts) {
      auto& st = v ? up : del;
      st.bind(1, k.first);
      st.bind(2, k.second);
      if (v) st.bind(3, *v);
      st.exec();
      st.reset();
    }
  }
  tx.commit();
}

void StateStore::Impl::requeue(Pending&& p) {
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

void StateStore::Impl::retention(TimePoint now) {
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
    // A check that has not run for the whole retention period was removed from the config.
    for (auto it = current.begin(); it != current.end();)
      it = it->second.last_run < cutoff && !pending.states.count(it->first) ? current.erase(it)
                                                                            : std::next(it);
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

void StateStore::Impl::run_writer() {
  std::unique_lock lock(mutex);
  while (!stopping) {
    wake.wait_for(lock, options.flush_interval, [this] { return stopping; });
    if (stopping) break;
    lock.unlock();
    flush();
    auto now = Clock::now();
    if (now - last_retention >= kRetentionEvery) {
      last_retention = now;
      retention(now);
    }
    lock.lock();
  }
}

StateStore::StateStore(StoreOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->open();
  auto now = Clock::now();
  impl_->last_retention = now;
  impl_->retention(now);
  try {
    impl_->load_memory();
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error(impl_->describe() + ": " + e.what());
  }
  impl_->writer = std::thread([impl = impl_.get()] { impl->run_writer(); });
}

StateStore::~StateStore() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  impl_->flush();
}

std::map<std::string, StoredState> StateStore::load_states() {
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

void StateStore::record_result(const std::string& check_key, const probes::Result& result) {
  TimePoint at = result.started == TimePoint{} ? Clock::now() : result.started;
  std::string json = result.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  bool failed = result.status != probes::Status::ok;

  std::lock_guard lock(impl_->mutex);
  auto [it, first] = impl_->current.try_emplace(check_key);
  auto& cur = it->second;
  // A new check enters its first status from "unknown"; after that only changes count.
  if (first ? result.status != probes::Status::unknown : result.status != cur.status) {
    impl_->pending.transitions.push_back(
        Transition{check_key, at, first ? probes::Status::unknown : cur.status, result.status,
                   result.summary});
  }
  if (first || result.status != cur.status) cur.since = at;
  cur.status = result.status;
  cur.last_run = at;
  cur.consecutive_failures = failed ? cur.consecutive_failures + 1 : 0;
  impl_->pending.states[check_key] = Impl::PendingState{cur, std::move(json)};

  int64_t hour = hour_of(at);
  auto& r = impl_->pending.rollups[{check_key, hour}];
  r.check_key = check_key;
  r.hour = hour;
  r.runs += 1;
  r.failures += failed ? 1 : 0;
  r.latency_sum += result.duration_seconds;
  r.latency_max = std::max(r.latency_max, result.duration_seconds);
}

void StateStore::flush() { impl_->flush(); }

std::vector<Transition> StateStore::transitions(const std::string& check_key,
                                                std::chrono::system_clock::time_point since) {
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

std::vector<Rollup> StateStore::rollups(const std::string& check_key, int64_t from_hour,
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

void StateStore::apply_retention(std::chrono::system_clock::time_point now) {
  impl_->retention(now);
}

std::vector<probes::SeriesPoint> StateStore::series(const std::string& check_key,
                                                    const std::string& series,
                                                    std::chrono::system_clock::time_point since) {
  std::vector<probes::SeriesPoint> out;
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->series.find({check_key, series});
  if (it == impl_->series.end()) return out;
  for (auto p = it->second.lower_bound(hour_of(since)); p != it->second.end(); ++p)
    if (p->second.at >= since) out.push_back(p->second);
  return out;
}

void StateStore::record(const std::string& check_key, const std::string& series,
                        std::chrono::system_clock::time_point at, double value) {
  // Memory only covers the retention window: an ancient point would be deleted at once.
  if (at < Clock::now() - std::chrono::hours(24) * impl_->options.retention_days) return;
  int64_t hour = hour_of(at);
  probes::SeriesPoint point{at, value};
  std::lock_guard lock(impl_->mutex);
  impl_->series[{check_key, series}][hour] = point;
  impl_->pending.series[{{check_key, series}, hour}] = point;
}

std::optional<std::string> StateStore::get_fact(const std::string& check_key,
                                                const std::string& key) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->facts.find({check_key, key});
  if (it == impl_->facts.end()) return std::nullopt;
  return it->second;
}

void StateStore::set_fact(const std::string& check_key, const std::string& key,
                          const std::optional<std::string>& value) {
  std::lock_guard lock(impl_->mutex);
  if (value)
    impl_->facts[{check_key, key}] = *value;
  else
    impl_->facts.erase({check_key, key});
  impl_->pending.facts[{check_key, key}] = value;
}

}  // namespace lookout::agent
