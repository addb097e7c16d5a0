// alerting::AlertingService: how a check result becomes an incident, a ticket and notifications.
//
//   result -> IncidentEngine (confirm / update / resolve) -> Policy (priority, paging)
//          -> TicketStore (built-in ticket, same transaction) -> one Notification per routed sink
//          -> ONE durable store commit (incident value + timeline, ticket, outbox rows, counters)
//          -> only then handed to the outbox (on_committed) for sending.
//
// Routing per client (policy.h): `tickets` sinks get opened/updated/resolved; `pages` sinks get
// opened when the incident pages (now, or at the desk's closing time from tick()) and resolved
// if it paged. The sink id `builtin` is the built-in ticket store, written in the transaction
// itself rather than through the outbox.
//
// Holding back (docs/alerting.md "Dependencies" and "Self-connectivity guard"): an incident
// opened while its site's http check (or that of a site it depends on) is critical-open, or
// while the agent suspects its own network, is recorded with `held_by` and not notified (no
// ticket, no page). When the holder resolves, a held incident still open is released (opened
// now: ticket, notifications, paging); one that resolved meanwhile is never notified.
// While the network is suspect, one agency incident "monitoring connectivity lost" goes to
// `alerting.agency`, and pages due meanwhile wait. Other agency conditions (the release
// catalogue's stale data, raised by the agent) use raise_agency() / resolve_agency().
//
// Status updates: tick() sends incident.reminder to the tickets sinks of open P1/P2 incidents
// every `contract.sla.<P>.updates` of business time (due_reminders()).
//
// Thread-safe (one lock); the daemon calls it from the alerting thread and the API handlers
// from the admin server. Never blocks on disk except in start() (reads) and wait_idle().
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerting/connectivity_guard.h"
#include "alerting/incident_engine.h"
#include "alerting/inhibition.h"
#include "alerting/maintenance.h"
#include "alerting/oncall.h"
#include "alerting/policy.h"
#include "alerting/sink.h"
#include "alerting/ticket_store.h"
#include "config/clock.h"
#include "config/config.h"
#include "store/store.h"

namespace lookout::alerting {

/// What an operator action (API / CLI) came to. `body` is the changed incident, ticket or window
/// as the API shows it.
struct Mutation {
  ActionFailure failure = ActionFailure::none;  // not_found -> 404, conflict -> 409
  std::string message;                          // why not, or what happened
  bool invalid = false;                         // a bad request (-> 400)
  bool store_failed = false;                    // the durable commit was refused (-> 500)
  nlohmann::json body = nullptr;
  bool ok() const { return failure == ActionFailure::none && !invalid && !store_failed; }
};

class AlertingService {
 public:
  /// The agency's own incidents: client id (never a valid config id) and the connectivity key.
  static constexpr const char* kAgencyClient = "_lookout";
  static constexpr const char* kConnectivityKey = "_lookout/agent/connectivity";
  /// A sink whose credentials are refused: agency incident "_lookout/sinks/<sink id>".
  static constexpr const char* kSinkKeyPrefix = "_lookout/sinks/";
  /// The id in `pages` that pages through the built-in on-call rota (alerting.oncall).
  static constexpr const char* kOncall = "oncall";

  AlertingService(store::Store& store, const Clock& clock);

  /// Called (on the store's writer thread) with the notifications of each committed change.
  void set_on_committed(std::function<void(std::vector<Notification>)> fn);

  /// At start: restores incidents, tickets and counters from the store, takes the config, and
  /// resolves open incidents whose check is gone (the resolve they owe is sent).
  void start(const config::Config& config);
  /// A reload: new clients, routing and settings; incidents of removed checks resolve.
  void apply(const config::Config& config);

  /// One check result (seen now).
  void on_result(const config::CheckSpec& spec, const std::vector<std::string>& tags,
                 const probes::Result& result);
  /// One canary probe of the self-connectivity guard (up: it answered).
  void on_canary(const std::string& canary, bool up, const std::string& why);
  /// Pages that fell due (the desk closed with a paging incident still open) and status
  /// updates that fell due (due_reminders()).
  void tick();
  /// Keys of the open incidents whose status update is due at `now` (none while the network is
  /// suspect). Pure apart from caching each incident's next due time.
  std::vector<std::string> due_reminders(TimePoint now);
  /// A sink's receiver refused its credentials (401/403, SMTP AUTH; the notification is parked
  /// with that reason): one agency incident per sink, `_lookout/sinks/<sink>#N`, P2, to
  /// `alerting.agency`, until the sink delivers again. Already open: nothing.
  void on_sink_refused(const std::string& sink, const std::string& reason);
  /// The sink delivered a notification: its credentials incident, if open, resolves.
  void on_sink_delivered(const std::string& sink);
  /// Whether the agent suspects its own network (the connectivity incident is open).
  bool connectivity_suspect() const;

  /// A condition of the agency's own that no check result drives (the release catalogue's
  /// stale data): the incident `_lookout/<site>/<check>`, routed like the connectivity one
  /// (alerting.agency sinks, audience `agency`, a built-in ticket if `builtin` is listed, 24x7,
  /// never paged, never held).
  struct AgencyCondition {
    std::string site;   // "catalog"
    std::string check;  // "wordpress"
    std::string type;   // "catalog"
    Priority priority = Priority::P3;
    std::string summary;
    nlohmann::json facts = nlohmann::json::object();
  };
  /// Raises the condition's incident unless one is open for its key (so calling it again, or
  /// after a restart that restored the open incident from the store, changes nothing).
  /// Returns the incident id and whether it was opened now.
  std::pair<std::string, bool> raise_agency(const AgencyCondition& condition);
  /// Resolves the open incident `_lookout/<site>/<check>` (incident.resolved to the agency
  /// sinks) with `reason`; false when none is open.
  bool resolve_agency(const std::string& site, const std::string& check, const std::string& reason);
  /// The checks of the open agency incidents under `site` (e.g. the stale products under
  /// "catalog").
  std::vector<std::string> open_agency(const std::string& site) const;

  /// Blocks until every commit started so far has completed (tests, shutdown).
  void wait_idle();

  // Operator actions. Each is durable (committed and on disk) when it returns ok. They take the
  // time from the clock and never block on disk while holding the service's lock.
  /// Acknowledges an open incident: its ticket goes new -> open and the response SLA outcome
  /// is recorded; a page owed later is cancelled; page sinks of an incident that paged get
  /// `incident.acknowledged`. Already acknowledged: ok, nothing changes.
  Mutation acknowledge(const std::string& incident_id, const std::string& by,
                       const std::string& note);
  /// A built-in ticket: action "hold", "resume", "solve" or "comment".
  Mutation ticket_action(const std::string& ref, const std::string& action,
                         const std::string& by, const std::string& text);
  /// A maintenance window through the API (scope checked against the config, one-off times
  /// resolved in the client's zone), stored durably with id "mw-<n>".
  Mutation add_maintenance(config::MaintenanceWindow window);
  /// Deletes an API window (config windows are changed in the config: 409).
  Mutation delete_maintenance(const std::string& id);
  /// Every window (config and API) with `active` (in force now) and `next` (next occurrence).
  nlohmann::json maintenance_json() const;
  /// For reports: the maintenance intervals of a scope within [from, to) (MaintenanceSchedule::
  /// intervals: check, site or client scope), merged and clipped.
  std::vector<WindowInterval> maintenance_intervals(const std::string& client,
                                                    const std::string& site,
                                                    const std::string& check, TimePoint from,
                                                    TimePoint to) const;
  /// The window in force for a check now (results are marked with it); nullopt when none.
  std::optional<WindowInterval> maintenance_now(const std::string& client, const std::string& site,
                                                const std::string& check) const;
  /// The next instant tick() has something to do (a page due, a window ending over a held
  /// incident); nullopt when nothing is scheduled.
  std::optional<TimePoint> next_wakeup() const;
  /// The earliest instant tick() became due for since the last call (an incident held by a
  /// window, a page scheduled), then cleared: cheap, for the runtime to re-arm its timer.
  std::optional<TimePoint> take_wake_hint();

  // Read-only views for the API (JSON), safe from any thread.
  nlohmann::json incidents_json(const std::string& state) const;  // "open", "resolved" or "" (all)
  nlohmann::json tickets_json(const std::string& client) const;   // "" = every client
  std::optional<nlohmann::json> ticket_json(const std::string& ref) const;
  /// Open incidents by (client, priority), for lookout_incidents_open.
  std::map<std::pair<std::string, std::string>, int> open_counts() const;
  /// Built-in tickets not solved yet (for the SLA due-time metric).
  std::vector<Ticket> unsolved_tickets() const;

 private:
  struct Pending {
    store::Transaction tx;
    std::vector<Notification> notifications;
    std::vector<std::string> history;  // resolved incidents whose history row tx carries
  };
  // Resolved incidents whose history row is still on its way to disk (id -> writes in flight,
  // latest JSON), so the API lists an incident as soon as its resolution is notified for
  // sending, not only once the group commit lands.
  std::map<std::string, std::pair<int, nlohmann::json>> history_in_flight_;
  void take_config(const config::Config& config);
  void resolve_removed(const config::Config& config, TimePoint now);
  void handle(IncidentChange change, TimePoint now);
  void page(Incident& incident, const ClientPolicy& client, TimePoint now, Pending& p);
  void notify(const Incident& incident, const std::vector<std::string>& sinks,
              const std::string& event, const std::string& audience, const std::string& reason,
              TimePoint now, Pending& p, const nlohmann::json& extra = nlohmann::json());
  void record(const Incident& incident, const std::string& kind, const std::string& reason,
              TimePoint now, Pending& p);
  /// The incident's stored value (and its history entry once resolved), after the change.
  void persist(const Incident& incident, Pending& p);
  void commit(Pending p, std::function<void(store::CommitResult)> done = {});
  /// Commits and waits for the disk outside the service's lock (the caller holds `lock`).
  bool commit_and_wait(Pending p, std::unique_lock<std::mutex>& lock, std::string& error);
  /// Ticket, notifications and page for an incident people are told about now (opened, or
  /// released: at the end of a maintenance window, by its holder, or when connectivity is back).
  void raise(Incident& i, const ClientPolicy& c, const std::string& reason,
             const std::string& kind, TimePoint now, Pending& p);
  void rebuild_schedule();  // config + API windows -> schedule_ (under mutex_)
  void load_maintenance();
  const ClientPolicy& client(const std::string& id) const;
  bool suspect() const;  // connectivity_suspect() under the lock
  std::vector<std::string> collect_reminders(TimePoint now);  // due_reminders() under the lock
  // Holding back.
  std::optional<std::string> holder_for(const Incident& incident);
  void hold(Incident& incident, const std::string& holder);
  void unhold(Incident& incident);
  void release(const std::string& holder, const std::string& why, TimePoint now);
  void release_one(Incident& incident, const std::string& why, TimePoint now);
  void recheck_held(TimePoint now);
  // The connectivity guard: raise or resolve the agency incident as the guard says.
  void guard_raise(TimePoint now);
  /// Opens an agency incident (ticket, notifications, one commit) from `proto`.
  Incident& open_agency_incident(Incident proto, TimePoint now);
  void guard_clear(TimePoint now);
  void send_reminder(Incident& incident, const ClientPolicy& client, TimePoint due, TimePoint now);
  // The built-in on-call rota (pages: [oncall]): pages every step of the incident's escalation
  // that is due at `now` (a step with nobody on call falls through to the next at once).
  void escalate(Incident& incident, const ClientPolicy& client, TimePoint now, Pending& p);
  /// Stops the escalation (ack, resolve) and tells the people it paged with `event`.
  void stop_escalation(Incident& incident, const std::string& why, const std::string& event,
                       TimePoint now, Pending& p);
  /// One notification to one contact of one member (idempotency key per incident, loop, step,
  /// member and contact).
  void page_contact(Incident& incident, const std::string& event, const nlohmann::json& page,
                    const std::string& sink, const std::string& key, const std::string& reason,
                    TimePoint now, Pending& p);

  store::Store& store_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  IncidentEngine engine_;
  TicketStore tickets_;
  std::map<std::string, ClientPolicy> clients_;
  ClientPolicy default_client_;
  ClientPolicy agency_;  // the agency's own incidents: tickets = alerting.agency, 24x7
  Inhibition inhibition_;
  ConnectivityGuard guard_;
  std::map<std::string, std::set<std::string>> held_;  // holder incident id -> held keys
  std::chrono::milliseconds reopen_window_{std::chrono::hours(24)};
  config::OncallSettings oncall_;  // the built-in rota and escalation policy
  int64_t notification_counter_ = 0;
  std::optional<TimePoint> wake_hint_;
  void hint(TimePoint t) {
    if (!wake_hint_ || t < *wake_hint_) wake_hint_ = t;
  }
  // Maintenance: the config's windows and the API's (stored), the scopes they may name.
  std::vector<config::MaintenanceWindow> config_windows_;
  std::map<std::string, config::MaintenanceWindow> api_windows_;  // by id
  int maintenance_counter_ = 0;
  std::shared_ptr<const CheckIndex> checks_ = std::make_shared<CheckIndex>();  // configured checks
  std::map<std::string, std::string> zones_;                                    // client -> IANA
  mutable std::shared_mutex schedule_mutex_;  // schedule_ is read from worker threads
  MaintenanceSchedule schedule_;
  std::function<void(std::vector<Notification>)> on_committed_;
  std::mutex idle_mutex_;
  std::condition_variable idle_cv_;
  int commits_in_flight_ = 0;
};

}  // namespace lookout::alerting
