// lookout::testing::ZendeskReceiver: a local Zendesk Support API v2 (tickets) that checks each
// request as developer.zendesk.com documents it and keeps the tickets:
//   POST /api/v2/tickets(.json)          {"ticket": {comment {body|html_body} required, ...}}
//                                        -> 201, Location, {"ticket", "audit"}; Idempotency-Key
//                                        replays the first answer for the same key and body
//   GET  /api/v2/tickets(.json)?external_id=X -> {"tickets": [...], "count", "next_page"}
//   PUT  /api/v2/tickets/{id}(.json)     {"ticket": {...}}: a comment is appended; status
//                                        never back to new; a closed ticket -> 422
// Auth: Basic "<email>/token:<token>", else 401 {"error":"Couldn't authenticate you"}. A missing
// wrapper -> 400 ParameterMissing. Search is not offered: using it is counted as an error.
#pragma once

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/desk_receiver.h"

namespace lookout::testing {

class ZendeskReceiver final : public DeskReceiver {
 public:
  struct Comment {
    std::string body;
    bool is_public = true;
  };
  struct Ticket {
    int64_t id = 0;
    std::string subject, priority, type, status = "new", external_id;
    std::vector<std::string> tags;
    std::vector<Comment> comments;
  };

  ZendeskReceiver(std::string email, std::string token) : email_(std::move(email)), token_(std::move(token)) {}
  ~ZendeskReceiver() override { http().stop(); }

  std::vector<Ticket> tickets() const {
    std::lock_guard lock(mutex_);
    std::vector<Ticket> out;
    for (const auto& [id, t] : tickets_) out.push_back(t);
    return out;
  }
  /// Makes a ticket behind the sink's back (as if created before a crash), returns its id.
  int64_t add(Ticket t) {
    std::lock_guard lock(mutex_);
    t.id = next_id_++;
    tickets_[t.id] = t;
    return t.id;
  }
  void close_ticket(int64_t id) {
    std::lock_guard lock(mutex_);
    tickets_.at(id).status = "closed";
  }

 protected:
  Answer handle(const ReceivedRequest& r) override {
    if (decode_basic(r.header("authorization")) != email_ + "/token:" + token_)
      return refuse(401, "bad or missing Authorization", {{"error", "Couldn't authenticate you"}});
    std::smatch m;
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::string query = r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
    static const std::regex kTickets("^/api/v2/tickets(\\.json)?$");
    static const std::regex kTicket("^/api/v2/tickets/([0-9]+)(\\.json)?$");
    if (path.rfind("/api/v2/search", 0) == 0) return refuse(400, "search used (its index lags)", {{"error", "not here"}});
    if (std::regex_match(path, kTickets) && r.method == "GET") return list(query);
    if (std::regex_match(path, kTickets) && r.method == "POST") return create(r);
    if (std::regex_match(path, m, kTicket) && r.method == "PUT") return update(r, std::stoll(m[1]));
    return refuse(404, r.method + " " + r.target, {{"error", "InvalidEndpoint"}, {"description", "Not found"}});
  }

 private:
  static std::string decode_query_value(const std::string& v) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size()) {
        out.push_back(static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16)));
        i += 2;
      } else {
        out.push_back(v[i] == '+' ? ' ' : v[i]);
      }
    }
    return out;
  }
  static nlohmann::json to_json(const Ticket& t) {
    return {{"id", t.id}, {"url", "https://acme.zendesk.com/api/v2/tickets/" + std::to_string(t.id) + ".json"},
            {"subject", t.subject}, {"priority", t.priority}, {"type", t.type}, {"status", t.status},
            {"external_id", t.external_id}, {"tags", t.tags}};
  }
  Answer list(const std::string& query) {
    if (query.rfind("external_id=", 0) != 0) return refuse(400, "list without external_id", {{"error", "expected external_id"}});
    const std::string want = decode_query_value(query.substr(12));
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [id, t] : tickets_)
      if (t.external_id == want) out.push_back(to_json(t));
    return json(200, {{"tickets", out}, {"count", out.size()}, {"next_page", nullptr}, {"previous_page", nullptr}});
  }
  std::optional<Answer> check_ticket(const ReceivedRequest& r, nlohmann::json& t, bool create) {
    if (r.header("content-type").rfind("application/json", 0) != 0)
      return refuse(415, "Content-Type", {{"error", "UnsupportedMediaType"}});
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("ticket") || !j["ticket"].is_object())
      return refuse(400, "no ticket wrapper", {{"error", "ParameterMissing"}, {"description", "Parameter ticket is required"}});
    t = j["ticket"];
    auto invalid = [&](const std::string& why) {
      return refuse(422, why, {{"error", "RecordInvalid"}, {"description", "Record validation errors"},
                               {"details", {{"base", {{{"description", why}}}}}}});
    };
    if (create && (!t.contains("comment") || !t["comment"].is_object())) return invalid("comment is required");
    if (t.contains("comment")) {
      const auto& c = t["comment"];
      if (!c.is_object() || !((c.contains("body") && c["body"].is_string()) || (c.contains("html_body") && c["html_body"].is_string())))
        return invalid("comment needs body or html_body");
      if (c.contains("public") && !c["public"].is_boolean()) return invalid("comment.public must be a boolean");
    }
    static const std::set<std::string> kPriorities = {"urgent", "high", "normal", "low"};
    static const std::set<std::string> kTypes = {"problem", "incident", "question", "task"};
    static const std::set<std::string> kStatus = {"new", "open", "pending", "hold", "solved", "closed"};
    if (t.contains("priority") && (!t["priority"].is_string() || !kPriorities.count(t["priority"].get<std::string>())))
      return invalid("bad priority");
    if (t.contains("type") && (!t["type"].is_string() || !kTypes.count(t["type"].get<std::string>()))) return invalid("bad type");
    if (t.contains("status") && (!t["status"].is_string() || !kStatus.count(t["status"].get<std::string>())))
      return invalid("bad status");
    if (t.contains("tags")) {
      if (!t["tags"].is_array()) return invalid("tags must be an array");
      for (const auto& tag : t["tags"])
        if (!tag.is_string() || tag.get<std::string>().find(' ') != std::string::npos) return invalid("bad tag");
    }
    if (t.contains("external_id") && !t["external_id"].is_string()) return invalid("external_id must be a string");
    if (t.contains("subject") && !t["subject"].is_string()) return invalid("subject must be a string");
    return std::nullopt;
  }
  static Comment comment_of(const nlohmann::json& t) {
    const auto& c = t["comment"];
    return Comment{c.contains("body") ? c["body"].get<std::string>() : c["html_body"].get<std::string>(),
                   c.value("public", true)};
  }
  Answer created_answer(const Ticket& t) {
    Answer a = json(201, {{"ticket", to_json(t)}, {"audit", {{"ticket_id", t.id}}}});
    a.headers.emplace_back("Location", "https://acme.zendesk.com/api/v2/tickets/" + std::to_string(t.id) + ".json");
    return a;
  }
  Answer create(const ReceivedRequest& r) {
    const std::string key = r.header("idempotency-key");
    if (!key.empty()) {
      auto it = idempotent_.find(key);
      if (it != idempotent_.end()) {
        if (it->second.first != r.body)
          return refuse(400, "Idempotency-Key reused with another body",
                        {{"error", "IdempotentRequestError"}, {"description", "Request parameters do not match"}});
        Answer a = created_answer(tickets_.at(it->second.second));
        a.headers.emplace_back("x-idempotency-lookup", "hit");
        return a;
      }
    }
    nlohmann::json t;
    if (auto bad = check_ticket(r, t, true)) return *bad;
    Ticket k;
    k.id = next_id_++;
    k.subject = t.value("subject", "");
    k.priority = t.value("priority", "");
    k.type = t.value("type", "");
    k.status = t.value("status", "open");  // a ticket made by an agent starts open
    k.external_id = t.value("external_id", "");
    if (t.contains("tags")) k.tags = t["tags"].get<std::vector<std::string>>();
    k.comments.push_back(comment_of(t));
    tickets_[k.id] = k;
    if (!key.empty()) idempotent_[key] = {r.body, k.id};
    return created_answer(k);
  }
  Answer update(const ReceivedRequest& r, int64_t id) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) return refuse(404, "no ticket " + std::to_string(id), {{"error", "RecordNotFound"}, {"description", "Not found"}});
    nlohmann::json t;
    if (auto bad = check_ticket(r, t, false)) return *bad;
    Ticket& k = it->second;
    auto invalid = [&](const std::string& why) {
      return refuse(422, why, {{"error", "RecordInvalid"}, {"description", "Record validation errors"},
                               {"details", {{"status", {{{"description", why}}}}}}});
    };
    if (k.status == "closed") return invalid("Status: closed prevents ticket update");
    if (t.contains("status") && t["status"] == "new") return invalid("Status: can't go back to new");
    if (t.contains("comment")) k.comments.push_back(comment_of(t));
    if (t.contains("status")) k.status = t["status"];
    if (t.contains("priority")) k.priority = t["priority"];
    if (t.contains("tags")) k.tags = t["tags"].get<std::vector<std::string>>();
    return json(200, {{"ticket", to_json(k)}, {"audit", {{"ticket_id", k.id}}}});
  }

  std::string email_, token_;
  std::map<int64_t, Ticket> tickets_;
  std::map<std::string, std::pair<std::string, int64_t>> idempotent_;
  int64_t next_id_ = 8812;
};

}  // namespace lookout::testing
