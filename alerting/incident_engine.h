// alerting::IncidentEngine: turns a check's stream of results into incidents. Pure logic: it
// takes each result with the time it was seen and returns what changed; no I/O, no clock reads.
//
// Rules (docs/alerting.md):
//  - A run is bad when warning or critical, good when ok. unknown (the probe could not tell)
//    counts neither way: it opens nothing and resolves nothing. Only a check that failed has a
//    track (memory at 100k checks); flap counting starts at its first failure.
//  - An incident opens after `failure_threshold` bad runs in a row and resolves after
//    `success_threshold` good runs in a row (CheckSpec, inherited like `interval`).
//  - While open, a change of severity (warning <-> critical) updates the same incident.
//  - Flapping: more than `flap_changes` good<->bad changes within `flap_window`. A flapping
//    check gets one incident (opened on a bad run even before the threshold), marked flapping,
//    which stays open until no change has happened for a whole window; then it resolves if the
//    check is good (by then it has been good for the window) or just stops flapping.
//  - Incident ids are "key#N" with N counting per check; restore() brings N and any open
//    incident back after a restart.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerting/incident.h"
#include "config/check_spec.h"
#include "probes/result.h"

namespace lookout::alerting {

struct EngineSettings {
  int flap_changes = 6;
  std::chrono::milliseconds flap_window{std::chrono::hours(1)};
};

enum class ChangeKind { opened, updated, resolved };
std::string to_string(ChangeKind k);

struct IncidentChange {
  ChangeKind kind = ChangeKind::opened;
  Incident incident;   // as it is after the change
  std::string reason;  // "2 failed runs", "severity warning -> critical", "flapping", ...
  probes::Status previous_severity = probes::Status::critical;  // for updated
};

class IncidentEngine {
 public:
  explicit IncidentEngine(EngineSettings settings = {}) : settings_(settings) {}
  void set_settings(EngineSettings s) { settings_ = s; }

  /// One result of one check, seen at `now`. Returns what it changed (zero or one change).
  std::optional<IncidentChange> on_result(const config::CheckSpec& spec,
                                          const std::vector<std::string>& tags,
                                          const probes::Result& result, TimePoint now);

  /// Resolves the open incident of `key` (its check left the config); nullopt when none.
  std::optional<IncidentChange> resolve(const std::string& key, TimePoint now, std::string reason);

  /// Opens an incident that no check result drives (the agency's own, such as "monitoring
  /// connectivity lost"): numbered like any other; `proto.key` and the descriptive fields are
  /// kept. Returns the open one if the key has one already.
  Incident& raise(Incident proto, TimePoint now);

  /// After a restart: the stored incident of a check (open or the latest resolved one).
  void restore(const Incident& incident);

  /// The open incident of a check, for the caller to set priority, ticket and paging on.
  Incident* open_incident(const std::string& key);
  std::vector<Incident*> open_incidents();

 private:
  struct Track {
    int bad = 0;   // bad runs in a row
    int good = 0;  // good runs in a row
    std::optional<TimePoint> first_bad;  // first bad run of the current streak
    std::optional<bool> last_bad;        // the last decisive run (unknown skipped)
    // Kept small for 100k checks: an empty vector allocates nothing (a deque would), and an
    // incident is allocated only while one is open.
    std::vector<TimePoint> changes;      // good<->bad changes within the flap window
    int last_number = 0;
    std::unique_ptr<Incident> open;
  };

  EngineSettings settings_;
  std::map<std::string, Track> tracks_;
};

}  // namespace lookout::alerting
