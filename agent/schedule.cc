#include "agent/schedule.h"

#include <algorithm>

namespace lookout::agent {
using std::chrono::milliseconds;

uint64_t stable_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
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

milliseconds schedule_offset(const std::string& key, milliseconds interval) {
  if (interval.count() <= 0) return milliseconds(0);
  return milliseconds(
      static_cast<int64_t>(stable_hash(key) % static_cast<uint64_t>(interval.count())));
}

TimePoint next_on_grid(TimePoint after, milliseconds interval, milliseconds offset) {
  int64_t t = std::chrono::duration_cast<milliseconds>(after.time_since_epoch()).count();
  int64_t iv = interval.count(), off = offset.count();
  int64_t k = (t - off) >= 0 ? (t - off) / iv + 1 : -((off - t) / iv);
  int64_t next = k * iv + off;
  if (next <= t) next += iv;
  return TimePoint(milliseconds(next));
}

TimePoint Schedule::first_due(const std::string& key, const config::Check& c, TimePoint now,
                              const RestoredRun* restored) const {
  const auto& spec = c.spec;
  if (!restored) {
    // Never ran: soon, spread over the warm-up (or the interval when that is shorter).
    auto spread = std::min(warmup_, spec.interval);
    return now + schedule_offset(key + "#warmup", spread);
  }
  if (restored->failing && spec.retry_interval < spec.interval) {
    auto due = restored->last_run + spec.retry_interval;
    if (due > now) return due;
    return now + schedule_offset(key + "#warmup", std::min(warmup_, spec.retry_interval));
  }
  return next_on_grid(now, spec.interval, schedule_offset(key, spec.interval));
}

void Schedule::assign(const std::vector<CheckPtr>& checks, TimePoint now,
                      const std::map<std::string, RestoredRun>& restored) {
  std::map<std::string, Slot> next;
  for (const auto& c : checks) {
    std::string key = c->spec.key();
    auto it = slots_.find(key);
    Slot s;
    if (it != slots_.end() && it->second.check->spec.interval == c->spec.interval &&
        it->second.check->spec.retry_interval == c->spec.retry_interval) {
      s = it->second;
    } else {
      auto r = restored.find(key);
      s.due = first_due(key, *c, now, r == restored.end() ? nullptr : &r->second);
      s.failing = r != restored.end() && r->second.failing;
      if (it != slots_.end()) {
        s.running = it->second.running;
        s.failing = it->second.failing;
      }
    }
    s.check = c;
    s.generation = ++generation_;
    next.emplace(std::move(key), std::move(s));
  }
  slots_ = std::move(next);
  heap_ = {};
  for (auto& [key, s] : slots_) heap_.push({s.due, key, s.generation});
}

void Schedule::drop_stale() {
  while (!heap_.empty()) {
    auto it = slots_.find(heap_.top().key);
    if (it != slots_.end() && it->second.generation == heap_.top().generation &&
        it->second.due == heap_.top().at)
      return;
    heap_.pop();
  }
}

std::vector<Schedule::Run> Schedule::take_due(TimePoint now, int* missed) {
  std::vector<Run> out;
  for (drop_stale(); !heap_.empty() && heap_.top().at <= now; drop_stale()) {
    Due d = heap_.top();
    heap_.pop();
    Slot& s = slots_.at(d.key);
    if (s.running) {
      if (missed) ++*missed;
      schedule_next(d.key, s, now);
      continue;
    }
    s.running = true;
    out.push_back(Run{s.check, d.at, s.generation});
  }
  return out;
}

int Schedule::finished(const std::string& key, uint64_t generation, bool failing, TimePoint now) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return 0;
  Slot& s = it->second;
  s.running = false;
  if (s.generation != generation) return 0;  // replaced by a reload meanwhile: its due stands
  const auto& spec = s.check->spec;
  auto step = s.failing && spec.retry_interval < spec.interval ? spec.retry_interval : spec.interval;
  int missed = step.count() > 0 && now > s.due ? static_cast<int>((now - s.due) / step) : 0;
  s.failing = failing;
  schedule_next(key, s, now);
  return missed;
}

void Schedule::schedule_next(const std::string& key, Slot& s, TimePoint now) {
  const auto& spec = s.check->spec;
  if (s.failing && spec.retry_interval < spec.interval) {
    s.due = std::max(now, s.due + spec.retry_interval);
    if (s.due <= now) s.due = now + spec.retry_interval;
  } else {
    s.due = next_on_grid(std::max(now, s.due), spec.interval, schedule_offset(key, spec.interval));
  }
  heap_.push({s.due, key, s.generation});
}

std::optional<TimePoint> Schedule::next_due() const {
  // Stale entries only make the wake-up early, never late.
  if (heap_.empty()) return std::nullopt;
  return heap_.top().at;
}

std::optional<TimePoint> Schedule::due_of(const std::string& key) const {
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  return it->second.due;
}

bool Schedule::is_running(const std::string& key) const {
  auto it = slots_.find(key);
  return it != slots_.end() && it->second.running;
}

}  // namespace lookout::agent
