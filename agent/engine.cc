#include "agent/engine.h"

#include <algorithm>
#include <deque>
#include <queue>
#include <set>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agent/check_runner.h"
#include "agent/metrics.h"
#include "agent/state_store.h"
#include "probes/net/resolver.h"
#include "probes/net/tls_context.h"

namespace lookout::agent {
namespace asio = boost::asio;
using SysClock = std::chrono::system_clock;
using std::chrono::milliseconds;

namespace {
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  // final avalanche so nearby keys land far apart
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}
}  // namespace

milliseconds schedule_offset(const std::string& key, milliseconds interval) {
  if (interval.count() <= 0) return milliseconds(0);
  return milliseconds(static_cast<int64_t>(fnv1a(key) % static_cast<uint64_t>(interval.count())));
}

SysClock::time_point next_on_grid(SysClock::time_point after, milliseconds interval,
                                  milliseconds offset) {
  int64_t t = std::chrono::duration_cast<milliseconds>(after.time_since_epoch()).count();
  int64_t iv = interval.count(), off = offset.count();
  int64_t k = (t - off) >= 0 ? (t - off) / iv + 1 : -((off - t) / iv);
  int64_t next = k * iv + off;
  if (next <= t) next += iv;
  return SysClock::time_point(milliseconds(next));
}

// One thread, one io_context, one resolver; owns the schedule of its checks.
class Engine::Worker {
 public:
  Worker(Engine& engine)
      : engine_(engine), guard_(io_.get_executor()), wake_(io_),
        resolver_(io_.get_executor(), engine.options_.resolver) {}

  void start() {
    asio::co_spawn(io_, loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Replaces the set of checks (on the worker thread).
  void assign(std::vector<std::shared_ptr<const config::Check>> checks) {
    asio::post(io_, [this, checks = std::move(checks)]() mutable {
      std::map<std::string, Slot> next;
      auto now = SysClock::now();
      for (auto& c : checks) {
        std::string key = c->spec.key();
        auto it = slots_.find(key);
        Slot s;
        if (it != slots_.end() && it->second.check->spec.interval == c->spec.interval) {
          s = it->second;
        } else {
          s.due = next_on_grid(now, c->spec.interval, schedule_offset(key, c->spec.interval));
          if (it != slots_.end()) s.running = it->second.running;
        }
        s.check = c;
        s.generation = ++generation_;
        next.emplace(key, std::move(s));
      }
      slots_ = std::move(next);
      heap_ = {};
      for (auto& [key, s] : slots_) heap_.push({s.due, key, s.generation});
      waiting_.clear();
      wake_.cancel();
    });
  }

  void set_failing(const std::string& key, bool failing) {
    asio::post(io_, [this, key, failing] {
      auto it = slots_.find(key);
      if (it != slots_.end()) it->second.failing = failing;
    });
  }

  void stop_scheduling() {
    asio::post(io_, [this] {
      stopping_ = true;
      wake_.cancel();
    });
  }

  void join() {
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  probes::net::ResolverStats resolver_stats() { return resolver_.stats(); }

 private:
  struct Slot {
    std::shared_ptr<const config::Check> check;
    SysClock::time_point due{};
    bool running = false;
    bool failing = false;
    uint64_t generation = 0;
  };
  struct Due {
    SysClock::time_point at;
    std::string key;
    uint64_t generation;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  asio::awaitable<void> loop() {
    while (!stopping_) {
      auto now = SysClock::now();
      // Deferred runs first: they are already late.
      while (!waiting_.empty() && !stopping_) {
        auto it = slots_.find(waiting_.front().key);
        if (it == slots_.end() || it->second.generation != waiting_.front().generation) {
          waiting_.pop_front();
          continue;
        }
        if (!launch(it->second, waiting_.front().at)) break;
        waiting_.pop_front();
      }
      while (!heap_.empty() && heap_.top().at <= now && !stopping_) {
        Due d = heap_.top();
        heap_.pop();
        auto it = slots_.find(d.key);
        if (it == slots_.end() || it->second.generation != d.generation) continue;
        Slot& s = it->second;
        if (s.running) {
          engine_.metrics_.count_missed_run();
          schedule_next(s, now);
          continue;
        }
        if (!waiting_.empty() || !launch(s, d.at)) {
          engine_.metrics_.count_deferred_run();
          waiting_.push_back(d);
        }
      }
      auto wait = milliseconds(1000);
      if (!heap_.empty()) {
        auto until = heap_.top().at - SysClock::now();
        wait = std::clamp(std::chrono::duration_cast<milliseconds>(until), milliseconds(0),
                          milliseconds(1000));
      }
      if (!waiting_.empty()) wait = std::min(wait, milliseconds(50));
      wake_.expires_after(wait);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  void schedule_next(Slot& s, SysClock::time_point now) {
    const auto& spec = s.check->spec;
    if (s.failing && spec.retry_interval < spec.interval) {
      s.due = std::max(now, s.due + spec.retry_interval);
      if (s.due <= now) s.due = now + spec.retry_interval;
    } else {
      s.due = next_on_grid(std::max(now, s.due), spec.interval,
                           schedule_offset(spec.key(), spec.interval));
    }
    heap_.push({s.due, spec.key(), s.generation});
  }

  bool launch(Slot& s, SysClock::time_point due) {
    std::string host = s.check->probe->host_key();
    if (!engine_.try_acquire(host)) return false;
    s.running = true;
    auto now = SysClock::now();
    engine_.metrics_.observe_lag(std::max(0.0, std::chrono::duration<double>(now - due).count()));
    auto check = s.check;
    auto ctx = std::make_shared<probes::ProbeContext>(probes::ProbeContext{
        io_.get_executor(), resolver_, engine_.tls_, check->spec,
        std::chrono::steady_clock::now() + check->spec.timeout, engine_.store_});
    std::string key = check->spec.key();
    uint64_t generation = s.generation;
    asio::co_spawn(io_, run_check(check->probe, ctx, check),
                   [this, check, key, host, generation](std::exception_ptr, probes::Result r) {
                     engine_.release(host);
                     engine_.on_result(check, r);
                     auto it = slots_.find(key);
                     if (it != slots_.end()) {
                       it->second.running = false;
                       if (it->second.generation == generation) {
                         it->second.failing = r.status != probes::Status::ok;
                         schedule_next(it->second, SysClock::now());
                       }
                     }
                     wake_.cancel();
                   });
    return true;
  }

  Engine& engine_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  asio::steady_timer wake_;
  probes::net::Resolver resolver_;
  std::thread thread_;
  std::map<std::string, Slot> slots_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
  std::deque<Due> waiting_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

Engine::Engine(EngineOptions options, AgentMetrics& metrics, StateStore* store)
    : options_(std::move(options)), metrics_(metrics), store_(store) {
  int n = options_.workers > 0 ? options_.workers
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this));
}

Engine::~Engine() { stop(milliseconds(0)); }

Engine::Worker& Engine::worker_for(const std::string& key) {
  return *workers_[fnv1a(key + "#worker") % workers_.size()];
}

void Engine::start(const config::Config& config,
                   std::map<std::string, StoredState> restored) {
  {
    std::lock_guard lock(state_mutex_);
    for (auto& [key, st] : restored) {
      CheckState cs;
      cs.status = st.status;
      cs.since = st.since;
      cs.consecutive_failures = st.consecutive_failures;
      cs.last_json = std::move(st.last_result);
      states_[key] = std::move(cs);
    }
  }
  for (auto& w : workers_) w->start();
  apply(config);
  for (const auto& [key, st] : restored)
    if (st.status != probes::Status::ok) worker_for(key).set_failing(key, true);
}

void Engine::apply(const config::Config& config) {
  std::vector<std::vector<std::shared_ptr<const config::Check>>> per_worker(workers_.size());
  std::set<std::string> keys;
  for (const auto& c : config.checks) {
    std::string key = c->spec.key();
    keys.insert(key);
    per_worker[fnv1a(key + "#worker") % workers_.size()].push_back(c);
  }
  {
    std::lock_guard lock(state_mutex_);
    for (auto it = states_.begin(); it != states_.end();) {
      if (!keys.count(it->first)) {
        metrics_.forget_check(it->first);
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& c : config.checks) states_[c->spec.key()].check = c;
  }
  for (size_t i = 0; i < workers_.size(); ++i) workers_[i]->assign(std::move(per_worker[i]));
  metrics_.set_checks_configured(static_cast<double>(config.checks.size()));
}

void Engine::stop(milliseconds grace) {
  if (workers_.empty()) return;
  for (auto& w : workers_) w->stop_scheduling();
  auto until = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(milliseconds(20));
  if (in_flight_.load() > 0)
    spdlog::warn("stopping with {} checks still running after the grace period", in_flight_.load());
  for (auto& w : workers_) w->join();
  workers_.clear();
}

bool Engine::try_acquire(const std::string& host) {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    return false;
  }
  if (!host.empty()) {
    std::lock_guard lock(hosts_mutex_);
    int& n = per_host_[host];
    if (n >= options_.per_host_limit) {
      in_flight_.fetch_sub(1);
      return false;
    }
    ++n;
  }
  metrics_.set_in_flight(in_flight_.load());
  return true;
}

void Engine::release(const std::string& host) {
  if (!host.empty()) {
    std::lock_guard lock(hosts_mutex_);
    auto it = per_host_.find(host);
    if (it != per_host_.end() && --it->second <= 0) per_host_.erase(it);
  }
  in_flight_.fetch_sub(1);
  metrics_.set_in_flight(in_flight_.load());
}

void Engine::on_result(const std::shared_ptr<const config::Check>& check, const probes::Result& r) {
  const auto& spec = check->spec;
  std::string key = spec.key();
  {
    std::lock_guard lock(state_mutex_);
    auto it = states_.find(key);
    if (it == states_.end() || it->second.check != check) return;  // removed or replaced
    CheckState& st = it->second;
    if (st.status != r.status) {
      if (!st.last_json.empty())
        spdlog::info("{}: {} -> {}: {}", key, to_string(st.status), to_string(r.status), r.summary);
      st.status = r.status;
      st.since = r.started;
    }
    st.consecutive_failures = r.status == probes::Status::ok ? 0 : st.consecutive_failures + 1;
    st.last_json = r.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    st.last_json.shrink_to_fit();
  }
  metrics_.record_result(spec, r);
  if (store_) store_->record_result(key, r);
}

probes::net::ResolverStats Engine::resolver_stats() const {
  probes::net::ResolverStats total;
  for (const auto& w : workers_) {
    auto s = w->resolver_stats();
    total.cache_hits += s.cache_hits;
    total.cache_misses += s.cache_misses;
  }
  return total;
}

namespace {
// One check's API object without its last result (appended as text by the callers).
nlohmann::json check_head(const std::string& key, const config::Check& check, probes::Status status,
                          std::chrono::system_clock::time_point since, int failures) {
  const auto& spec = check.spec;
  nlohmann::json j{{"key", key},
                   {"client", spec.client_id},
                   {"site", spec.site_id},
                   {"check", spec.check_id},
                   {"type", spec.type},
                   {"target", spec.target},
                   {"interval_seconds", spec.interval.count() / 1000.0},
                   {"status", to_string(status)},
                   {"consecutive_failures", failures}};
  j["since"] = since.time_since_epoch().count() == 0
                   ? nlohmann::json(nullptr)
                   : nlohmann::json(std::chrono::duration<double>(since.time_since_epoch()).count());
  return j;
}
}  // namespace

std::string Engine::checks_json_text() const {
  std::string out = "[";
  std::lock_guard lock(state_mutex_);
  bool first = true;
  for (const auto& [key, st] : states_) {
    if (!st.check) continue;
    std::string head = check_head(key, *st.check, st.status, st.since, st.consecutive_failures)
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    head.pop_back();  // reopen the object to splice the stored result text in
    if (!first) out += ',';
    first = false;
    out += head;
    out += ",\"last_result\":";
    out += st.last_json.empty() ? "null" : st.last_json;
    out += '}';
  }
  out += ']';
  return out;
}

nlohmann::json Engine::checks_json() const { return nlohmann::json::parse(checks_json_text()); }

}  // namespace lookout::agent
