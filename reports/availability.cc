#include "reports/availability.h"

#include <algorithm>

namespace lookout::reports {
namespace {

using std::chrono::milliseconds;

enum class State { no_data, maintenance, unknown, up, down };

int64_t ms(TimePoint a, TimePoint b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

TimePoint hour_start(int64_t h) { return TimePoint(std::chrono::hours(h)); }

std::vector<Interval> merge(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.from < b.from; });
  std::vector<Interval> out;
  for (const auto& i : v) {
    if (i.to <= i.from) continue;
    if (!out.empty() && i.from <= out.back().to) out.back().to = std::max(out.back().to, i.to);
    else out.push_back(i);
  }
  return out;
}

// A cursor over sorted, merged intervals for queries at non-decreasing instants.
struct IntervalCursor {
  const std::vector<Interval>* v;
  size_t i = 0;
  bool contains(TimePoint t) {
    while (i < v->size() && (*v)[i].to <= t) ++i;
    return i < v->size() && (*v)[i].from <= t;
  }
};

struct CheckCursor {
  const CheckTimeline* c;
  std::vector<Interval> coverage, maintenance;
  IntervalCursor cov{nullptr}, maint{nullptr};
  size_t next = 0;  // first transition after the current instant
  State at(TimePoint t) {
    if (maint.contains(t)) return State::maintenance;
    if (!cov.contains(t)) return State::no_data;
    const auto& tr = c->transitions;
    while (next < tr.size() && tr[next].at <= t) ++next;
    if (next == 0) return State::no_data;
    switch (tr[next - 1].to) {
      case probes::Status::ok:
      case probes::Status::warning: return State::up;
      case probes::Status::critical: return State::down;
      case probes::Status::unknown: return State::unknown;
    }
    return State::unknown;
  }
};

void add(StateTotals& t, State s, int64_t d) {
  switch (s) {
    case State::up: t.up_ms += d; break;
    case State::down: t.down_ms += d; break;
    case State::unknown: t.unknown_ms += d; break;
    case State::maintenance: t.maintenance_ms += d; break;
    case State::no_data: t.no_data_ms += d; break;
  }
}

}  // namespace

std::optional<double> StateTotals::uptime_pct() const {
  if (up_ms + down_ms <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(up_ms) / static_cast<double>(up_ms + down_ms);
}

Availability site_availability(const std::vector<CheckTimeline>& checks,
                               const std::vector<Interval>& site_maintenance, TimePoint from,
                               TimePoint to, const std::vector<TimePoint>& day_starts) {
  Availability out;
  out.days.resize(day_starts.size());
  if (to <= from) return out;
  std::vector<TimePoint> points{from, to};
  for (auto d : day_starts)
    if (d > from && d < to) points.push_back(d);
  std::vector<CheckCursor> cursors;
  cursors.reserve(checks.size());
  for (const auto& c : checks) {
    CheckCursor cur;
    cur.c = &c;
    int64_t span_hours = std::max<int64_t>(
        1, (std::chrono::duration_cast<milliseconds>(c.interval).count() + 3'599'999) / 3'600'000);
    std::vector<Interval> cov;
    for (int64_t h : c.run_hours) cov.push_back({hour_start(h), hour_start(h + span_hours)});
    cur.coverage = merge(std::move(cov));
    cur.maintenance = merge(c.maintenance);
    for (const auto& i : cur.coverage) points.insert(points.end(), {i.from, i.to});
    for (const auto& i : cur.maintenance) points.insert(points.end(), {i.from, i.to});
    for (const auto& t : c.transitions)
      if (t.at > from && t.at < to) points.push_back(t.at);
    cursors.push_back(std::move(cur));
  }
  for (auto& cur : cursors) {
    cur.cov.v = &cur.coverage;
    cur.maint.v = &cur.maintenance;
  }
  auto site_maint = merge(site_maintenance);
  for (const auto& i : site_maint) points.insert(points.end(), {i.from, i.to});
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  IntervalCursor sm{&site_maint};
  for (size_t p = 0; p + 1 < points.size(); ++p) {
    TimePoint a = points[p], b = points[p + 1];
    if (a < from) continue;
    if (a >= to) break;
    State s = State::no_data;
    if (sm.contains(a)) {
      s = State::maintenance;
    } else {
      bool up = false, down = false, unknown = false, maint = false;
      for (auto& cur : cursors) {
        switch (cur.at(a)) {
          case State::up: up = true; break;
          case State::down: down = true; break;
          case State::unknown: unknown = true; break;
          case State::maintenance: maint = true; break;
          case State::no_data: break;
        }
      }
      s = down ? State::down : up ? State::up : unknown ? State::unknown
          : maint ? State::maintenance : State::no_data;
    }
    int64_t d = ms(a, b);
    add(out.total, s, d);
    auto it = std::upper_bound(day_starts.begin(), day_starts.end(), a);
    if (it != day_starts.begin()) add(out.days[static_cast<size_t>(it - day_starts.begin() - 1)], s, d);
    if (s == State::down) {
      if (!out.down.empty() && out.down.back().to == a) out.down.back().to = b;
      else out.down.push_back({a, b});
    }
  }
  return out;
}

}  // namespace lookout::reports
