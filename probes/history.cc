#include "probes/history.h"

namespace lookout::probes {

std::vector<SeriesPoint> MemoryHistory::series(const std::string& check_key,
                                               const std::string& series,
                                               std::chrono::system_clock::time_point since) {
  std::vector<SeriesPoint> out;
  for (const auto& r : rows_)
    if (r.key == check_key && r.series == series && r.point.at >= since) out.push_back(r.point);
  return out;
}

void MemoryHistory::record(const std::string& check_key, const std::string& series,
                           std::chrono::system_clock::time_point at, double value) {
  rows_.push_back(Row{check_key, series, SeriesPoint{at, value}});
}

std::optional<std::string> MemoryHistory::get_fact(const std::string& check_key,
                                                   const std::string& key) {
  for (const auto& [k, v] : facts_)
    if (k == check_key + "\n" + key) return v;
  return std::nullopt;
}

void MemoryHistory::set_fact(const std::string& check_key, const std::string& key,
                             const std::optional<std::string>& value) {
  std::string k = check_key + "\n" + key;
  for (auto it = facts_.begin(); it != facts_.end(); ++it)
    if (it->first == k) {
      facts_.erase(it);
      break;
    }
  if (value) facts_.emplace_back(k, *value);
}

}  // namespace lookout::probes
