#include "alerting/zendesk_sink.h"

namespace lookout::alerting {

std::string zendesk_priority(const std::string& priority) {
  if (priority == "P1") return "urgent";
  if (priority == "P2") return "high";
  return "normal";
}

namespace {

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

/// {"ticket": {"id": N, ...}} -> N.
std::optional<int64_t> ticket_id(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("ticket") || !j["ticket"].is_object()) return std::nullopt;
  const auto& t = j["ticket"];
  if (!t.contains("id") || !t["id"].is_number_integer()) return std::nullopt;
  return t["id"].get<int64_t>();
}

}  // namespace

ZendeskSink::ZendeskSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls,
                         const Clock& clock, store::Store& store)
    : config_(std::move(config)),
      clock_(clock),
      api_(config_, resolver, tls, clock),
      rate_(config_.rate_limit),
      ids_(store, config_.id, clock.now()) {}

std::vector<std::pair<std::string, std::string>> ZendeskSink::auth() const {
  return {{"Authorization", basic_auth(config_.email + "/token", config_.credential)}};
}

boost::asio::awaitable<ZendeskSink::Found> ZendeskSink::ticket_for(const Notification& n, const NotificationBody& b) {
  Found f;
  if (auto id = ids_.get(n.incident)) {
    f.id = *id;
    co_return f;
  }
  const std::string external_id = b.field("id");
  // Listed, not searched: a ticket made just before a crash is not in the search index yet.
  const nlohmann::json none;
  ApiAnswer list = co_await api_.call("GET", "/api/v2/tickets.json?external_id=" + url_encode(external_id),
                                      none, auth());
  if (list.failed) {
    f.failed = list.failed;
    co_return f;
  }
  if (!list.json.is_object() || !list.json.contains("tickets") || !list.json["tickets"].is_array()) {
    f.failed = Delivery::again("GET /api/v2/tickets.json: HTTP " + std::to_string(list.status) +
                               " but no \"tickets\" array in the answer: '" + excerpt(list.response.body) + "'");
    co_return f;
  }
  for (const auto& t : list.json["tickets"])
    if (t.is_object() && t.value("external_id", "") == external_id && t.contains("id") && t["id"].is_number_integer())
      if (f.id == 0 || t["id"].get<int64_t>() < f.id) f.id = t["id"].get<int64_t>();
  if (f.id == 0) {
    const std::string priority = b.field("priority");
    std::vector<std::string> lines = incident_lines(b);
    if (b.event != "incident.opened") lines.push_back(event_line(b));
    nlohmann::json ticket = {
        {"subject", incident_title(b)},
        {"comment", {{"body", join(lines)}, {"public", config_.public_comments}}},
        {"priority", zendesk_priority(priority)},
        {"type", "incident"},
        {"tags", {"lookout", "client_" + tag_text(b.field("client")), "check_" + tag_text(b.field("type"))}},
        {"external_id", external_id}};
    auto headers = auth();
    headers.emplace_back("Idempotency-Key", n.idempotency_key);
    nlohmann::json wrapped = {{"ticket", ticket}};
    ApiAnswer created = co_await api_.call("POST", "/api/v2/tickets.json", wrapped, std::move(headers));
    if (created.failed) {
      f.failed = created.failed;
      co_return f;
    }
    auto id = ticket_id(created.json);
    if (!id) {
      f.failed = Delivery::again("POST /api/v2/tickets.json: HTTP " + std::to_string(created.status) +
                                 " but no {\"ticket\": {\"id\"}} in the answer: '" + excerpt(created.response.body) + "'");
      co_return f;
    }
    f.id = *id;
    f.created = true;
  }
  const bool recorded = co_await ids_.put(n.incident, f.id);
  if (!recorded)
    f.failed = Delivery::again("Zendesk ticket " + std::to_string(f.id) + " could not be recorded in the store");
  co_return f;
}

boost::asio::awaitable<Delivery> ZendeskSink::deliver(const Notification& n) {
  auto b = NotificationBody::parse(n.body);
  if (!b) co_return Delivery::reject("unreadable notification document");
  if (auto wait = rate_.take(clock_.now()))
    co_return Delivery::again("rate limit: " + std::to_string(config_.rate_limit) + " requests/min", *wait);
  Found f = co_await ticket_for(n, *b);
  if (f.failed) co_return *f.failed;
  if (b->event == "incident.opened") co_return Delivery::ok();  // the ticket is this event

  nlohmann::json ticket = {{"comment", {{"body", event_line(*b)}, {"public", config_.public_comments}}},
                           {"priority", zendesk_priority(b->field("priority"))}};
  if (b->event == "incident.resolved") ticket["status"] = "solved";
  nlohmann::json wrapped = {{"ticket", ticket}};
  ApiAnswer a = co_await api_.call("PUT", "/api/v2/tickets/" + std::to_string(f.id) + ".json", wrapped, auth());
  if (a.failed) co_return *a.failed;
  if (!ticket_id(a.json))
    co_return Delivery::again("PUT /api/v2/tickets/" + std::to_string(f.id) + ".json: HTTP " + std::to_string(a.status) +
                              " but no {\"ticket\": {\"id\"}} in the answer: '" + excerpt(a.response.body) + "'");
  if (b->event == "incident.resolved") co_await ids_.resolved(n.incident, f.id, clock_.now());
  co_return Delivery::ok();
}

}  // namespace lookout::alerting
