// probes::History: the narrow view of stored state a probe may use (disk fill projection,
// patch exposure dates). Implemented by the agent's state store; reads are served from memory,
// writes are queued, so calling it from a worker thread never blocks on disk.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace lookout::probes {

struct SeriesPoint {
  std::chrono::system_clock::time_point at;
  double value = 0;
};

class History {
 public:
  virtual ~History() = default;
  /// Points of a numeric series recorded for `check_key`, oldest first, at or after `since`.
  virtual std::vector<SeriesPoint> series(const std::string& check_key, const std::string& series,
                                          std::chrono::system_clock::time_point since) = 0;
  /// Adds a point; the store keeps at most one point per series per `resolution` (last wins).
  virtual void record(const std::string& check_key, const std::string& series,
                      std::chrono::system_clock::time_point at, double value) = 0;
  /// Small durable key/value facts per check ("insecure_since" and the like).
  virtual std::optional<std::string> get_fact(const std::string& check_key,
                                              const std::string& key) = 0;
  virtual void set_fact(const std::string& check_key, const std::string& key,
                        const std::optional<std::string>& value) = 0;
};

/// An in-memory History for one-shot checks and tests.
class MemoryHistory : public History {
 public:
  std::vector<SeriesPoint> series(const std::string& check_key, const std::string& series,
                                  std::chrono::system_clock::time_point since) override;
  void record(const std::string& check_key, const std::string& series,
              std::chrono::system_clock::time_point at, double value) override;
  std::optional<std::string> get_fact(const std::string& check_key, const std::string& key) override;
  void set_fact(const std::string& check_key, const std::string& key,
                const std::optional<std::string>& value) override;

 private:
  struct Row {
    std::string key, series;
    SeriesPoint point;
  };
  std::vector<Row> rows_;
  std::vector<std::pair<std::string, std::string>> facts_;
};

}  // namespace lookout::probes
