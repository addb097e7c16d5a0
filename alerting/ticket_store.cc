#include "alerting/ticket_store.h"

#include <algorithm>
#include <sstream>

#include "alerting/sla_clock.h"

namespace lookout::alerting {
namespace {

nlohmann::json holds_json(const std::vector<Ticket::Hold>& holds) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& h : holds) out.push_back({{"from", format_time(h.from)}, {"to", opt_time(h.to)}});
  return out;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

std::string to_string(TicketStatus s) {
  switch (s) {
    case TicketStatus::new_: return "new";
    case TicketStatus::open: return "open";
    case TicketStatus::on_hold: return "on_hold";
    case TicketStatus::solved: return "solved";
  }
  return "?";
}

nlohmann::json Ticket::to_json() const {
  return {{"ref", ref},
          {"number", number},
          {"client", client},
          {"site", site},
          {"check", check},
          {"check_key", check_key},
          {"incident", incident},
          {"incidents", incidents},
          {"priority", alerting::to_string(priority)},
          {"subject", subject},
          {"body", body},
          {"status", alerting::to_string(status)},
          {"created", format_time(created)},
          {"updated", format_time(updated)},
          {"solved", opt_time(solved)},
          {"sla_start", format_time(sla_start)},
          {"sla_basis", sla_24x7 ? "24x7" : "business_hours"},
          {"response_due", opt_time(response_due)},
          {"resolution_due", opt_time(resolution_due)},
          {"events", events},
          {"acknowledged", opt_time(acknowledged)},
          {"acknowledged_by", acknowledged ? nlohmann::json(acknowledged_by) : nlohmann::json(nullptr)},
          {"holds", holds_json(holds)},
          {"sla_retargeted", opt_time(sla_retargeted)},
          {"sla_outcomes", {{"response", response_outcome}, {"resolution", resolution_outcome}}}};
}

std::optional<Ticket> Ticket::from_json(const nlohmann::json& j) {
  try {
    Ticket t;
    t.ref = j.at("ref").get<std::string>();
    t.number = j.at("number").get<int>();
    t.client = j.value("client", "");
    t.site = j.value("site", "");
    t.check = j.value("check", "");
    t.check_key = j.value("check_key", "");
    t.incident = j.value("incident", "");
    t.incidents = j.value("incidents", std::vector<std::string>{});
    t.priority = priority_from_string(j.value("priority", "P3")).value_or(Priority::P3);
    t.subject = j.value("subject", "");
    t.body = j.value("body", "");
    std::string st = j.value("status", "new");
    t.status = st == "open" ? TicketStatus::open
               : st == "on_hold" ? TicketStatus::on_hold
               : st == "solved" ? TicketStatus::solved
                                : TicketStatus::new_;
    t.created = read_opt_time(j, "created").value_or(TimePoint{});
    t.updated = read_opt_time(j, "updated").value_or(TimePoint{});
    t.solved = read_opt_time(j, "solved");
    t.sla_start = read_opt_time(j, "sla_start").value_or(TimePoint{});
    t.sla_24x7 = j.value("sla_basis", "") == "24x7";
    t.response_due = read_opt_time(j, "response_due");
    t.resolution_due = read_opt_time(j, "resolution_due");
    t.events = j.value("events", 0);
    t.acknowledged = read_opt_time(j, "acknowledged");
    if (j.contains("acknowledged_by") && j["acknowledged_by"].is_string())
      t.acknowledged_by = j["acknowledged_by"].get<std::string>();
    if (j.contains("holds") && j["holds"].is_array())
      for (const auto& h : j["holds"])
        if (auto from = read_opt_time(h, "from")) t.holds.push_back(Ticket::Hold{*from, read_opt_time(h, "to")});
    t.sla_retargeted = read_opt_time(j, "sla_retargeted");
    if (j.contains("sla_outcomes") && j["sla_outcomes"].is_object()) {
      t.response_outcome = j["sla_outcomes"].value("response", nlohmann::json(nullptr));
      t.resolution_outcome = j["sla_outcomes"].value("resolution", nlohmann::json(nullptr));
    }
    return t;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

DueTimes due_times(const ClientPolicy& client, Priority priority, TimePoint start) {
  DueTimes d;
  auto it = client.contract.sla.find(to_string(priority));
  if (it == client.contract.sla.end()) return d;
  auto calendar = client.sla_basis == TimeBasis::calendar_24x7 ? nullptr : client.calendar;
  auto one = [&](std::chrono::milliseconds target) -> std::optional<TimePoint> {
    if (target <= std::chrono::milliseconds::zero()) return std::nullopt;
    SlaClock clock(start, target, client.sla_basis, calendar);
    auto due = clock.due();
    if (due && *due == TimePoint::max()) return std::nullopt;
    return due;
  };
  d.response = one(it->second.response);
  d.resolution = one(it->second.resolution);
  return d;
}

std::optional<SlaClock> sla_clock(const Ticket& t, const ClientPolicy& client, bool response) {
  auto it = client.contract.sla.find(to_string(t.priority));
  if (it == client.contract.sla.end()) return std::nullopt;
  const std::chrono::milliseconds target = response ? it->second.response : it->second.resolution;
  if (target <= std::chrono::milliseconds::zero()) return std::nullopt;
  auto calendar = client.sla_basis == TimeBasis::calendar_24x7 ? nullptr : client.calendar;
  if (client.sla_basis == TimeBasis::business_hours && !calendar) return std::nullopt;
  SlaClock clock(t.sla_start, target, client.sla_basis, calendar);
  // Replay in time order: pauses and resumes of the holds, and the re-target.
  struct Step {
    TimePoint at;
    int kind;  // 0 pause, 1 resume, 2 retarget
  };
  std::vector<Step> steps;
  for (const auto& h : t.holds) {
    steps.push_back({h.from, 0});
    if (h.to) steps.push_back({*h.to, 1});
  }
  if (t.sla_retargeted) steps.push_back({*t.sla_retargeted, 2});
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.at < b.at; });
  for (const auto& s : steps) {
    if (s.kind == 0) clock.pause(s.at);
    else if (s.kind == 1) clock.resume(s.at);
    else clock.retarget(s.at, target);
  }
  return clock;
}

void TicketStore::recompute_due(Ticket& t, const ClientPolicy& c) {
  // While on hold the clocks stand still: the due times shown stay as they were and move on
  // resume by the time spent on hold.
  if (t.status == TicketStatus::on_hold) return;
  auto due = [&](bool response) -> std::optional<TimePoint> {
    auto clock = sla_clock(t, c, response);
    if (!clock) return std::nullopt;
    auto d = clock->due();
    return d && *d != TimePoint::max() ? d : std::nullopt;
  };
  if (t.response_outcome.is_null()) t.response_due = due(true);
  if (t.resolution_outcome.is_null()) t.resolution_due = due(false);
}

void TicketStore::record_outcome(Ticket& t, const ClientPolicy& c, bool response, TimePoint at,
                                 store::Transaction& tx) {
  nlohmann::json& slot = response ? t.response_outcome : t.resolution_outcome;
  if (!slot.is_null()) return;  // recorded once per cycle
  auto clock = sla_clock(t, c, response);
  if (!clock) return;  // no target for this priority: nothing to meet or breach
  const std::optional<TimePoint> due = response ? t.response_due : t.resolution_due;
  if (!clock->fulfil(at)) clock->fulfil(std::max(at, t.sla_start));
  auto o = clock->outcome();
  if (!o) return;
  const char* metric = response ? "response" : "resolution";
  nlohmann::json record = {{"ticket", t.ref},
                           {"incident", t.incident},
                           {"client", t.client},
                           {"site", t.site},
                           {"check", t.check},
                           {"check_key", t.check_key},
                           {"priority", to_string(t.priority)},
                           {"metric", metric},
                           {"basis", t.sla_24x7 ? "24x7" : "business_hours"},
                           {"start", format_time(t.sla_start)},
                           {"target_ms", clock->target().count()},
                           {"due", opt_time(due)},
                           {"fulfilled_at", format_time(o->fulfilled_at)},
                           {"result", o->met ? "met" : "breached"},
                           {"met", o->met},
                           {"by_ms", o->by.count()},
                           {"breached_at", opt_time(o->breached_at)}};
  slot = record;
  tx.values.push_back(store::Value{"sla_outcome", t.ref + ":" + t.incident + ":" + metric, record.dump()});
  ++t.events;
  tx.events.push_back(store::Event{"ticket", t.ref, t.events, at,
                                   std::string("sla.") + metric + "_" + (o->met ? "met" : "breached"),
                                   record.dump()});
}

void TicketStore::load() {
  if (auto c = store_.value("counter", "ticket")) counter_ = std::atoi(c->c_str());
  for (const auto& [ref, text] : store_.values("ticket")) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (auto t = Ticket::from_json(j)) {
      counter_ = std::max(counter_, t->number);
      tickets_[ref] = *t;
    }
  }
  for (const auto& [key, ref] : store_.values("ticket_by_check")) by_check_[key] = ref;
}

void TicketStore::write(Ticket& t, TimePoint now, const std::string& kind, nlohmann::json payload,
                        store::Transaction& tx) {
  t.updated = now;
  ++t.events;
  tx.events.push_back(store::Event{"ticket", t.ref, t.events, now, kind, payload.dump()});
  tx.values.push_back(store::Value{"ticket", t.ref, t.to_json().dump()});
}

std::string TicketStore::compose_body(const Ticket& t, const Incident& i, const ClientPolicy& c) {
  std::ostringstream b;
  b << "What failed: the " << i.type << " check '" << i.check << "' of site '" << i.site
    << "' (client " << (c.name.empty() ? i.client : c.name) << ") is "
    << probes::to_string(i.severity) << (i.flapping ? " and flapping" : "") << ".\n";
  b << "Since: " << format_time(i.first_failure) << " (first failed run); incident " << i.id
    << " opened " << format_time(i.opened) << ".\n";
  b << "Reason: " << i.summary << "\n";
  if (i.facts.is_object() && !i.facts.empty()) {
    b << "Evidence:\n";
    int n = 0;
    for (const auto& [k, v] : i.facts.items()) {
      if (++n > 25) {
        b << "  ...\n";
        break;
      }
      std::string text = scalar_text(v);
      if (text.size() > 200) text = text.substr(0, 200) + "...";
      b << "  " << k << ": " << text << "\n";
    }
  }
  b << "SLA (" << to_string(t.priority) << ", " << (t.sla_24x7 ? "24x7" : "business hours")
    << "): response due " << (t.response_due ? format_time(*t.response_due) : "-")
    << ", resolution due " << (t.resolution_due ? format_time(*t.resolution_due) : "-") << ".\n";
  if (i.paged) b << "Page: sent " << format_time(*i.paged) << ".\n";
  else if (i.page_due) b << "Page: due " << format_time(*i.page_due) << " if still open then.\n";
  else b << "Page: none.\n";
  return b.str();
}

namespace {
std::string subject_of(const Ticket& t, const Incident& i) {
  std::string s = "[" + to_string(t.priority) + "] " + i.client + "/" + i.site + " " + i.check + ": " + i.summary;
  if (s.size() > 160) s = s.substr(0, 157) + "...";
  return s;
}
}  // namespace

const Ticket& TicketStore::open(const Incident& incident, const ClientPolicy& client, TimePoint now,
                                std::chrono::milliseconds reopen_window, store::Transaction& tx) {
  Ticket* t = nullptr;
  bool reopened = false;
  if (auto it = by_check_.find(incident.key); it != by_check_.end()) {
    auto tt = tickets_.find(it->second);
    if (tt != tickets_.end() && tt->second.status == TicketStatus::solved && tt->second.solved &&
        now - *tt->second.solved < reopen_window) {
      t = &tt->second;
      reopened = true;
    }
  }
  if (!t) {
    Ticket fresh;
    fresh.number = ++counter_;
    fresh.ref = "LK-" + std::to_string(fresh.number);
    fresh.client = incident.client;
    fresh.site = incident.site;
    fresh.check = incident.check;
    fresh.check_key = incident.key;
    fresh.created = now;
    t = &(tickets_[fresh.ref] = fresh);
    by_check_[incident.key] = t->ref;
    tx.values.push_back(store::Value{"counter", "ticket", std::to_string(counter_)});
    tx.values.push_back(store::Value{"ticket_by_check", incident.key, t->ref});
  }
  t->incident = incident.id;
  t->incidents.push_back(incident.id);
  t->priority = incident.priority;
  t->status = reopened ? TicketStatus::open : TicketStatus::new_;
  t->solved.reset();
  t->sla_start = now;
  t->sla_24x7 = client.sla_basis == TimeBasis::calendar_24x7;
  t->acknowledged.reset();
  t->acknowledged_by.clear();
  t->holds.clear();
  t->sla_retargeted.reset();
  t->response_outcome = nullptr;
  t->resolution_outcome = nullptr;
  DueTimes due = due_times(client, t->priority, now);
  t->response_due = due.response;
  t->resolution_due = due.resolution;
  t->subject = subject_of(*t, incident);
  t->body = compose_body(*t, incident, client);
  write(*t, now, reopened ? "reopened" : "created",
        {{"incident", incident.id}, {"priority", to_string(t->priority)}, {"summary", incident.summary},
         {"response_due", opt_time(t->response_due)}, {"resolution_due", opt_time(t->resolution_due)}},
        tx);
  return *t;
}

const Ticket* TicketStore::update(const Incident& incident, const ClientPolicy& client, TimePoint now,
                                  const std::string& note, store::Transaction& tx) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return nullptr;
  Ticket& t = it->second;
  nlohmann::json payload = {{"incident", incident.id}, {"note", note}};
  if (incident.priority != t.priority) {
    // Re-target from the SLA start: the time already spent counts (sla_clock.h); holds still
    // pause it. A metric already fulfilled keeps its outcome.
    payload["priority"] = {{"from", to_string(t.priority)}, {"to", to_string(incident.priority)}};
    t.priority = incident.priority;
    t.sla_retargeted = now;
    auto sla = client.contract.sla.find(to_string(incident.priority));
    if (sla == client.contract.sla.end()) {
      if (t.response_outcome.is_null()) t.response_due.reset();
      if (t.resolution_outcome.is_null()) t.resolution_due.reset();
    } else if (t.status != TicketStatus::on_hold) {
      recompute_due(t, client);
    }
    payload["response_due"] = opt_time(t.response_due);
    payload["resolution_due"] = opt_time(t.resolution_due);
  }
  // A system update (severity, priority) is not a desk's reply: `new` stays until acknowledged.
  t.subject = subject_of(t, incident);
  t.body = compose_body(t, incident, client);
  write(t, now, "updated", payload, tx);
  return &t;
}

const Ticket* TicketStore::note(const Incident& incident, const ClientPolicy& client, TimePoint now,
                                const std::string& kind, const std::string& text,
                                store::Transaction& tx, const nlohmann::json& fields) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return nullptr;
  it->second.body = compose_body(it->second, incident, client);
  nlohmann::json payload = {{"incident", incident.id}, {"note", text}};
  if (fields.is_object()) payload.update(fields);
  write(it->second, now, kind, payload, tx);
  return &it->second;
}

const Ticket* TicketStore::solve(const Incident& incident, TimePoint now, const std::string& note,
                                 store::Transaction& tx, const ClientPolicy* client) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return nullptr;
  Ticket& t = it->second;
  if (t.status == TicketStatus::solved) {  // solved by hand before the incident resolved
    write(t, now, "note", {{"incident", incident.id}, {"note", "incident resolved: " + note}}, tx);
    return &t;
  }
  if (t.status == TicketStatus::on_hold && !t.holds.empty() && !t.holds.back().to)
    t.holds.back().to = now;
  if (client) {
    // Never acknowledged: the response is owed until the problem is gone.
    record_outcome(t, *client, true, now, tx);
    record_outcome(t, *client, false, now, tx);
  }
  t.status = TicketStatus::solved;
  t.solved = now;
  t.body += "Solved " + format_time(now) + ": " + note + "\n";
  write(t, now, "solved", {{"incident", incident.id}, {"note", note}}, tx);
  return &t;
}

ActionResult TicketStore::acknowledge(const Incident& incident, const ClientPolicy& client,
                                      TimePoint now, const std::string& by, const std::string& note,
                                      store::Transaction& tx) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return {ActionFailure::not_found, "no ticket " + incident.ticket};
  Ticket& t = it->second;
  if (t.acknowledged) return {ActionFailure::none, "already acknowledged", false};
  t.acknowledged = now;
  t.acknowledged_by = by;
  if (t.status == TicketStatus::new_) t.status = TicketStatus::open;
  record_outcome(t, client, true, now, tx);
  write(t, now, "acknowledged", {{"incident", incident.id}, {"by", by}, {"note", note}}, tx);
  return {};
}

namespace {
ActionResult missing(const std::string& ref) { return {ActionFailure::not_found, "no ticket " + ref}; }
}  // namespace

ActionResult TicketStore::hold(const std::string& ref, const ClientPolicy& client, TimePoint now,
                               const std::string& by, const std::string& note,
                               store::Transaction& tx) {
  (void)client;
  auto it = tickets_.find(ref);
  if (it == tickets_.end()) return missing(ref);
  Ticket& t = it->second;
  if (t.status == TicketStatus::on_hold) return {ActionFailure::none, "already on hold", false};
  if (t.status == TicketStatus::solved)
    return {ActionFailure::conflict, ref + " is solved; a solved ticket cannot be put on hold"};
  t.status = TicketStatus::on_hold;
  t.holds.push_back(Ticket::Hold{now, std::nullopt});
  write(t, now, "on_hold", {{"incident", t.incident}, {"by", by}, {"note", note}}, tx);
  return {};
}

ActionResult TicketStore::resume(const std::string& ref, const ClientPolicy& client, TimePoint now,
                                 const std::string& by, const std::string& note,
                                 store::Transaction& tx) {
  auto it = tickets_.find(ref);
  if (it == tickets_.end()) return missing(ref);
  Ticket& t = it->second;
  if (t.status != TicketStatus::on_hold)
    return {ActionFailure::conflict, ref + " is " + to_string(t.status) + ", not on hold"};
  if (!t.holds.empty() && !t.holds.back().to) t.holds.back().to = now;
  t.status = TicketStatus::open;
  recompute_due(t, client);
  write(t, now, "resumed",
        {{"incident", t.incident}, {"by", by}, {"note", note},
         {"response_due", opt_time(t.response_due)}, {"resolution_due", opt_time(t.resolution_due)}},
        tx);
  return {};
}

ActionResult TicketStore::solve_by_hand(const std::string& ref, const ClientPolicy& client,
                                        TimePoint now, const std::string& by,
                                        const std::string& note, store::Transaction& tx) {
  auto it = tickets_.find(ref);
  if (it == tickets_.end()) return missing(ref);
  Ticket& t = it->second;
  if (t.status == TicketStatus::solved) return {ActionFailure::none, "already solved", false};
  if (t.status == TicketStatus::on_hold && !t.holds.empty() && !t.holds.back().to)
    t.holds.back().to = now;
  record_outcome(t, client, true, now, tx);
  record_outcome(t, client, false, now, tx);
  t.status = TicketStatus::solved;
  t.solved = now;
  t.body += "Solved " + format_time(now) + " by " + (by.empty() ? "an operator" : by) +
            (note.empty() ? "" : ": " + note) + "\n";
  write(t, now, "solved", {{"incident", t.incident}, {"by", by}, {"note", note}}, tx);
  return {};
}

ActionResult TicketStore::comment(const std::string& ref, TimePoint now, const std::string& by,
                                  const std::string& text, store::Transaction& tx) {
  auto it = tickets_.find(ref);
  if (it == tickets_.end()) return missing(ref);
  write(it->second, now, "comment", {{"incident", it->second.incident}, {"by", by}, {"text", text}}, tx);
  return {};
}

std::optional<Ticket> TicketStore::get(const std::string& ref) const {
  auto it = tickets_.find(ref);
  if (it == tickets_.end()) return std::nullopt;
  return it->second;
}

std::vector<Ticket> TicketStore::for_client(const std::string& client) const {
  std::vector<Ticket> out;
  for (const auto& [ref, t] : tickets_)
    if (client.empty() || t.client == client) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const Ticket& a, const Ticket& b) { return a.number < b.number; });
  return out;
}

std::vector<store::Event> TicketStore::timeline(const std::string& ref) {
  return store_.events("ticket", ref);
}

nlohmann::json ticket_json(const Ticket& t, const std::vector<store::Event>& timeline) {
  nlohmann::json j = t.to_json();
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : timeline)
    events.push_back({{"seq", e.seq},
                      {"at", format_time(e.at)},
                      {"kind", e.kind},
                      {"detail", nlohmann::json::parse(e.payload, nullptr, false)}});
  j["timeline"] = events;
  return j;
}

}  // namespace lookout::alerting
