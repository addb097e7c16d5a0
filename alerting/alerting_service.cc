#include "alerting/alerting_service.h"

#include <set>

#include <spdlog/spdlog.h>

namespace lookout::alerting {

AlertingService::AlertingService(store::Store& store, const Clock& clock)
    : store_(store), clock_(clock), tickets_(store) {
  config::Client none;
  default_client_ = ClientPolicy::from_config(none, config::AlertingSettings{});
}

void AlertingService::set_on_committed(std::function<void(std::vector<Notification>)> fn) {
  std::lock_guard lock(mutex_);
  on_committed_ = std::move(fn);
}

void AlertingService::take_config(const config::Config& config) {
  clients_.clear();
  for (const auto& c : config.clients) clients_[c.id] = ClientPolicy::from_config(c, config.alerting);
  engine_.set_settings(EngineSettings{config.alerting.flap_changes, config.alerting.flap_window});
  reopen_window_ = config.alerting.reopen_window;
}

const ClientPolicy& AlertingService::client(const std::string& id) const {
  auto it = clients_.find(id);
  return it == clients_.end() ? default_client_ : it->second;
}

void AlertingService::start(const config::Config& config) {
  std::lock_guard lock(mutex_);
  take_config(config);
  tickets_.load();
  if (auto c = store_.value("counter", "notification")) notification_counter_ = std::atoll(c->c_str());
  for (const auto& [key, text] : store_.values("incident")) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (auto i = Incident::from_json(j)) engine_.restore(*i);
  }
  resolve_removed(config, clock_.now());
}

void AlertingService::apply(const config::Config& config) {
  std::lock_guard lock(mutex_);
  take_config(config);
  resolve_removed(config, clock_.now());
}

void AlertingService::resolve_removed(const config::Config& config, TimePoint now) {
  std::set<std::string> keys;
  for (const auto& c : config.checks) keys.insert(c->spec.key());
  std::vector<std::string> gone;
  for (Incident* i : engine_.open_incidents())
    if (!keys.count(i->key)) gone.push_back(i->key);
  for (const auto& key : gone)
    if (auto change = engine_.resolve(key, now, "the check is no longer configured"))
      handle(std::move(*change), now);
}

void AlertingService::on_result(const config::CheckSpec& spec, const std::vector<std::string>& tags,
                                const probes::Result& result) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  if (auto change = engine_.on_result(spec, tags, result, now)) handle(std::move(*change), now);
}

void AlertingService::tick() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  for (Incident* i : engine_.open_incidents()) {
    if (i->paged || !i->page_due || *i->page_due > now) continue;
    const ClientPolicy& c = client(i->client);
    Pending p;
    page(*i, c, now, p);
    record(*i, "paged", "still open when the desk closed", now, p);
    persist(*i, p);
    commit(std::move(p));
  }
}

void AlertingService::page(Incident& i, const ClientPolicy& c, TimePoint now, Pending& p) {
  i.paged = now;
  i.page_due.reset();
  notify(i, c.pages, "incident.opened", "page", "paging: " + to_string(i.priority), now, p);
  if (!i.ticket.empty())
    tickets_.note(i, c, now, "paged", "paged " + std::to_string(c.pages.size()) + " sink(s)", p.tx);
}

void AlertingService::notify(const Incident& i, const std::vector<std::string>& sinks,
                             const std::string& event, const std::string& audience,
                             const std::string& reason, TimePoint now, Pending& p) {
  std::vector<std::string> remote;
  for (const auto& s : sinks)
    if (s != "builtin") remote.push_back(s);
  if (remote.empty()) return;
  Incident& mutable_incident = const_cast<Incident&>(i);
  const int seq = ++mutable_incident.notifications;
  nlohmann::json ticket = nullptr;
  if (!i.ticket.empty())
    if (auto t = tickets_.get(i.ticket)) {
      ticket = t->to_json();
      ticket.erase("events");
    }
  nlohmann::json incident = i.to_json();
  incident.erase("events");
  incident.erase("notifications");
  for (const auto& sink : remote) {
    Notification n;
    n.id = ++notification_counter_;
    n.sink = sink;
    n.incident = i.id;
    n.seq = seq;
    n.event = event;
    n.idempotency_key = "lookout:" + i.id + ":" + std::to_string(seq);
    n.created = now;
    nlohmann::json body = {{"version", 1},
                           {"event", event},
                           {"audience", audience},
                           {"idempotency_key", n.idempotency_key},
                           {"sent_for", reason},
                           {"at", format_time(now)},
                           {"incident", incident},
                           {"ticket", ticket}};
    n.body = body.dump();
    p.tx.values.push_back(store::Value{"outbox", n.store_key(), n.to_json().dump()});
    p.notifications.push_back(std::move(n));
  }
  p.tx.values.push_back(store::Value{"counter", "notification", std::to_string(notification_counter_)});
}

void AlertingService::record(const Incident& i, const std::string& kind, const std::string& reason,
                             TimePoint now, Pending& p) {
  Incident& m = const_cast<Incident&>(i);
  ++m.events;
  p.tx.events.push_back(store::Event{"incident", i.id, i.events, now, kind,
                                     nlohmann::json{{"reason", reason},
                                                    {"severity", std::string(probes::to_string(i.severity))},
                                                    {"priority", to_string(i.priority)},
                                                    {"summary", i.summary}}
                                         .dump()});
}

void AlertingService::persist(const Incident& i, Pending& p) {
  // Written last, after every notify() of the change: the stored incident carries the
  // notification count its restored self numbers the next Idempotency-Key from.
  p.tx.values.push_back(store::Value{"incident", i.key, i.to_json().dump()});
  if (!i.open) p.tx.values.push_back(store::Value{"incident_history", i.id, i.to_json().dump()});
}

void AlertingService::handle(IncidentChange change, TimePoint now) {
  const ClientPolicy& c = client(change.incident.client);
  Pending p;
  if (change.kind == ChangeKind::opened) {
    Incident* i = engine_.open_incident(change.incident.key);
    if (!i) return;
    i->priority = priority_for(c, *i);
    bool page_now = false;
    if (!c.pages.empty()) {
      PageDecision d = page_decision(c, i->priority, now);
      page_now = d.now;
      if (!d.now && d.at) i->page_due = d.at;
    }
    if (page_now) i->paged = now;  // before the ticket body is written
    if (c.builtin_tickets()) i->ticket = tickets_.open(*i, c, now, reopen_window_, p.tx).ref;
    record(*i, "opened", change.reason, now, p);
    notify(*i, c.tickets, "incident.opened", "tickets", change.reason, now, p);
    if (page_now) {
      page(*i, c, now, p);
      record(*i, "paged", "opened outside business hours or under 24x7 cover", now, p);
    }
    persist(*i, p);
    spdlog::warn("incident {} opened ({}, {}): {}", i->id, to_string(i->priority),
                 probes::to_string(i->severity), i->summary);
  } else if (change.kind == ChangeKind::updated) {
    Incident* i = engine_.open_incident(change.incident.key);
    if (!i) return;
    const Priority before = i->priority;
    i->priority = priority_for(c, *i);
    std::string reason = change.reason;
    if (i->priority != before) reason += "; priority " + to_string(before) + " -> " + to_string(i->priority);
    bool page_now = false;
    if (!i->paged && !c.pages.empty()) {
      PageDecision d = page_decision(c, i->priority, now);
      page_now = d.now;
      i->page_due = d.now ? std::nullopt : d.at;
    }
    if (!i->ticket.empty()) tickets_.update(*i, c, now, reason, p.tx);
    record(*i, "updated", reason, now, p);
    notify(*i, c.tickets, "incident.updated", "tickets", reason, now, p);
    if (page_now) {
      page(*i, c, now, p);
      record(*i, "paged", reason, now, p);
    }
    persist(*i, p);
    spdlog::info("incident {} updated: {}", i->id, reason);
  } else {
    Incident i = change.incident;
    i.page_due.reset();
    if (!i.ticket.empty()) tickets_.solve(i, now, change.reason, p.tx);
    notify(i, c.tickets, "incident.resolved", "tickets", change.reason, now, p);
    if (i.paged) notify(i, c.pages, "incident.resolved", "page", change.reason, now, p);
    record(i, "resolved", change.reason, now, p);
    persist(i, p);
    engine_.restore(i);  // keeps the numbering; nothing open
    spdlog::info("incident {} resolved: {}", i.id, change.reason);
  }
  commit(std::move(p));
}

void AlertingService::commit(Pending p) {
  {
    std::lock_guard lock(idle_mutex_);
    ++commits_in_flight_;
  }
  auto notifications = std::make_shared<std::vector<Notification>>(std::move(p.notifications));
  store_.commit(std::move(p.tx), [this, notifications](store::CommitResult r) {
    if (!r.ok) {
      spdlog::error("alerting: an incident change could not be stored: {}", r.error);
    } else {
      std::function<void(std::vector<Notification>)> fn;
      {
        std::lock_guard lock(mutex_);
        fn = on_committed_;
      }
      if (fn && !notifications->empty()) fn(std::move(*notifications));
    }
    {
      std::lock_guard lock(idle_mutex_);
      --commits_in_flight_;
    }
    idle_cv_.notify_all();
  });
}

void AlertingService::wait_idle() {
  std::unique_lock lock(idle_mutex_);
  idle_cv_.wait(lock, [this] { return commits_in_flight_ == 0; });
}

nlohmann::json AlertingService::incidents_json(const std::string& state) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  if (state.empty() || state == "open")
    for (Incident* i : const_cast<IncidentEngine&>(engine_).open_incidents()) out.push_back(i->to_json());
  if (state.empty() || state == "resolved")
    for (const auto& [id, text] : store_.values("incident_history")) {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_object()) out.push_back(j);
    }
  return out;
}

nlohmann::json AlertingService::tickets_json(const std::string& client) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tickets_.for_client(client)) out.push_back(t.to_json());
  return out;
}

std::optional<nlohmann::json> AlertingService::ticket_json(const std::string& ref) const {
  std::lock_guard lock(mutex_);
  auto t = tickets_.get(ref);
  if (!t) return std::nullopt;
  return alerting::ticket_json(*t, store_.events("ticket", ref));
}

std::map<std::pair<std::string, std::string>, int> AlertingService::open_counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::pair<std::string, std::string>, int> out;
  for (Incident* i : const_cast<IncidentEngine&>(engine_).open_incidents())
    ++out[{i->client, to_string(i->priority)}];
  return out;
}

std::vector<Ticket> AlertingService::unsolved_tickets() const {
  std::lock_guard lock(mutex_);
  std::vector<Ticket> out;
  for (auto& t : tickets_.for_client(""))
    if (t.status != TicketStatus::solved) out.push_back(std::move(t));
  return out;
}

}  // namespace lookout::alerting
