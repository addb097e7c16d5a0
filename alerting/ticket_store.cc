#include "alerting/ticket_store.h"

#include <algorithm>
#include <sstream>

#include "alerting/sla_clock.h"

namespace lookout::alerting {
namespace {

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
          {"events", events}};
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
    // Re-target from the SLA start: the time already spent counts (sla_clock.h).
    auto retarget = [&](std::chrono::milliseconds target, std::optional<TimePoint>& due) {
      if (target <= std::chrono::milliseconds::zero()) {
        due.reset();
        return;
      }
      auto calendar = client.sla_basis == TimeBasis::calendar_24x7 ? nullptr : client.calendar;
      SlaClock clock(t.sla_start, target, client.sla_basis, calendar);
      auto d = clock.due();
      due = d && *d != TimePoint::max() ? d : std::nullopt;
    };
    auto sla = client.contract.sla.find(to_string(incident.priority));
    if (sla == client.contract.sla.end()) {
      t.response_due.reset();
      t.resolution_due.reset();
    } else {
      retarget(sla->second.response, t.response_due);
      retarget(sla->second.resolution, t.resolution_due);
    }
    payload["priority"] = {{"from", to_string(t.priority)}, {"to", to_string(incident.priority)}};
    payload["response_due"] = opt_time(t.response_due);
    payload["resolution_due"] = opt_time(t.resolution_due);
    t.priority = incident.priority;
  }
  if (t.status == TicketStatus::new_) t.status = TicketStatus::open;
  t.subject = subject_of(t, incident);
  t.body = compose_body(t, incident, client);
  write(t, now, "updated", payload, tx);
  return &t;
}

const Ticket* TicketStore::note(const Incident& incident, const ClientPolicy& client, TimePoint now,
                                const std::string& kind, const std::string& text,
                                store::Transaction& tx) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return nullptr;
  it->second.body = compose_body(it->second, incident, client);
  write(it->second, now, kind, {{"incident", incident.id}, {"note", text}}, tx);
  return &it->second;
}

const Ticket* TicketStore::solve(const Incident& incident, TimePoint now, const std::string& note,
                                 store::Transaction& tx) {
  auto it = tickets_.find(incident.ticket);
  if (it == tickets_.end()) return nullptr;
  Ticket& t = it->second;
  t.status = TicketStatus::solved;
  t.solved = now;
  t.body += "Solved " + format_time(now) + ": " + note + "\n";
  write(t, now, "solved", {{"incident", incident.id}, {"note", note}}, tx);
  return &t;
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
