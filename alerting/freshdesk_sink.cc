#include "alerting/freshdesk_sink.h"

#include <cstdio>

namespace lookout::alerting {

int freshdesk_priority(const std::string& priority) {
  if (priority == "P1") return 4;
  if (priority == "P2") return 3;
  return 2;
}

std::string freshdesk_tag(const std::string& incident_id) {
  uint32_t h = 2166136261u;  // FNV-1a: ids that differ only in punctuation stay apart
  for (unsigned char c : incident_id) h = (h ^ c) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return "lookout-" + tag_text(incident_id) + "-" + hex;
}

FreshdeskSink::FreshdeskSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls,
                             const Clock& clock, store::Store& store)
    : config_(std::move(config)),
      clock_(clock),
      api_(config_, resolver, tls, clock),
      rate_(config_.rate_limit),
      ids_(store, config_.id, clock.now()) {}

std::vector<std::pair<std::string, std::string>> FreshdeskSink::auth() const {
  return {{"Authorization", basic_auth(config_.credential, "X")}};
}

boost::asio::awaitable<FreshdeskSink::Found> FreshdeskSink::ticket_for(const Notification& n, const NotificationBody& b) {
  Found f;
  if (auto id = ids_.get(n.incident)) {
    f.id = *id;
    co_return f;
  }
  const std::string tag = freshdesk_tag(b.field("id"));
  const nlohmann::json none;
  ApiAnswer found = co_await api_.call("GET", "/api/v2/search/tickets?query=" + url_encode("\"tag:'" + tag + "'\""), none, auth());
  if (found.failed) {
    f.failed = found.failed;
    co_return f;
  }
  if (!found.json.is_object() || !found.json.contains("results") || !found.json["results"].is_array()) {
    f.failed = Delivery::again("GET /api/v2/search/tickets: HTTP " + std::to_string(found.status) +
                               " but no \"results\" array in the answer: '" + excerpt(found.response.body) + "'");
    co_return f;
  }
  for (const auto& t : found.json["results"])
    if (t.is_object() && t.contains("id") && t["id"].is_number_integer())
      if (f.id == 0 || t["id"].get<int64_t>() < f.id) f.id = t["id"].get<int64_t>();
  if (f.id == 0) {
    // An earlier create that got no answer (a timeout, a cut connection, a crash) may have made
    // a ticket the search cannot show yet: wait out the index lag before creating another.
    if (auto since = ids_.creating_since(n.incident)) {
      const TimePoint indexed = *since + config_.search_lag;
      if (clock_.now() < indexed) {
        f.failed = Delivery::again(
            "an earlier POST /api/v2/tickets got no answer (sent " + format_time(*since) +
                ") and may have made the ticket; Freshdesk's search shows new tickets minutes late, so the "
                "tag search is repeated at " + format_time(indexed) + " before creating another",
            std::chrono::duration_cast<std::chrono::milliseconds>(indexed - clock_.now()));
        co_return f;
      }
    }
    if (!co_await ids_.creating(n.incident, clock_.now())) {
      f.failed = Delivery::again("the pending Freshdesk create could not be recorded in the store");
      co_return f;
    }
    const std::string priority = b.field("priority");
    std::vector<std::string> lines = incident_lines(b);
    if (b.event != "incident.opened") lines.push_back(event_line(b));
    nlohmann::json ticket = {
        {"email", config_.email},
        {"subject", incident_title(b)},
        {"description", html_paragraphs(lines)},
        {"priority", freshdesk_priority(priority)},
        {"status", 2},
        {"source", 2},
        {"tags", {"lookout", "client_" + tag_text(b.field("client")), "check_" + tag_text(b.field("type")), tag}}};
    ApiAnswer created = co_await api_.call("POST", "/api/v2/tickets", ticket, auth());
    if (created.failed) {
      // A refusal from Freshdesk says nothing was made. No answer, a 2xx we could not read, or
      // a gateway's 502/504 (the server behind it may have acted) leaves the mark.
      if (created.status >= 300 && created.status != 502 && created.status != 504) co_await ids_.forget(n.incident);
      f.failed = created.failed;
      co_return f;
    }
    if (!created.json.is_object() || !created.json.contains("id") || !created.json["id"].is_number_integer()) {
      f.failed = Delivery::again("POST /api/v2/tickets: HTTP " + std::to_string(created.status) +
                                 " but no ticket \"id\" in the answer: '" + excerpt(created.response.body) + "'");
      co_return f;
    }
    f.id = created.json["id"].get<int64_t>();
  }
  const bool recorded = co_await ids_.put(n.incident, f.id);
  if (!recorded) f.failed = Delivery::again("Freshdesk ticket " + std::to_string(f.id) + " could not be recorded in the store");
  co_return f;
}

boost::asio::awaitable<std::optional<Delivery>> FreshdeskSink::add_note(int64_t id, const std::string& text) {
  nlohmann::json note = {{"body", html_paragraphs({text})}, {"private", !config_.public_comments}};
  const std::string path = "/api/v2/tickets/" + std::to_string(id) + "/notes";
  ApiAnswer a = co_await api_.call("POST", path, note, auth());
  if (a.failed) co_return a.failed;
  if (!a.json.is_object() || !a.json.contains("id"))
    co_return Delivery::again("POST " + path + ": HTTP " + std::to_string(a.status) +
                              " but no note \"id\" in the answer: '" + excerpt(a.response.body) + "'");
  co_return std::nullopt;
}

boost::asio::awaitable<Delivery> FreshdeskSink::deliver(const Notification& n) {
  auto b = NotificationBody::parse(n.body);
  if (!b) co_return Delivery::reject("unreadable notification document");
  if (auto wait = rate_.take(clock_.now()))
    co_return Delivery::again("rate limit: " + std::to_string(config_.rate_limit) + " requests/min", *wait);
  Found f = co_await ticket_for(n, *b);
  if (f.failed) co_return *f.failed;
  if (b->event == "incident.opened") co_return Delivery::ok();

  if (b->event == "incident.resolved") {
    // Status first: a retry after a failed note sets it again (harmless) and adds the note once.
    const std::string path = "/api/v2/tickets/" + std::to_string(f.id);
    nlohmann::json update = {{"status", 4}};
    ApiAnswer a = co_await api_.call("PUT", path, update, auth());
    if (a.failed) co_return *a.failed;
    if (!a.json.is_object() || !a.json.contains("id"))
      co_return Delivery::again("PUT " + path + ": HTTP " + std::to_string(a.status) +
                                " but no ticket \"id\" in the answer: '" + excerpt(a.response.body) + "'");
  }
  if (auto failed = co_await add_note(f.id, event_line(*b))) co_return *failed;
  if (b->event == "incident.resolved") co_await ids_.resolved(n.incident, f.id, clock_.now());
  co_return Delivery::ok();
}

}  // namespace lookout::alerting
