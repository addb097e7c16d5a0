#include "alerting/pagerduty_sink.h"

namespace lookout::alerting {

namespace {

/// At most `max` characters (UTF-8 code points), never cutting one in half.
std::string truncate_utf8(const std::string& s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == max) return s.substr(0, i);
      ++chars;
    }
  }
  return s;
}

constexpr size_t kMaxEvent = 512000;

}  // namespace

std::string pagerduty_severity(const std::string& priority) {
  if (priority == "P1") return "critical";
  if (priority == "P2") return "error";
  return "warning";
}

PagerDutySink::PagerDutySink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls,
                             const Clock& clock)
    : config_(std::move(config)), clock_(clock), api_(config_, resolver, tls, clock), rate_(config_.rate_limit) {}

std::optional<nlohmann::json> PagerDutySink::event_for(const NotificationBody& b) const {
  std::string action;
  if (b.event == "incident.opened" || b.event == "incident.updated" || b.event == "incident.reminder")
    action = "trigger";
  else if (b.event == "incident.acknowledged")
    action = "acknowledge";
  else if (b.event == "incident.resolved")
    action = "resolve";
  else
    return std::nullopt;
  nlohmann::json e = {{"routing_key", config_.credential},
                      {"event_action", action},
                      {"dedup_key", truncate_utf8(b.field("key"), 255)}};
  if (action != "trigger") return e;

  const std::string ref = b.ticket_field("ref");
  std::string ticket_url;
  if (!ref.empty() && !config_.ticket_url.empty()) {
    ticket_url = config_.ticket_url;
    if (auto pos = ticket_url.find("{ref}"); pos != std::string::npos) ticket_url.replace(pos, 5, ref);
  }
  const std::string host = b.field("host").empty() ? b.field("site") : b.field("host");
  const std::string priority = b.field("priority");
  std::string summary = incident_title(b);
  nlohmann::json details = {{"incident", b.field("id")},
                            {"client", b.field("client")},
                            {"site", b.field("site")},
                            {"check", b.field("check")},
                            {"priority", priority},
                            {"status", b.field("severity")},
                            {"failure", b.field("failure")},
                            {"first_failure", b.field("first_failure")},
                            {"reason", b.reason},
                            {"evidence", b.incident.value("facts", nlohmann::json::object())},
                            {"ticket", ref.empty() ? nlohmann::json(nullptr) : nlohmann::json(ref)}};
  if (!ticket_url.empty()) details["ticket_url"] = ticket_url;
  nlohmann::json payload = {{"summary", truncate_utf8(summary, 1024)},
                            {"source", host},
                            {"severity", pagerduty_severity(priority)},
                            {"timestamp", b.field("opened")},
                            {"component", b.field("type")},
                            {"group", "client:" + b.field("client")},
                            {"custom_details", details}};
  if (!b.field("failure").empty()) payload["class"] = b.field("failure");
  e["payload"] = payload;
  e["client"] = "Lookout";
  if (!ticket_url.empty()) e["links"] = nlohmann::json::array({{{"href", ticket_url}, {"text", "Ticket " + ref}}});
  if (e.dump().size() > kMaxEvent)
    e["payload"]["custom_details"] = {{"error", "custom_details dropped: the event was larger than 512 KB"},
                                      {"ticket", details["ticket"]}};
  return e;
}

boost::asio::awaitable<Delivery> PagerDutySink::deliver(const Notification& n) {
  auto body = NotificationBody::parse(n.body);
  if (!body) co_return Delivery::reject("unreadable notification document");
  auto event = event_for(*body);
  if (!event) co_return Delivery::ok();  // nothing PagerDuty needs for this event
  if (auto wait = rate_.take(clock_.now()))
    co_return Delivery::again("rate limit: " + std::to_string(config_.rate_limit) + " events/min", *wait);
  ApiAnswer a = co_await api_.call("POST", "", *event, {}, true, std::chrono::minutes(2));
  if (a.status == 400 && a.failed) {
    // {"status":"invalid event","message":"Event object is invalid","errors":[...]}
    auto j = nlohmann::json::parse(a.response.body, nullptr, false);
    std::string why = "PagerDuty refused the event (HTTP 400)";
    if (j.is_object()) {
      if (j.contains("message") && j["message"].is_string()) why += ": " + j["message"].get<std::string>();
      if (j.contains("errors") && j["errors"].is_array())
        for (const auto& err : j["errors"])
          if (err.is_string()) why += "; " + err.get<std::string>();
    } else {
      why += ": " + excerpt(a.response.body);
    }
    co_return Delivery::reject(why);
  }
  if (a.failed) co_return *a.failed;
  if (!a.json.is_object() || a.json.value("status", "") != "success")
    co_return Delivery::again("HTTP " + std::to_string(a.status) +
                              " but not PagerDuty's 202 {\"status\":\"success\"} answer: '" + excerpt(a.response.body) + "'");
  co_return Delivery::ok();
}

}  // namespace lookout::alerting
