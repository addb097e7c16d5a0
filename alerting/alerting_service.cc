#include "alerting/alerting_service.h"

#include <future>
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
  oncall_ = config.alerting.oncall;  // open escalations keep their own snapshot of the policy
  config::Client agency;
  agency.id = kAgencyClient;
  agency.name = "the agency (Lookout itself)";
  agency.contract.coverage_24x7 = true;
  agency_ = ClientPolicy::from_config(agency, config::AlertingSettings{});
  agency_.tickets = config.alerting.agency;
  agency_.pages.clear();
  auto checks = std::make_shared<const CheckIndex>(CheckIndex::from_config(config));
  inhibition_.configure(config, checks);
  checks_ = checks;
  std::vector<std::string> canaries;
  for (const auto& c : config.alerting.canary) canaries.push_back(c.url);
  guard_.configure(GuardSettings{config.alerting.storm_ratio, config.alerting.storm_min_checks}, canaries,
                   checks);
  config_windows_ = config.maintenance;
  zones_.clear();
  for (const auto& c : config.clients) zones_[c.id] = c.hours.timezone;
  rebuild_schedule();
}

void AlertingService::rebuild_schedule() {
  std::vector<config::MaintenanceWindow> all = config_windows_;
  for (const auto& [id, w] : api_windows_) all.push_back(w);
  std::unique_lock lock(schedule_mutex_);
  schedule_.set(std::move(all), zones_);
}

void AlertingService::load_maintenance() {
  if (auto c = store_.value("counter", "maintenance")) maintenance_counter_ = std::atoi(c->c_str());
  api_windows_ = stored_windows(store_, zones_);
  rebuild_schedule();
}

const ClientPolicy& AlertingService::client(const std::string& id) const {
  if (id == kAgencyClient) return agency_;
  auto it = clients_.find(id);
  return it == clients_.end() ? default_client_ : it->second;
}

void AlertingService::start(const config::Config& config) {
  std::lock_guard lock(mutex_);
  take_config(config);
  load_maintenance();
  tickets_.load();
  if (auto c = store_.value("counter", "notification")) notification_counter_ = std::atoll(c->c_str());
  for (const auto& [key, text] : store_.values("incident")) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (auto i = Incident::from_json(j)) engine_.restore(*i);
  }
  held_.clear();
  for (Incident* i : engine_.open_incidents())
    if (!i->held_by.empty()) held_[i->held_by].insert(i->key);
  const TimePoint now = clock_.now();
  resolve_removed(config, now);
  recheck_held(now);
}

void AlertingService::apply(const config::Config& config) {
  std::lock_guard lock(mutex_);
  take_config(config);
  const TimePoint now = clock_.now();
  resolve_removed(config, now);
  recheck_held(now);
}

void AlertingService::resolve_removed(const config::Config& config, TimePoint now) {
  std::set<std::string> keys;
  for (const auto& c : config.checks) keys.insert(c->spec.key());
  std::vector<std::string> gone;
  for (Incident* i : engine_.open_incidents())
    if (!keys.count(i->key) && i->client != kAgencyClient) gone.push_back(i->key);
  for (const auto& key : gone)
    if (auto change = engine_.resolve(key, now, "the check is no longer configured"))
      handle(std::move(*change), now);
}

void AlertingService::on_result(const config::CheckSpec& spec, const std::vector<std::string>& tags,
                                const probes::Result& result) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  guard_.on_result(spec.key(), result.status);
  // Suspect first (so an incident this result confirms is held), clear last (so one this
  // result resolves is dropped rather than released and resolved).
  if (guard_.suspect()) guard_raise(now);
  if (auto change = engine_.on_result(spec, tags, result, now)) handle(std::move(*change), now);
  guard_clear(now);
}

void AlertingService::on_canary(const std::string& canary, bool up, const std::string& why) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  guard_.on_canary(canary, up, why);
  if (guard_.suspect()) guard_raise(now);
  guard_clear(now);
}

bool AlertingService::connectivity_suspect() const {
  std::lock_guard lock(mutex_);
  return suspect();
}

bool AlertingService::suspect() const {
  return const_cast<IncidentEngine&>(engine_).open_incident(kConnectivityKey) != nullptr;
}

void AlertingService::guard_raise(TimePoint now) {
  if (suspect()) return;
  Incident proto;
  proto.key = kConnectivityKey;
  proto.client = kAgencyClient;
  proto.site = "agent";
  proto.check = "connectivity";
  proto.type = "connectivity";
  proto.severity = probes::Status::critical;
  proto.priority = Priority::P1;
  proto.summary = "monitoring connectivity lost: " + guard_.why();
  proto.failure = "connectivity";
  proto.facts = {{"failing_checks", guard_.failing()}, {"checks", guard_.checks()},
                 {"canaries_down", guard_.canaries_down()}};
  Incident& i = open_agency_incident(std::move(proto), now);
  spdlog::error("incident {} opened: {}; new tickets and pages are held until it is back", i.id,
                i.summary);
}

Incident& AlertingService::open_agency_incident(Incident proto, TimePoint now) {
  proto.client = kAgencyClient;
  Incident& i = engine_.raise(std::move(proto), now);
  Pending p;
  if (agency_.builtin_tickets()) i.ticket = tickets_.open(i, agency_, now, reopen_window_, p.tx).ref;
  record(i, "opened", i.summary, now, p);
  notify(i, agency_.tickets, "incident.opened", "agency", i.summary, now, p);
  persist(i, p);
  commit(std::move(p));
  return i;
}

std::pair<std::string, bool> AlertingService::raise_agency(const AgencyCondition& c) {
  std::lock_guard lock(mutex_);
  const std::string key = std::string(kAgencyClient) + "/" + c.site + "/" + c.check;
  if (Incident* open = engine_.open_incident(key)) return {open->id, false};
  const TimePoint now = clock_.now();
  Incident proto;
  proto.key = key;
  proto.site = c.site;
  proto.check = c.check;
  proto.type = c.type;
  proto.severity = c.priority == Priority::P3 ? probes::Status::warning : probes::Status::critical;
  proto.priority = c.priority;
  proto.summary = c.summary;
  proto.facts = c.facts.is_object() ? c.facts : nlohmann::json::object();
  Incident& i = open_agency_incident(std::move(proto), now);
  spdlog::warn("incident {} opened ({}): {}", i.id, to_string(i.priority), i.summary);
  return {i.id, true};
}

bool AlertingService::resolve_agency(const std::string& site, const std::string& check,
                                     const std::string& reason) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  auto change = engine_.resolve(std::string(kAgencyClient) + "/" + site + "/" + check, now, reason);
  if (!change) return false;
  handle(std::move(*change), now);
  return true;
}

std::vector<std::string> AlertingService::open_agency(const std::string& site) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  const std::string prefix = std::string(kAgencyClient) + "/" + site + "/";
  for (Incident* i : const_cast<IncidentEngine&>(engine_).open_incidents())
    if (i->key.rfind(prefix, 0) == 0) out.push_back(i->check);
  return out;
}

void AlertingService::guard_clear(TimePoint now) {
  if (!suspect() || guard_.suspect() || !guard_.informed()) return;
  auto change = engine_.resolve(kConnectivityKey, now, "connectivity back: " + guard_.why());
  if (!change) return;
  const std::string id = change->incident.id;
  handle(std::move(*change), now);
  release(id, "monitoring connectivity is back", now);
}

void AlertingService::on_sink_refused(const std::string& sink, const std::string& reason) {
  AgencyCondition c;
  c.site = "sinks";
  c.check = sink;
  c.type = "sink";
  c.priority = Priority::P2;
  c.summary = "sink " + sink + ": credentials refused; its notifications are parked, not retried: " + reason;
  c.facts = {{"sink", sink}, {"reason", reason}};
  raise_agency(c);
}

void AlertingService::on_sink_delivered(const std::string& sink) {
  resolve_agency("sinks", sink, "sink " + sink + " delivers again");
}

void AlertingService::tick() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.now();
  guard_clear(now);
  if (suspect()) return;  // pages and status updates wait for the network
  for (Incident* i : engine_.open_incidents()) {
    if (!i->held_by.empty()) continue;
    const ClientPolicy& c = client(i->client);
    const bool in_window = maintenance_now(i->client, i->site, i->check).has_value();
    if (i->maintenance) {
      if (in_window) continue;
      // The window ended with the check still failing: the incident is raised now.
      Pending p;
      i->maintenance = false;
      i->opened = now;
      i->updated = now;
      raise(*i, c, "the maintenance window ended with the check still failing", "released", now, p);
      persist(*i, p);
      commit(std::move(p));
      spdlog::warn("incident {} raised at the end of a maintenance window ({}): {}", i->id,
                   to_string(i->priority), i->summary);
      continue;
    }
    if (in_window) continue;  // no page during maintenance; owed pages go out after it
    if (i->paged && !i->acknowledged && i->escalation.is_object() && i->escalation["due"].is_string())
      if (auto due = parse_time(i->escalation["due"].get<std::string>()); due && *due <= now) {
        Pending p;
        escalate(*i, c, now, p);
        persist(*i, p);
        commit(std::move(p));
        continue;
      }
    if (i->paged || !i->page_due || *i->page_due > now) continue;
    Pending p;
    page(*i, c, now, p);
    record(*i, "paged", "still open when the desk closed", now, p);
    persist(*i, p);
    commit(std::move(p));
  }
  for (const auto& key : collect_reminders(now)) {
    Incident* i = engine_.open_incident(key);
    if (!i || !i->reminder_due) continue;
    send_reminder(*i, client(i->client), *i->reminder_due, now);
  }
}

std::vector<std::string> AlertingService::due_reminders(TimePoint now) {
  std::lock_guard lock(mutex_);
  return collect_reminders(now);
}

std::vector<std::string> AlertingService::collect_reminders(TimePoint now) {
  std::vector<std::string> out;
  if (suspect()) return out;
  for (Incident* i : engine_.open_incidents()) {
    if (!i->held_by.empty() || i->client == kAgencyClient) continue;
    const ClientPolicy& c = client(i->client);
    // Acknowledged under `updates_until: ack` since the due time was cached: none owed.
    if (i->reminder_due && c.contract.updates_until_ack && i->acknowledged) i->reminder_due.reset();
    if (!i->reminder_due) i->reminder_due = next_reminder(c, *i);
    if (i->reminder_due && *i->reminder_due <= now) out.push_back(i->key);
  }
  return out;
}

void AlertingService::send_reminder(Incident& i, const ClientPolicy& c, TimePoint due, TimePoint now) {
  std::optional<TimePoint> response, resolution;
  if (auto t = i.ticket.empty() ? std::nullopt : tickets_.get(i.ticket)) {
    response = t->response_due;
    resolution = t->resolution_due;
  } else {
    DueTimes d = due_times(c, i.priority, i.opened);
    response = d.response;
    resolution = d.resolution;
  }
  std::string reason = "still failing since " + format_time(i.first_failure) + ": " + i.summary;
  if (response) reason += "; response due " + format_time(*response);
  if (resolution) reason += "; resolution due " + format_time(*resolution);
  // The next one counts from the due instant (no drift from the tick), unless the agent was
  // away for longer than an interval: then from now, and one update rather than a burst.
  i.reminded = due;
  auto next = next_reminder(c, i);
  if (next && *next <= now) {
    i.reminded = now;
    next = next_reminder(c, i);
  }
  i.reminder_due = next;
  Pending p;
  if (!i.ticket.empty()) tickets_.note(i, c, now, "reminder", reason, p.tx);
  record(i, "reminder", reason, now, p);
  notify(i, c.tickets, "incident.reminder", "tickets", reason, now, p);
  persist(i, p);
  commit(std::move(p));
}

std::optional<std::string> AlertingService::holder_for(const Incident& i) {
  if (i.client == kAgencyClient) return std::nullopt;
  if (Incident* conn = engine_.open_incident(kConnectivityKey)) return conn->id;
  return inhibition_.held_by(i, [this](const std::string& key) -> const Incident* {
    return engine_.open_incident(key);
  });
}

void AlertingService::hold(Incident& i, const std::string& holder) {
  if (i.held_by == holder) return;
  unhold(i);
  i.held_by = holder;
  held_[holder].insert(i.key);
}

void AlertingService::unhold(Incident& i) {
  if (i.held_by.empty()) return;
  auto it = held_.find(i.held_by);
  if (it != held_.end()) {
    it->second.erase(i.key);
    if (it->second.empty()) held_.erase(it);
  }
  i.held_by.clear();
}

void AlertingService::release(const std::string& holder, const std::string& why, TimePoint now) {
  auto it = held_.find(holder);
  if (it == held_.end()) return;
  const std::set<std::string> keys = std::move(it->second);
  held_.erase(it);
  for (const auto& key : keys) {
    Incident* i = engine_.open_incident(key);
    if (!i || i->held_by != holder) continue;
    i->held_by.clear();
    release_one(*i, why, now);
  }
}

void AlertingService::release_one(Incident& i, const std::string& why, TimePoint now) {
  unhold(i);
  Pending p;
  if (auto other = holder_for(i)) {
    hold(i, *other);
    record(i, "held", why + "; still held by " + *other, now, p);
    persist(i, p);
    commit(std::move(p));
    return;
  }
  const ClientPolicy& c = client(i.client);
  i.priority = priority_for(c, i);
  i.opened = now;  // notified now: SLA clocks and status updates count from here
  i.updated = now;
  i.reminder_due.reset();
  raise(i, c, "released (" + why + "): " + i.summary, "released", now, p);
  persist(i, p);
  commit(std::move(p));
  spdlog::warn("incident {} released ({}, {}): {}", i.id, to_string(i.priority), why, i.summary);
}

void AlertingService::recheck_held(TimePoint now) {
  std::vector<std::string> keys;
  for (Incident* i : engine_.open_incidents())
    if (!i->held_by.empty()) keys.push_back(i->key);
  for (const auto& key : keys) {
    Incident* i = engine_.open_incident(key);
    if (!i) continue;
    auto holder = holder_for(*i);
    if (holder && *holder == i->held_by) continue;
    if (holder) {
      Pending p;
      hold(*i, *holder);
      record(*i, "held", "now held by " + *holder, now, p);
      persist(*i, p);
      commit(std::move(p));
    } else {
      release_one(*i, "its holder " + i->held_by + " no longer holds it", now);
    }
  }
}

std::optional<TimePoint> AlertingService::take_wake_hint() {
  std::lock_guard lock(mutex_);
  auto h = wake_hint_;
  wake_hint_.reset();
  return h;
}

std::optional<TimePoint> AlertingService::next_wakeup() const {
  std::lock_guard lock(mutex_);
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) {
    if (!next || t < *next) next = t;
  };
  const TimePoint now = clock_.now();
  for (Incident* i : const_cast<IncidentEngine&>(engine_).open_incidents()) {
    auto w = maintenance_now(i->client, i->site, i->check);
    if (i->maintenance) consider(w ? w->to : now);
    else if (i->page_due && !i->paged) consider(w ? std::max(w->to, *i->page_due) : *i->page_due);
    else if (i->paged && !i->acknowledged && i->escalation.is_object() && i->escalation["due"].is_string())
      if (auto due = parse_time(i->escalation["due"].get<std::string>()))
        consider(w ? std::max(w->to, *due) : *due);
  }
  return next;
}

void AlertingService::page(Incident& i, const ClientPolicy& c, TimePoint now, Pending& p) {
  i.paged = now;
  i.page_due.reset();
  notify(i, c.pages, "incident.opened", "page", "paging: " + to_string(i.priority), now, p);
  std::vector<std::string> direct;
  bool rota = false;
  for (const auto& s : c.pages) {
    if (s == kOncall) rota = true;
    else if (s != "builtin") direct.push_back(s);
  }
  if (!i.ticket.empty() && !direct.empty()) {
    std::string names;
    for (const auto& s : direct) names += (names.empty() ? "" : ", ") + s;
    tickets_.note(i, c, now, "paged", "paged " + names, p.tx, {{"sinks", direct}});
  }
  // The built-in rota: the escalation starts now, with the policy as it is now (a snapshot).
  if (rota && oncall_.escalation && i.escalation.is_null()) {
    i.escalation = EscalationState::begin(*oncall_.escalation, now).to_json();
    escalate(i, c, now, p);
  }
}

void AlertingService::page_contact(Incident& i, const std::string& event, const nlohmann::json& page,
                                   const std::string& sink, const std::string& key,
                                   const std::string& reason, TimePoint now, Pending& p) {
  Notification n;
  n.id = ++notification_counter_;
  n.sink = sink;
  n.incident = i.id;
  n.seq = ++i.notifications;
  n.event = event;
  n.idempotency_key = key;
  n.created = now;
  nlohmann::json ticket = nullptr;
  if (!i.ticket.empty())
    if (auto t = tickets_.get(i.ticket)) {
      ticket = t->to_json();
      ticket.erase("events");
    }
  nlohmann::json body = notification_body(i, ticket, event, "page", key, reason, now);
  body["oncall"] = page;
  n.body = body.dump();
  p.tx.values.push_back(store::Value{"outbox", n.store_key(), n.to_json().dump()});
  p.tx.values.push_back(store::Value{"counter", "notification", std::to_string(notification_counter_)});
  p.notifications.push_back(std::move(n));
}

void AlertingService::escalate(Incident& i, const ClientPolicy& c, TimePoint now, Pending& p) {
  auto state = EscalationState::from_json(i.escalation);
  if (!state) return;
  bool fall_through = false;  // the step before had nobody: this one is paged at once
  while (state->due && (*state->due <= now || fall_through) && !i.acknowledged) {
    const auto& step = state->policy.steps[static_cast<size_t>(state->step)];
    const int loop = state->loop + 1, number = state->step + 1;  // as people count them
    const std::string where = "escalation step " + std::to_string(number) + " (" + step.target + "), loop " +
                              std::to_string(loop) + " of " + std::to_string(state->policy.repeat + 1);
    const auto members = step_members(oncall_, step.target, now);
    const bool last_of_loop = state->step + 1 == static_cast<int>(state->policy.steps.size());
    if (members.empty()) {
      // PagerDuty: nobody on call at a level -> the next level is paged at once.
      record(i, "escalation", where + ": nobody on call; falls through to the next step", now, p);
      fall_through = !last_of_loop;
      state->advance();
      continue;
    }
    fall_through = false;
    for (const auto& id : members) {
      const config::OncallMember* m = find_member(oncall_, id);
      if (!m) continue;
      for (size_t k = 0; k < m->contacts.size(); ++k) {
        const auto& contact = m->contacts[k];
        const std::string key = "lookout:" + i.id + ":page:" + std::to_string(loop) + "." +
                                std::to_string(number) + ":" + m->id + ":" + std::to_string(k + 1);
        std::string ticket_url;
        if (!i.ticket.empty() && !oncall_.ticket_url.empty()) {
          ticket_url = oncall_.ticket_url;
          if (auto pos = ticket_url.find("{ref}"); pos != std::string::npos) ticket_url.replace(pos, 5, i.ticket);
        }
        nlohmann::json page = {{"member", m->id}, {"name", m->name}, {"sink", contact.sink},
                               {"address", contact.address}, {"target", step.target}, {"loop", loop},
                               {"step", number}, {"at", format_time(now)},
                               {"ticket", i.ticket.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.ticket)},
                               {"ticket_url", ticket_url.empty() ? nlohmann::json(nullptr) : nlohmann::json(ticket_url)}};
        const std::string reason = "paging " + m->name + ": " + where;
        page_contact(i, "incident.opened", page, contact.sink, key, reason, now, p);
        state->paged.push_back(page);
        const std::string text = "paged " + m->name + " (" + m->id + ") via " + contact.sink + " at " +
                                 contact.address + ": " + where;
        if (!i.ticket.empty())
          tickets_.note(i, c, now, "paged", text, p.tx,
                        {{"member", m->id}, {"name", m->name}, {"sink", contact.sink},
                         {"address", contact.address}, {"target", step.target}, {"loop", loop},
                         {"step", number}});
        record(i, "paged", text, now, p);
      }
    }
    state->advance();
  }
  if (state->due) hint(*state->due);
  i.escalation = state->to_json();
}

void AlertingService::stop_escalation(Incident& i, const std::string& why, const std::string& event,
                                      TimePoint now, Pending& p) {
  auto state = EscalationState::from_json(i.escalation);
  if (!state) return;
  if (state->due) {
    state->due.reset();
    state->stopped = why;
  }
  // The people it paged hear of it (each contact once).
  std::set<std::pair<std::string, std::string>> told;
  for (const auto& page : state->paged) {
    const std::string sink = page.value("sink", ""), address = page.value("address", "");
    if (!told.insert({sink, address}).second) continue;
    const std::string key = "lookout:" + i.id + ":" + (event == "incident.resolved" ? "resolved" : "ack") +
                            ":" + page.value("member", "") + ":" + sink + ":" + address;
    nlohmann::json copy = page;
    copy["at"] = format_time(now);
    page_contact(i, event, copy, sink, key, why, now, p);
  }
  i.escalation = state->to_json();
}

void AlertingService::notify(const Incident& i, const std::vector<std::string>& sinks,
                             const std::string& event, const std::string& audience,
                             const std::string& reason, TimePoint now, Pending& p,
                             const nlohmann::json& extra) {
  std::vector<std::string> remote;
  for (const auto& s : sinks)
    if (s != "builtin" && s != kOncall) remote.push_back(s);
  if (remote.empty()) return;
  Incident& mutable_incident = const_cast<Incident&>(i);
  const int seq = ++mutable_incident.notifications;
  nlohmann::json ticket = nullptr;
  if (!i.ticket.empty())
    if (auto t = tickets_.get(i.ticket)) {
      ticket = t->to_json();
      ticket.erase("events");
    }
  for (const auto& sink : remote) {
    Notification n;
    n.id = ++notification_counter_;
    n.sink = sink;
    n.incident = i.id;
    n.seq = seq;
    n.event = event;
    n.idempotency_key = "lookout:" + i.id + ":" + std::to_string(seq);
    n.created = now;
    nlohmann::json body = notification_body(i, ticket, event, audience, n.idempotency_key, reason, now);
    if (extra.is_object()) body.update(extra);
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
  if (!i.open) {
    nlohmann::json j = i.to_json();
    p.tx.values.push_back(store::Value{"incident_history", i.id, j.dump()});
    auto& entry = history_in_flight_[i.id];
    ++entry.first;
    entry.second = std::move(j);
    p.history.push_back(i.id);
  }
}

void AlertingService::raise(Incident& i, const ClientPolicy& c, const std::string& reason,
                            const std::string& kind, TimePoint now, Pending& p) {
  bool page_now = false;
  if (!c.pages.empty() && !i.acknowledged) {
    PageDecision d = page_decision(c, i.priority, now);
    page_now = d.now;
    if (!d.now && d.at) i.page_due = d.at;
    if (i.page_due) hint(*i.page_due);
  }
  if (page_now) i.paged = now;  // before the ticket body is written
  if (c.builtin_tickets()) i.ticket = tickets_.open(i, c, now, reopen_window_, p.tx).ref;
  record(i, kind, reason, now, p);
  notify(i, c.tickets, "incident.opened", "tickets", reason, now, p);
  // The client's own acknowledgement ("we have detected ..., reference LK-1042, we are on it"):
  // once per incident, when it is raised, durable through the outbox like every notification.
  if (const auto& nc = c.contract.notify_client)
    notify(i, {nc->sink}, "incident.client_notice", "client", "acknowledgement to the client", now, p,
           nlohmann::json{{"to", nc->to}});
  if (page_now) {
    page(i, c, now, p);
    record(i, "paged", "opened outside business hours or under 24x7 cover", now, p);
  }
}

void AlertingService::handle(IncidentChange change, TimePoint now) {
  const ClientPolicy& c = client(change.incident.client);
  Pending p;
  if (change.kind == ChangeKind::opened) {
    Incident* i = engine_.open_incident(change.incident.key);
    if (!i) return;
    i->priority = priority_for(c, *i);
    if (auto w = maintenance_now(i->client, i->site, i->check)) {
      // Recorded, not raised: no ticket, no page until the window ends (tick()).
      i->maintenance = true;
      hint(w->to);
      record(*i, "opened", change.reason + "; held: maintenance window " + w->window + " until " +
                               format_time(w->to), now, p);
      persist(*i, p);
      commit(std::move(p));
      spdlog::info("incident {} opened during maintenance window {}: held", i->id, w->window);
      return;
    }
    if (auto holder = holder_for(*i)) {
      // Recorded, not notified: no ticket, no page until the holder resolves (release()).
      hold(*i, *holder);
      record(*i, "opened", change.reason + "; held by " + *holder, now, p);
      persist(*i, p);
      commit(std::move(p));
      spdlog::info("incident {} opened, held by {}: {}", i->id, *holder, i->summary);
      return;
    }
    raise(*i, c, change.reason, "opened", now, p);
    persist(*i, p);
    spdlog::warn("incident {} opened ({}, {}): {}", i->id, to_string(i->priority),
                 probes::to_string(i->severity), i->summary);
  } else if (change.kind == ChangeKind::updated) {
    Incident* i = engine_.open_incident(change.incident.key);
    if (!i) return;
    const Priority before = i->priority;
    i->priority = priority_for(c, *i);
    std::string reason = change.reason;
    if (i->priority != before) {
      reason += "; priority " + to_string(before) + " -> " + to_string(i->priority);
      i->reminder_due.reset();  // the update interval follows the priority
    }
    const bool inhibited_before =
        change.incident.type == "http" && change.previous_severity == probes::Status::critical;
    if (!i->held_by.empty()) {
      // Held: recorded only; the release notifies the incident as it is then.
      record(*i, "updated", reason + " (held by " + i->held_by + ": not notified)", now, p);
      persist(*i, p);
      commit(std::move(p));
      if (inhibited_before && !Inhibition::inhibits(*i))
        release(i->id, "the site's http incident " + i->id + " is no longer critical", now);
      return;
    }
    if (i->maintenance || maintenance_now(i->client, i->site, i->check)) {
      // During maintenance: recorded (and the built-in ticket kept current), nothing sent.
      if (!i->maintenance && !i->ticket.empty())
        tickets_.update(*i, c, now, reason + " (during maintenance)", p.tx);
      record(*i, "updated", reason + " (during maintenance: not notified)", now, p);
      persist(*i, p);
      commit(std::move(p));
      return;
    }
    bool page_now = false;
    if (!i->paged && !i->acknowledged && !c.pages.empty()) {
      PageDecision d = page_decision(c, i->priority, now);
      page_now = d.now;
      i->page_due = d.now ? std::nullopt : d.at;
      // While the network is suspect a page waits (tick() sends it once it is back).
      if (page_now && suspect()) {
        page_now = false;
        i->page_due = now;
      }
      if (i->page_due) hint(*i->page_due);
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
    commit(std::move(p));
    if (inhibited_before && !Inhibition::inhibits(*i))
      release(i->id, "the site's http incident " + i->id + " is no longer critical", now);
    return;
  } else {
    Incident i = change.incident;
    i.page_due.reset();
    i.reminder_due.reset();
    if (!i.held_by.empty()) {
      // Resolved while held: nobody was told, nobody is told now.
      const std::string holder = i.held_by;
      unhold(i);
      i.held_by = holder;  // kept in the history: it was never notified because of this one
      record(i, "resolved", change.reason + " (while held by " + holder + ": never notified)", now, p);
    } else if (i.maintenance) {
      // Opened and gone within maintenance: nobody was told, nobody is told now.
      record(i, "resolved", change.reason + " (within maintenance: never notified)", now, p);
    } else {
      const std::string audience = i.client == kAgencyClient ? "agency" : "tickets";
      if (!i.ticket.empty()) tickets_.solve(i, now, change.reason, p.tx, &c);
      notify(i, c.tickets, "incident.resolved", audience, change.reason, now, p);
      if (i.paged) notify(i, c.pages, "incident.resolved", "page", change.reason, now, p);
      if (i.escalation.is_object()) stop_escalation(i, "resolved: " + change.reason, "incident.resolved", now, p);
      record(i, "resolved", change.reason, now, p);
    }
    persist(i, p);
    engine_.restore(i);  // keeps the numbering; nothing open
    spdlog::info("incident {} resolved: {}", i.id, change.reason);
    commit(std::move(p));
    // What it held back: released if still open (dropped if it resolved meanwhile).
    if (i.client != kAgencyClient) release(i.id, "the holding incident " + i.id + " resolved", now);
    return;
  }
  commit(std::move(p));
}

void AlertingService::commit(Pending p, std::function<void(store::CommitResult)> done) {
  {
    std::lock_guard lock(idle_mutex_);
    ++commits_in_flight_;
  }
  auto notifications = std::make_shared<std::vector<Notification>>(std::move(p.notifications));
  store_.commit(std::move(p.tx), [this, notifications, history = std::move(p.history),
                                  done = std::move(done)](store::CommitResult r) {
    {
      std::lock_guard lock(mutex_);
      for (const auto& id : history)
        if (auto it = history_in_flight_.find(id); it != history_in_flight_.end() && --it->second.first <= 0)
          history_in_flight_.erase(it);
    }
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
    if (done) done(r);
    {
      std::lock_guard lock(idle_mutex_);
      --commits_in_flight_;
    }
    idle_cv_.notify_all();
  });
}

bool AlertingService::commit_and_wait(Pending p, std::unique_lock<std::mutex>& lock,
                                      std::string& error) {
  auto promise = std::make_shared<std::promise<store::CommitResult>>();
  auto result = promise->get_future();
  commit(std::move(p), [promise](store::CommitResult r) { promise->set_value(std::move(r)); });
  lock.unlock();  // the commit's completion takes the lock
  store::CommitResult r = result.get();
  if (!r.ok) error = "the change could not be stored: " + r.error;
  return r.ok;
}

namespace {
Mutation failed(ActionFailure f, std::string message) {
  Mutation m;
  m.failure = f;
  m.message = std::move(message);
  return m;
}
}  // namespace

Mutation AlertingService::acknowledge(const std::string& incident_id, const std::string& by,
                                      const std::string& note) {
  std::unique_lock lock(mutex_);
  const TimePoint now = clock_.now();
  Incident* i = nullptr;
  for (Incident* open : engine_.open_incidents())
    if (open->id == incident_id) i = open;
  if (!i) {
    if (store_.value("incident_history", incident_id))
      return failed(ActionFailure::conflict, "incident " + incident_id + " is resolved");
    return failed(ActionFailure::not_found, "no incident " + incident_id);
  }
  Mutation m;
  if (i->acknowledged) {
    m.message = "already acknowledged by " + i->acknowledged_by;
    m.body = i->to_json();
    return m;
  }
  const ClientPolicy& c = client(i->client);
  Pending p;
  i->acknowledged = now;
  i->acknowledged_by = by;
  i->page_due.reset();  // acknowledged: a page owed at the desk's closing time is not needed
  i->updated = now;
  if (!i->ticket.empty()) tickets_.acknowledge(*i, c, now, by, note, p.tx);
  const std::string reason = "acknowledged by " + (by.empty() ? std::string("an operator") : by) +
                             (note.empty() ? "" : ": " + note);
  record(*i, "acknowledged", reason, now, p);
  if (i->paged) notify(*i, c.pages, "incident.acknowledged", "page", reason, now, p);
  if (i->escalation.is_object()) {
    stop_escalation(*i, reason, "incident.acknowledged", now, p);
    record(*i, "escalation", "escalation stopped: " + reason, now, p);
  }
  persist(*i, p);
  m.message = reason;
  m.body = i->to_json();
  spdlog::info("incident {} {}", i->id, reason);
  if (!commit_and_wait(std::move(p), lock, m.message)) m.store_failed = true;
  return m;
}

Mutation AlertingService::ticket_action(const std::string& ref, const std::string& action,
                                        const std::string& by, const std::string& text) {
  std::unique_lock lock(mutex_);
  const TimePoint now = clock_.now();
  auto t = tickets_.get(ref);
  if (!t) return failed(ActionFailure::not_found, "no ticket " + ref);
  const ClientPolicy& c = client(t->client);
  Pending p;
  ActionResult r;
  if (action == "hold") r = tickets_.hold(ref, c, now, by, text, p.tx);
  else if (action == "resume") r = tickets_.resume(ref, c, now, by, text, p.tx);
  else if (action == "solve") r = tickets_.solve_by_hand(ref, c, now, by, text, p.tx);
  else if (action == "comment") r = tickets_.comment(ref, now, by, text, p.tx);
  else return failed(ActionFailure::not_found, "unknown ticket action '" + action + "'");
  Mutation m;
  m.failure = r.failure;
  m.message = r.message;
  if (r.failure != ActionFailure::none) return m;
  if (r.changed) {
    static const std::map<std::string, std::string> done = {
        {"hold", "put on hold (SLA clocks paused)"}, {"resume", "resumed (SLA clocks running)"},
        {"solve", "solved"}, {"comment", "commented"}};
    m.message = ref + " " + done.at(action) + (by.empty() ? "" : " by " + by);
  }
  if (r.changed) {
    spdlog::info("ticket {}: {} by {}", ref, action, by.empty() ? "an operator" : by);
    if (!commit_and_wait(std::move(p), lock, m.message)) m.store_failed = true;
    lock.lock();
  }
  if (auto after = tickets_.get(ref)) m.body = alerting::ticket_json(*after, store_.events("ticket", ref));
  return m;
}

Mutation AlertingService::add_maintenance(config::MaintenanceWindow w) {
  std::unique_lock lock(mutex_);
  Mutation m;
  auto invalid = [&](std::string message) {
    m.invalid = true;
    m.message = std::move(message);
    return m;
  };
  if (!zones_.count(w.client)) return invalid("unknown scope: no client '" + w.client + "'");
  if (!w.site.empty()) {
    if (!checks_->has_site(w.client + "/" + w.site))
      return invalid("unknown scope: client '" + w.client + "' has no site '" + w.site + "'");
    if (!w.check.empty() && !checks_->find(w.client + "/" + w.site + "/" + w.check))
      return invalid("unknown scope: site '" + w.client + "/" + w.site + "' has no check '" + w.check + "'");
  }
  if (auto problem = config::resolve_once(w, zones_.count(w.client) ? zones_[w.client] : "UTC"))
    return invalid(problem->key + ": " + problem->message);
  const TimePoint now = clock_.now();
  w.id = "mw-" + std::to_string(++maintenance_counter_);
  w.source = "api";
  w.created = now;
  Pending p;
  p.tx.values.push_back(store::Value{"maintenance", w.id, w.to_json().dump()});
  p.tx.values.push_back(store::Value{"counter", "maintenance", std::to_string(maintenance_counter_)});
  p.tx.events.push_back(store::Event{"maintenance", w.id, 1, now, "created", w.to_json().dump()});
  api_windows_[w.id] = w;
  rebuild_schedule();
  m.message = "maintenance window " + w.id + " created for " + w.scope();
  m.body = w.to_json();
  spdlog::info("{}", m.message);
  if (!commit_and_wait(std::move(p), lock, m.message)) m.store_failed = true;
  return m;
}

Mutation AlertingService::delete_maintenance(const std::string& id) {
  std::unique_lock lock(mutex_);
  auto it = api_windows_.find(id);
  if (it == api_windows_.end()) {
    for (const auto& w : config_windows_)
      if (w.id == id)
        return failed(ActionFailure::conflict,
                      "window " + id + " comes from the config; change the config and reload");
    return failed(ActionFailure::not_found, "no maintenance window " + id);
  }
  Mutation m;
  m.body = it->second.to_json();
  api_windows_.erase(it);
  rebuild_schedule();
  hint(clock_.now());  // incidents it held are released at the next tick
  Pending p;
  p.tx.values.push_back(store::Value{"maintenance", id, std::nullopt});
  p.tx.events.push_back(store::Event{"maintenance", id, 2, clock_.now(), "deleted", "{}"});
  m.message = "maintenance window " + id + " deleted";
  spdlog::info("{}", m.message);
  if (!commit_and_wait(std::move(p), lock, m.message)) m.store_failed = true;
  return m;
}

nlohmann::json AlertingService::maintenance_json() const {
  const TimePoint now = clock_.now();
  std::shared_lock lock(schedule_mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : schedule_.windows()) {
    nlohmann::json j = w.to_json();
    auto occ = occurrences(w, schedule_.zone(w.client), now, now + std::chrono::milliseconds(1));
    j["active"] = !occ.empty();
    auto next = schedule_.next(w, now);
    j["next"] = next ? nlohmann::json{{"from", format_time(next->from)}, {"to", format_time(next->to)}}
                     : nlohmann::json(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<WindowInterval> AlertingService::maintenance_intervals(const std::string& client,
                                                                   const std::string& site,
                                                                   const std::string& check,
                                                                   TimePoint from,
                                                                   TimePoint to) const {
  std::shared_lock lock(schedule_mutex_);
  return schedule_.intervals(client, site, check, from, to);
}

std::optional<WindowInterval> AlertingService::maintenance_now(const std::string& client,
                                                               const std::string& site,
                                                               const std::string& check) const {
  const TimePoint now = clock_.now();
  std::shared_lock lock(schedule_mutex_);
  return schedule_.active(client, site, check, now);
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
  if (state.empty() || state == "resolved") {
    for (const auto& [id, text] : store_.values("incident_history")) {
      if (history_in_flight_.count(id)) continue;  // a newer version is on its way to disk
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_object()) out.push_back(j);
    }
    for (const auto& [id, entry] : history_in_flight_) out.push_back(entry.second);
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
