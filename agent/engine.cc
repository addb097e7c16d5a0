#include "agent/engine.h"

#include <algorithm>
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

namespace lookout::agent {
namespace asio = boost::asio;
using std::chrono::milliseconds;

// One thread, one io_context, one resolver; owns the schedule of its checks.
class Engine::Worker {
 public:
  Worker(Engine& engine)
      : engine_(engine), guard_(io_.get_executor()), wake_(io_),
        resolver_(io_.get_executor(), engine.options_.resolver),
        schedule_(engine.options_.warmup) {}

  void start() {
    asio::co_spawn(io_, loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Replaces the set of checks (on the worker thread).
  void assign(std::vector<std::shared_ptr<const config::Check>> checks,
              std::map<std::string, RestoredRun> known) {
    asio::post(io_, [this, checks = std::move(checks), known = std::move(known)] {
      schedule_.assign(checks, engine_.clock_.now(), known);
      engine_.record_next_runs(checks, schedule_);
      waiting_.clear();
      wake_.cancel();
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

  net::ResolverStats resolver_stats() { return resolver_.stats(); }

 private:
  asio::awaitable<void> loop() {
    while (!stopping_) {
      auto now = engine_.clock_.now();
      int missed = 0;
      size_t before = waiting_.size();  // already waiting (and counted as deferred)
      for (auto& run : schedule_.take_due(now, &missed)) waiting_.push_back(std::move(run));
      for (int i = 0; i < missed; ++i) engine_.metrics_.count_missed_run();
      // Oldest first; a run that cannot start (in-flight limits) waits, and so do the rest.
      size_t launched = 0;
      while (launched < waiting_.size() && !stopping_ && launch(waiting_[launched])) ++launched;
      waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(launched));
      size_t old_left = before > launched ? before - launched : 0;
      for (size_t i = old_left; i < waiting_.size(); ++i) engine_.metrics_.count_deferred_run();

      auto wait = milliseconds(1000);
      if (auto next = schedule_.next_due()) {
        auto until = *next - engine_.clock_.now();
        wait = std::clamp(std::chrono::duration_cast<milliseconds>(until), milliseconds(0),
                          milliseconds(1000));
      }
      if (!waiting_.empty()) wait = std::min(wait, milliseconds(50));
      wake_.expires_after(wait);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  bool launch(const Schedule::Run& run) {
    std::string host = run.check->probe->host_key();
    if (!engine_.try_acquire(host)) return false;
    auto now = engine_.clock_.now();
    engine_.metrics_.observe_lag(
        std::max(0.0, std::chrono::duration<double>(now - run.due).count()));
    auto check = run.check;
    auto ctx = std::make_shared<probes::ProbeContext>(
        io_.get_executor(), resolver_, engine_.tls_, check->spec,
        std::chrono::steady_clock::now() + check->spec.timeout, engine_.history_, engine_.clock_);
    std::string key = check->spec.key();
    uint64_t generation = run.generation;
    asio::co_spawn(io_, run_check(check->probe, ctx, check, engine_.clock_),
                   [this, check, key, host, generation](std::exception_ptr, probes::Result r) {
                     engine_.release(host);
                     auto failing = engine_.on_result(check, r);
                     int missed = schedule_.finished(key, generation, failing.value_or(false),
                                                     engine_.clock_.now());
                     for (int i = 0; i < missed; ++i) engine_.metrics_.count_missed_run();
                     engine_.record_next_runs({check}, schedule_);
                     wake_.cancel();
                   });
    return true;
  }

  Engine& engine_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  asio::steady_timer wake_;
  net::Resolver resolver_;
  std::thread thread_;
  Schedule schedule_;
  std::vector<Schedule::Run> waiting_;  // due, waiting for the in-flight limits
  bool stopping_ = false;
};

Engine::Engine(EngineOptions options, AgentMetrics& metrics, probes::History* history,
               const Clock& clock)
    : options_(std::move(options)), metrics_(metrics), history_(history), clock_(clock) {
  int n = options_.workers > 0 ? options_.workers
                               : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(*this));
}

Engine::~Engine() { stop(milliseconds(0)); }

Engine::Worker& Engine::worker_for(const std::string& key) {
  return *workers_[stable_hash(key + "#worker") % workers_.size()];
}

void Engine::start(const config::Config& config,
                   std::map<std::string, store::StoredState> restored) {
  {
    std::lock_guard lock(state_mutex_);
    for (auto& [key, st] : restored) states_[key] = restore_health(std::move(st));
  }
  for (auto& w : workers_) w->start();
  apply(config);
  // Export what was known before the restart at once: a restart must not look like recovery.
  std::vector<std::pair<std::shared_ptr<const config::Check>, std::string>> known;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [key, h] : states_)
      if (h.check && !h.last_json.empty()) known.emplace_back(h.check, h.last_json);
  }
  for (const auto& [check, text] : known) {
    auto last = probes::Result::from_json_text(text);
    if (!last) continue;
    for (auto* l : listeners_) l->on_check_restored(*check, *last);
    // The samples were only needed for that export: keep the lean text, as after a run.
    std::string lean =
        last->to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(state_mutex_);
    auto it = states_.find(check->spec.key());
    if (it != states_.end() && it->second.check == check && it->second.last_json == text)
      it->second.last_json = std::move(lean);
  }
}

std::map<std::string, RestoredRun> Engine::known_runs(const config::Config& config) const {
  std::map<std::string, RestoredRun> out;
  std::lock_guard lock(state_mutex_);
  for (const auto& c : config.checks) {
    auto it = states_.find(c->spec.key());
    if (it == states_.end() || it->second.last_json.empty()) continue;
    out[it->first] = RestoredRun{it->second.status != probes::Status::ok, it->second.last_run};
  }
  return out;
}

void Engine::apply(const config::Config& config) {
  std::vector<std::vector<std::shared_ptr<const config::Check>>> per_worker(workers_.size());
  std::set<std::string> keys;
  for (const auto& c : config.checks) {
    std::string key = c->spec.key();
    keys.insert(key);
    per_worker[stable_hash(key + "#worker") % workers_.size()].push_back(c);
  }
  auto known = known_runs(config);
  std::vector<std::string> removed;
  {
    std::lock_guard lock(state_mutex_);
    for (auto it = states_.begin(); it != states_.end();) {
      if (!keys.count(it->first)) {
        if (it->second.check) removed.push_back(it->first);
        it = states_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& c : config.checks) states_[c->spec.key()].check = c;
  }
  for (const auto& key : removed)
    for (auto* l : listeners_) l->on_check_removed(key);
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::map<std::string, RestoredRun> mine;
    for (const auto& c : per_worker[i]) {
      auto it = known.find(c->spec.key());
      if (it != known.end()) mine.insert(*it);
    }
    workers_[i]->assign(std::move(per_worker[i]), std::move(mine));
  }
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

std::optional<bool> Engine::on_result(const std::shared_ptr<const config::Check>& check,
                                      const probes::Result& original) {
  std::optional<probes::Result> annotated;
  if (annotator_) {
    annotated = original;
    if (!annotator_(*check, *annotated)) annotated.reset();
  }
  const probes::Result& r = annotated ? *annotated : original;
  HealthStep step;
  std::chrono::system_clock::time_point since;
  int failures;
  {
    std::lock_guard lock(state_mutex_);
    auto it = states_.find(check->spec.key());
    if (it == states_.end() || it->second.check != check) return std::nullopt;  // removed/replaced
    CheckHealth& st = it->second;
    step = advance(st, r);
    since = st.since;
    failures = st.consecutive_failures;
  }
  CheckEvent event{*check, r, step.previous, step.first, step.transition, since, failures};
  for (auto* l : listeners_) l->on_check_result(event);
  return r.status != probes::Status::ok;
}

net::ResolverStats Engine::resolver_stats() const {
  net::ResolverStats total;
  for (const auto& w : workers_) {
    auto s = w->resolver_stats();
    total.cache_hits += s.cache_hits;
    total.cache_misses += s.cache_misses;
  }
  return total;
}

void Engine::for_each_check(
    const std::function<void(const std::string&, const CheckHealth&)>& fn) const {
  std::lock_guard lock(state_mutex_);
  for (const auto& [key, st] : states_)
    if (st.check) fn(key, st);
}

std::optional<CheckHealth> Engine::check(const std::string& key) const {
  std::lock_guard lock(state_mutex_);
  auto it = states_.find(key);
  if (it == states_.end() || !it->second.check) return std::nullopt;
  return it->second;
}

std::optional<std::chrono::system_clock::time_point> Engine::next_run(
    const std::string& key) const {
  std::lock_guard lock(state_mutex_);
  auto it = states_.find(key);
  if (it == states_.end() || !it->second.check || it->second.next_run == TimePoint{})
    return std::nullopt;
  return it->second.next_run;
}

void Engine::record_next_runs(const std::vector<std::shared_ptr<const config::Check>>& checks,
                              const Schedule& schedule) {
  std::lock_guard lock(state_mutex_);
  for (const auto& c : checks) {
    auto it = states_.find(c->spec.key());
    if (it == states_.end() || it->second.check != c) continue;  // removed or replaced
    it->second.next_run = schedule.due_of(it->first).value_or(TimePoint{});
  }
}


}  // namespace lookout::agent
