// alerting::TicketStore: the built-in tickets, kept in the state store (durable values and
// event streams; no SQL here). One ticket per problem: LK-<n> from a durable counter, opened
// with an incident, updated (priority re-targets its SLA due times) and solved with it; a
// re-failure of the same check within the reopen window reopens the same ticket.
//
// Writes are not committed here: every method adds its writes to the caller's Transaction, so
// the incident change, its ticket change and its notifications are on disk together or not at
// all. Single-threaded use (the alerting service's strand); readers go through its lock.
//
// Layout in the store:
//   values  "ticket"/<ref>             the ticket (JSON)
//   values  "ticket_by_check"/<key>    the latest ticket of a check
//   values  "counter"/"ticket"         the last ticket number
//   events  "ticket"/<ref>             the timeline: created, updated, paged, solved, reopened
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerting/incident.h"
#include "alerting/policy.h"
#include "alerting/sla_clock.h"
#include "store/store.h"

namespace lookout::alerting {

enum class TicketStatus { new_, open, on_hold, solved };
std::string to_string(TicketStatus s);

struct Ticket {
  std::string ref;  // "LK-12"
  int number = 0;
  std::string client, site, check, check_key;
  std::string incident;                // the incident it tracks now
  std::vector<std::string> incidents;  // every incident it has tracked (reopens)
  Priority priority = Priority::P3;
  std::string subject, body;
  TicketStatus status = TicketStatus::new_;
  TimePoint created{}, updated{};
  std::optional<TimePoint> solved;
  TimePoint sla_start{};
  bool sla_24x7 = false;
  std::optional<TimePoint> response_due, resolution_due;
  int events = 0;
  // The operator side (reset when the ticket reopens for a new incident):
  std::optional<TimePoint> acknowledged;  // response given (ack of the incident)
  std::string acknowledged_by;
  struct Hold {
    TimePoint from{};
    std::optional<TimePoint> to;  // unset while on hold
  };
  std::vector<Hold> holds;               // on-hold periods: the SLA clocks stop
  std::optional<TimePoint> sla_retargeted;  // last priority change of this cycle
  // SLA outcomes recorded for this cycle (also as "sla_outcome" values): null until fulfilled.
  nlohmann::json response_outcome = nullptr, resolution_outcome = nullptr;

  nlohmann::json to_json() const;
  static std::optional<Ticket> from_json(const nlohmann::json& j);
};

/// SLA due times for `priority` counted from `start` in the client's business time (calendar
/// time for 24x7); nullopt where the contract sets no target.
struct DueTimes {
  std::optional<TimePoint> response, resolution;
};
DueTimes due_times(const ClientPolicy& client, Priority priority, TimePoint start);

/// The SLA clock of one metric of a ticket, replayed from its start, holds and re-target;
/// nullopt when the contract sets no target for the ticket's priority.
std::optional<SlaClock> sla_clock(const Ticket& t, const ClientPolicy& client, bool response);

/// What an operator action on a ticket came to.
enum class ActionFailure { none, not_found, conflict };
struct ActionResult {
  ActionFailure failure = ActionFailure::none;
  std::string message;  // why not (conflict, not found)
  bool changed = true;  // false: nothing to do (already in that state)
};

class TicketStore {
 public:
  explicit TicketStore(store::Store& store) : store_(store) {}

  /// Reads every ticket and the counter (at start).
  void load();

  /// A ticket for a newly opened incident: a new one, or the check's latest one reopened when
  /// it was solved less than `reopen_window` ago.
  const Ticket& open(const Incident& incident, const ClientPolicy& client, TimePoint now,
                     std::chrono::milliseconds reopen_window, store::Transaction& tx);
  /// The incident changed (severity, priority, flapping): re-prioritise and re-target.
  const Ticket* update(const Incident& incident, const ClientPolicy& client, TimePoint now,
                       const std::string& note, store::Transaction& tx);
  /// A note on the timeline (a page sent), refreshing the body.
  /// `fields` are added to the event's payload (a page: who, which sink, the address).
  const Ticket* note(const Incident& incident, const ClientPolicy& client, TimePoint now,
                     const std::string& kind, const std::string& text, store::Transaction& tx,
                     const nlohmann::json& fields = nullptr);
  /// The incident resolved: solved with a note. With the client, the SLA outcomes still owed
  /// are recorded (resolution met or breached; response too when never acknowledged).
  const Ticket* solve(const Incident& incident, TimePoint now, const std::string& note,
                      store::Transaction& tx, const ClientPolicy* client = nullptr);

  // Operator actions (API / CLI). Each writes one timeline event (kind acknowledged, on_hold,
  // resumed, solved, comment with `by` and the note) and the ticket, into `tx`.
  /// The incident was acknowledged: new -> open, the response clock fulfilled (outcome recorded).
  ActionResult acknowledge(const Incident& incident, const ClientPolicy& client, TimePoint now,
                           const std::string& by, const std::string& note, store::Transaction& tx);
  /// new/open -> on_hold (the SLA clocks pause); on_hold -> open (they resume, due times move).
  ActionResult hold(const std::string& ref, const ClientPolicy& client, TimePoint now,
                    const std::string& by, const std::string& note, store::Transaction& tx);
  ActionResult resume(const std::string& ref, const ClientPolicy& client, TimePoint now,
                      const std::string& by, const std::string& note, store::Transaction& tx);
  /// Solved by hand: the resolution clock (and the response clock if still running) fulfilled.
  ActionResult solve_by_hand(const std::string& ref, const ClientPolicy& client, TimePoint now,
                             const std::string& by, const std::string& note,
                             store::Transaction& tx);
  ActionResult comment(const std::string& ref, TimePoint now, const std::string& by,
                       const std::string& text, store::Transaction& tx);

  std::optional<Ticket> get(const std::string& ref) const;
  std::vector<Ticket> for_client(const std::string& client) const;  // all when client is ""
  /// The timeline from the store.
  std::vector<store::Event> timeline(const std::string& ref);

 private:
  void write(Ticket& t, TimePoint now, const std::string& kind, nlohmann::json payload,
             store::Transaction& tx);
  static std::string compose_body(const Ticket& t, const Incident& i, const ClientPolicy& c);
  /// Fulfils one SLA metric at `at` and records the outcome (once per cycle).
  void record_outcome(Ticket& t, const ClientPolicy& c, bool response, TimePoint at,
                      store::Transaction& tx);
  void recompute_due(Ticket& t, const ClientPolicy& c);

  store::Store& store_;
  int counter_ = 0;
  std::map<std::string, Ticket> tickets_;         // by ref
  std::map<std::string, std::string> by_check_;   // check key -> latest ref
};

/// Plain functions for the read-only API.
nlohmann::json ticket_json(const Ticket& t, const std::vector<store::Event>& timeline);

}  // namespace lookout::alerting
