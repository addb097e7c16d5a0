#include "reports/sla.h"

#include <nlohmann/json.hpp>

#include "alerting/sla_clock.h"

namespace lookout::reports {
namespace {

using std::chrono::milliseconds;

struct Metric {
  std::optional<alerting::SlaClock> clock;  // nullopt: no target for the priority
  SlaResult result;
  std::optional<TimePoint> due_at_fulfil;  // the due instant as it stood when fulfilled
  void fulfil(TimePoint t) {
    if (!clock) return;
    auto d = clock->due();
    if (clock->fulfil(t) && d && *d != TimePoint::max()) due_at_fulfil = d;
  }
};

std::optional<milliseconds> target_of(const std::map<std::string, config::SlaTarget>& sla,
                                      const std::string& priority, bool response) {
  auto it = sla.find(priority);
  if (it == sla.end()) return std::nullopt;
  auto t = response ? it->second.response : it->second.resolution;
  if (t <= milliseconds::zero()) return std::nullopt;
  return t;
}

}  // namespace

std::vector<TicketCycle> ticket_cycles(const std::string& ref,
                                       const std::vector<store::Event>& timeline,
                                       const std::string& initial_priority,
                                       const std::map<std::string, config::SlaTarget>& sla,
                                       alerting::TimeBasis basis,
                                       std::shared_ptr<const alerting::BusinessCalendar> calendar,
                                       TimePoint now) {
  std::vector<TicketCycle> out;
  std::optional<TicketCycle> cur;
  Metric response, resolution;

  auto make = [&](const std::string& priority, TimePoint start, bool is_response) {
    Metric m;
    if (auto t = target_of(sla, priority, is_response)) {
      m.clock.emplace(start, *t, basis, basis == alerting::TimeBasis::calendar_24x7 ? nullptr : calendar);
      m.result.target = *t;
    }
    return m;
  };
  auto finish_metric = [&](Metric& m, bool is_response, bool solved) {
    SlaResult& r = m.result;
    if (!m.clock) {
      r.state = "no_target";
      return r;
    }
    r.target = m.clock->target();
    if (auto o = m.clock->outcome()) {
      r.state = o->met ? "met" : "breached";
      r.fulfilled = o->fulfilled_at;
      r.by = o->by;
      r.elapsed = m.clock->elapsed(o->fulfilled_at);
      r.due = m.due_at_fulfil;
      return r;
    }
    r.elapsed = m.clock->elapsed(now);
    if (auto d = m.clock->due(); d && *d != TimePoint::max()) r.due = d;
    if (is_response && solved) {
      // Solved without an acknowledgement: the response was never recorded.
      r.state = "not_recorded";
      r.elapsed.reset();
      r.due.reset();
      return r;
    }
    if (m.clock->breached(now)) {
      r.state = "breached";
      r.by = *r.elapsed - *r.target;
    } else {
      r.state = "pending";
      r.by = *r.target - *r.elapsed;
    }
    return r;
  };
  auto close = [&]() {
    if (!cur) return;
    bool solved = cur->solved.has_value();
    cur->response = finish_metric(response, true, solved);
    cur->resolution = finish_metric(resolution, false, solved);
    out.push_back(std::move(*cur));
    cur.reset();
  };

  std::string priority = initial_priority;
  int cycles = 0;
  for (const auto& e : timeline) {
    auto payload = nlohmann::json::parse(e.payload, nullptr, false);
    if (!payload.is_object()) payload = nlohmann::json::object();
    if (e.kind == "created" || e.kind == "reopened") {
      close();
      if (payload.contains("priority") && payload["priority"].is_string())
        priority = payload["priority"].get<std::string>();
      cur.emplace();
      cur->ref = ref;
      cur->cycle = ++cycles;
      cur->priority = priority;
      cur->start = e.at;
      response = make(priority, e.at, true);
      resolution = make(priority, e.at, false);
      continue;
    }
    if (!cur) continue;
    if (e.kind == "updated" && payload.contains("priority") && payload["priority"].is_object()) {
      std::string to = payload["priority"].value("to", priority);
      if (to == priority) continue;
      priority = to;
      cur->priority = to;
      auto retarget = [&](Metric& m, bool is_response) {
        auto t = target_of(sla, to, is_response);
        if (!t) {
          m.clock.reset();  // no target for the new priority: no SLA for this metric
          return;
        }
        if (m.clock) m.clock->retarget(e.at, *t);
        else {
          // A target appears: a clock from the cycle's start, as the live ticket re-targets.
          m.clock.emplace(cur->start, *t, basis,
                          basis == alerting::TimeBasis::calendar_24x7 ? nullptr : calendar);
        }
      };
      retarget(response, true);
      retarget(resolution, false);
    } else if (e.kind == "acknowledged") {
      response.fulfil(e.at);
    } else if (e.kind == "on_hold") {
      if (response.clock) response.clock->pause(e.at);
      if (resolution.clock) resolution.clock->pause(e.at);
    } else if (e.kind == "resumed" || e.kind == "open") {
      if (response.clock) response.clock->resume(e.at);
      if (resolution.clock) resolution.clock->resume(e.at);
    } else if (e.kind == "solved") {
      resolution.fulfil(e.at);
      cur->solved = e.at;
      close();
    }
  }
  close();
  return out;
}

}  // namespace lookout::reports
