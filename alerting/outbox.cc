#include "alerting/outbox.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string_view>
#include <unordered_set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace lookout::alerting {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

/// What delivery order is kept over: the incident key (the id without "#N"), so a check's next
/// incident never overtakes the previous one's resolve. PagerDuty's dedup_key and Alertmanager's
/// label set are per check, not per incident: "#4 trigger, #3 resolve" would close #4's page.
std::string_view order_key(const std::string& incident) {
  std::string_view v(incident);
  auto hash = v.rfind('#');
  return hash == std::string_view::npos ? v : v.substr(0, hash);
}

}  // namespace

Outbox::Outbox(store::Store& store, const Clock& clock, OutboxOptions options)
    : store_(store), clock_(clock), options_(options),
      rng_(options.seed ? options.seed : std::random_device{}()) {}

Outbox::~Outbox() {
  std::unique_lock lock(writes_mutex_);
  writes_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return writes_in_flight_ == 0; });
}

void Outbox::add_pending(SinkState& s, const Notification& n, int attempts, TimePoint next_attempt) {
  s.pending.emplace(n.id, Entry{n, attempts, next_attempt, false, false, ""});
}

void Outbox::add_sink(std::shared_ptr<Sink> sink, int max_in_flight) {
  std::lock_guard lock(mutex_);
  SinkState& s = sinks_[sink->id()];
  s.sink = std::move(sink);
  s.max_in_flight = std::max(1, max_in_flight);
  // Notifications that waited for this sink.
  auto it = std::remove_if(orphans_.begin(), orphans_.end(), [&](const Orphan& o) {
    if (o.n.sink != s.sink->id()) return false;
    add_pending(s, o.n, o.attempts, o.next_attempt);
    return true;
  });
  orphans_.erase(it, orphans_.end());
}

bool Outbox::has_sink(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return sinks_.count(id) > 0;
}

void Outbox::load() {
  auto stored = store_.values("outbox");
  {
    std::lock_guard lock(mutex_);
    const TimePoint now = clock_.now();
    for (const auto& [key, text] : stored) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      auto n = Notification::from_json(j);
      if (!n) {
        spdlog::error("outbox: unreadable notification {} left in the store", key);
        continue;
      }
      // The backoff where it was before the restart (never later than now + max_backoff, so a
      // clock that jumped back cannot hold a notification for long).
      const int attempts = j.is_object() ? std::max(0, j.value("attempts", 0)) : 0;
      TimePoint next = now;
      if (j.is_object() && j.contains("retry_at") && j["retry_at"].is_string())
        if (auto t = parse_time(j["retry_at"].get<std::string>()))
          next = std::clamp(*t, now, now + std::max(options_.max_backoff, options_.max_retry_after));
      auto it = sinks_.find(n->sink);
      if (it == sinks_.end()) orphans_.push_back(Orphan{*n, attempts, next});
      else add_pending(it->second, *n, attempts, next);
    }
  }
  wake();
}

void Outbox::enqueue(const std::vector<Notification>& notifications) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& n : notifications) {
      auto it = sinks_.find(n.sink);
      if (it == sinks_.end()) {
        orphans_.push_back(Orphan{n, 0, clock_.now()});
        continue;
      }
      add_pending(it->second, n, 0, clock_.now());
    }
  }
  wake();
}

milliseconds Outbox::backoff(int attempts) {
  double base = static_cast<double>(options_.base_backoff.count());
  double d = base * std::pow(2.0, std::min(attempts - 1, 40));
  d = std::min(d, static_cast<double>(options_.max_backoff.count()));
  std::uniform_real_distribution<double> factor(1.0 - options_.jitter, 1.0);
  return milliseconds(static_cast<int64_t>(d * factor(rng_)));
}

void Outbox::pump(asio::any_io_executor executor) {
  struct Start {
    std::shared_ptr<Sink> sink;
    Notification n;
  };
  std::vector<Start> starts;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    const TimePoint now = clock_.now();
    for (auto& [sink_id, s] : sinks_) {
      // Incidents with an earlier notification pending. The scan stops as soon as the sink's
      // slots are full, so a deep queue costs only what is looked at (a storm of 10,000 once
      // made every completion rescan all of them).
      std::unordered_set<std::string_view> blocked;
      for (auto& [id, e] : s.pending) {
        if (s.in_flight >= s.max_in_flight) break;
        if (!blocked.insert(order_key(e.n.incident)).second) continue;
        if (e.in_flight || e.done || e.next_attempt > now) continue;
        e.in_flight = true;
        ++s.in_flight;
        starts.push_back({s.sink, e.n});
      }
    }
  }
  for (auto& st : starts) {
    asio::co_spawn(
        executor,
        [this, sink = st.sink, n = std::move(st.n)]() -> asio::awaitable<void> {
          Delivery d;
          try {
            d = co_await sink->deliver(n);
          } catch (const std::exception& e) {
            d = Delivery::again(std::string("sink error: ") + e.what());
          }
          finish(sink->id(), n.id, std::move(d));
        },
        asio::detached);
  }
}

void Outbox::finish(const std::string& sink_id, int64_t id, Delivery d) {
  store::Transaction tx;
  bool final = false;
  {
    std::lock_guard lock(mutex_);
    auto sit = sinks_.find(sink_id);
    if (sit == sinks_.end()) return;
    SinkState& s = sit->second;
    auto it = s.pending.find(id);
    if (it == s.pending.end()) return;
    Entry& e = it->second;
    e.in_flight = false;
    --s.in_flight;
    ++e.attempts;
    const TimePoint now = clock_.now();
    if (d.kind == Delivery::retry && now - e.n.created >= options_.max_age) {
      d = Delivery::reject("gave up after " + std::to_string(e.attempts) + " attempts: " + d.reason);
    }
    const std::string key = e.n.store_key();
    nlohmann::json record = e.n.to_json();
    record["attempts"] = e.attempts;
    if (d.kind == Delivery::retry) {
      ++s.retried;
      e.last_error = d.reason;
      milliseconds wait = d.retry_after ? std::min(*d.retry_after, options_.max_retry_after)
                                        : backoff(e.attempts);
      e.next_attempt = now + wait;
      // The backoff survives a restart: the stored notification carries it.
      record["retry_at"] = format_time(e.next_attempt);
      record["last_error"] = d.reason;
      tx.values.push_back(store::Value{"outbox", key, record.dump()});
      spdlog::warn("outbox {}: notification {} ({} {}) attempt {} failed: {}; retry in {} ms",
                   sink_id, id, e.n.event, e.n.incident, e.attempts, d.reason, wait.count());
    } else {
      final = true;
      e.done = true;  // still blocks the incident's next notification until this is on disk
      tx.values.push_back(store::Value{"outbox", key, std::nullopt});
      record["finished"] = format_time(now);
      if (d.kind == Delivery::delivered) {
        ++s.delivered;
        tx.events.push_back(store::Event{"notification", key, 1, now, "delivered", record.dump()});
      } else {
        ++s.failed;
        record["reason"] = d.reason;
        tx.values.push_back(store::Value{"outbox_failed", key, record.dump()});
        tx.events.push_back(store::Event{"notification", key, 1, now, "failed", record.dump()});
        spdlog::error("outbox {}: notification {} ({} {}) rejected for good: {}", sink_id, id,
                      e.n.event, e.n.incident, d.reason);
      }
    }
  }
  {
    std::lock_guard lock(writes_mutex_);
    ++writes_in_flight_;
  }
  store_.commit(std::move(tx), [this, final, sink_id, id](store::CommitResult r) {
    if (!r.ok) spdlog::error("outbox: cannot record a delivery: {}", r.error);
    // Even when the record failed, let the incident's next notification go: the outcome
    // happened; holding the rest back forever would be worse than a duplicate after a crash.
    if (final) finished_on_disk(sink_id, id);
    {
      std::lock_guard lock(writes_mutex_);
      --writes_in_flight_;
    }
    writes_cv_.notify_all();
  });
  if (final) {
    std::function<void(const std::string&, const Delivery&)> outcome;
    {
      std::lock_guard lock(mutex_);
      outcome = on_outcome_;
    }
    if (outcome) outcome(sink_id, d);
  }
  wake();
}

void Outbox::set_on_outcome(std::function<void(const std::string& sink, const Delivery& d)> fn) {
  std::lock_guard lock(mutex_);
  on_outcome_ = std::move(fn);
}

void Outbox::finished_on_disk(const std::string& sink_id, int64_t id) {
  {
    std::lock_guard lock(mutex_);
    auto sit = sinks_.find(sink_id);
    if (sit == sinks_.end()) return;
    sit->second.pending.erase(id);
  }
  wake();
}

std::optional<TimePoint> Outbox::next_due() const {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  std::optional<TimePoint> due;
  for (const auto& [sink_id, s] : sinks_) {
    if (s.in_flight >= s.max_in_flight) continue;  // a completion wakes the loop
    std::unordered_set<std::string_view> blocked;
    for (const auto& [id, e] : s.pending) {
      if (!blocked.insert(order_key(e.n.incident)).second) continue;
      if (e.in_flight || e.done) continue;
      if (e.next_attempt <= now) return e.next_attempt;  // due already: no need to look further
      if (!due || e.next_attempt < *due) due = e.next_attempt;
    }
  }
  return due;
}

size_t Outbox::in_flight() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& [id, s] : sinks_) n += static_cast<size_t>(s.in_flight);
  return n;
}

std::map<std::string, SinkStats> Outbox::stats() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, SinkStats> out;
  for (const auto& [id, s] : sinks_) {
    SinkStats st;
    for (const auto& [nid, e] : s.pending) {
      if (e.done) continue;  // delivered or parked; only its record is still being written
      ++st.pending;
      if (!st.oldest || e.n.created < *st.oldest) st.oldest = e.n.created;
    }
    st.delivered = s.delivered;
    st.retried = s.retried;
    st.failed = s.failed;
    out[id] = st;
  }
  return out;
}

void Outbox::set_wake(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

void Outbox::wake() {
  std::function<void()> w;
  {
    std::lock_guard lock(mutex_);
    w = wake_;
  }
  if (w) w();
}

void Outbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake();
}

asio::awaitable<void> Outbox::run() {
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  auto woken = std::make_shared<std::atomic<bool>>(false);
  set_wake([timer, woken, executor] {
    woken->store(true);
    asio::post(executor, [timer] { timer->cancel(); });
  });
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) break;
    }
    pump(executor);
    milliseconds wait(1000);
    if (auto due = next_due()) {
      auto d = std::chrono::duration_cast<milliseconds>(*due - clock_.now());
      wait = std::clamp(d, milliseconds(0), milliseconds(1000));
    }
    if (woken->exchange(false)) continue;  // new work arrived while pumping
    timer->expires_after(wait);
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  set_wake(nullptr);
}

}  // namespace lookout::alerting
