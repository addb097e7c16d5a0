// The template part of availability.h.
#pragma once

#include <algorithm>

namespace lookout::reports {

template <class Pred>
std::vector<int64_t> time_in_status(const std::vector<store::Transition>& transitions,
                                    TimePoint from, TimePoint to,
                                    const std::vector<TimePoint>& day_starts, Pred pred) {
  std::vector<int64_t> per_day(day_starts.size(), 0);
  auto add = [&](TimePoint a, TimePoint b) {
    a = std::max(a, from);
    b = std::min(b, to);
    while (a < b) {
      auto it = std::upper_bound(day_starts.begin(), day_starts.end(), a);
      size_t day = static_cast<size_t>(std::max<std::ptrdiff_t>(0, it - day_starts.begin() - 1));
      TimePoint day_end = it == day_starts.end() ? to : std::min(*it, to);
      TimePoint e = std::min(b, day_end);
      if (day < per_day.size())
        per_day[day] += std::chrono::duration_cast<std::chrono::milliseconds>(e - a).count();
      a = e;
    }
  };
  for (size_t i = 0; i < transitions.size(); ++i) {
    if (!pred(transitions[i].to)) continue;
    TimePoint a = transitions[i].at;
    TimePoint b = i + 1 < transitions.size() ? transitions[i + 1].at : to;
    if (b > from && a < to) add(a, b);
  }
  return per_day;
}

}  // namespace lookout::reports
