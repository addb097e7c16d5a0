#include <cstdio>

#include "alerting/sink.h"
#include "config/time_text.h"

namespace lookout::alerting {

nlohmann::json Notification::to_json() const {
  return {{"id", id}, {"sink", sink}, {"incident", incident}, {"seq", seq}, {"event", event},
          {"idempotency_key", idempotency_key}, {"body", body}, {"created", format_time(created)}};
}

std::optional<Notification> Notification::from_json(const nlohmann::json& j) {
  try {
    Notification n;
    n.id = j.at("id").get<int64_t>();
    n.sink = j.at("sink").get<std::string>();
    n.incident = j.at("incident").get<std::string>();
    n.seq = j.value("seq", 0);
    n.event = j.at("event").get<std::string>();
    n.idempotency_key = j.at("idempotency_key").get<std::string>();
    n.body = j.at("body").get<std::string>();
    n.created = parse_time(j.value("created", "")).value_or(TimePoint{});
    return n;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

nlohmann::json notification_body(const Incident& i, const nlohmann::json& ticket, const std::string& event,
                                 const std::string& audience, const std::string& idempotency_key,
                                 const std::string& reason, TimePoint now) {
  nlohmann::json incident = i.to_json();
  incident.erase("events");
  incident.erase("notifications");
  return {{"version", 1},
          {"event", event},
          {"audience", audience},
          {"idempotency_key", idempotency_key},
          {"sent_for", reason},
          {"at", format_time(now)},
          {"incident", incident},
          {"ticket", ticket}};
}

std::string page_address(const Notification& n) {
  if (n.body.find("\"oncall\"") == std::string::npos) return "";  // the common case, unparsed
  auto j = nlohmann::json::parse(n.body, nullptr, false);
  if (!j.is_object() || !j.contains("oncall") || !j["oncall"].is_object()) return "";
  const auto& a = j["oncall"]["address"];
  return a.is_string() ? a.get<std::string>() : "";
}

std::string Notification::store_key() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(id));
  return sink + "/" + buf;
}

Delivery classify_http(unsigned status, const std::optional<std::string>& retry_after_header,
                       TimePoint now) {
  if (status >= 200 && status < 300) return Delivery::ok();
  std::string why = "HTTP " + std::to_string(status);
  if (status == 429 || status == 503 || status == 408 || status >= 500) {
    std::optional<std::chrono::milliseconds> after;
    if (retry_after_header && (status == 429 || status == 503)) {
      const std::string& v = *retry_after_header;
      char* end = nullptr;
      long secs = std::strtol(v.c_str(), &end, 10);
      if (end != v.c_str() && *end == '\0' && secs >= 0) {
        after = std::chrono::seconds(secs);
      } else if (auto t = config::parse_http_date(v, now)) {  // RFC 9110: delay-seconds or HTTP-date
        after = std::chrono::duration_cast<std::chrono::milliseconds>(std::max(*t - now, TimePoint::duration::zero()));
      }
      if (after) why += " (Retry-After " + v + ")";
    }
    return Delivery::again(why, after);
  }
  if (status >= 300 && status < 400) return Delivery::again(why + ": redirects are not followed; check the sink URL");
  if (status == 401 || status == 403) return Delivery::refused(why + ": credentials refused");
  return Delivery::reject(why);
}

}  // namespace lookout::alerting
