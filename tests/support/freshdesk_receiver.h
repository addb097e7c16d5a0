// lookout::testing::FreshdeskReceiver: a local Freshdesk API v2 that checks each request as
// developers.freshdesk.com documents it and keeps the tickets and their notes:
//   POST /api/v2/tickets                 requester (email here), subject, description, priority
//                                        1-4, status 2-5, source, tags -> 201 {"id", ...}
//   PUT  /api/v2/tickets/{id}            {"status"|"priority"|...} -> 200 {"id", ...}
//   POST /api/v2/tickets/{id}/notes      {"body" (required), "private" (default true)} -> 201
//   GET  /api/v2/search/tickets?query="tag:'x'" -> {"results": [...], "total"}
// Auth: Basic "<api key>:<anything>", else 401 invalid_credentials. Validation errors answer 400
// {"description":"Validation failed","errors":[{"field","message","code"}]}.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/desk_receiver.h"

namespace lookout::testing {

class FreshdeskReceiver final : public DeskReceiver {
 public:
  struct Note {
    std::string body;
    bool is_private = true;
  };
  struct Ticket {
    int64_t id = 0;
    std::string email, subject, description;
    int priority = 1, status = 2, source = 2;
    std::vector<std::string> tags;
    std::vector<Note> notes;
    std::chrono::steady_clock::time_point made = std::chrono::steady_clock::now();
  };

  explicit FreshdeskReceiver(std::string api_key) : api_key_(std::move(api_key)) {}
  ~FreshdeskReceiver() override { http().stop(); }

  std::vector<Ticket> tickets() const {
    std::lock_guard lock(mutex_);
    std::vector<Ticket> out;
    for (const auto& [id, t] : tickets_) out.push_back(t);
    return out;
  }
  /// Freshdesk's search index lags: while frozen, search sees only the tickets made before.
  void freeze_search_index() {
    std::lock_guard lock(mutex_);
    indexed_below_ = next_id_;
  }
  void catch_up_search_index() {
    std::lock_guard lock(mutex_);
    indexed_below_ = INT64_MAX;
  }
  /// Or, in real time: search shows a ticket only `lag` after it was made.
  void set_search_lag(std::chrono::milliseconds lag) {
    std::lock_guard lock(mutex_);
    search_lag_ = lag;
  }
  int64_t add(Ticket t) {
    std::lock_guard lock(mutex_);
    t.id = next_id_++;
    tickets_[t.id] = t;
    return t.id;
  }

 protected:
  Answer handle(const ReceivedRequest& r) override {
    const std::string user = decode_basic(r.header("authorization"));
    if (user.substr(0, user.find(':')) != api_key_ || user.find(':') == std::string::npos)
      return refuse(401, "bad or missing Authorization",
                    {{"code", "invalid_credentials"}, {"message", "You have to be logged in to perform this action."}});
    if (r.header("content-type").rfind("application/json", 0) != 0 && r.method != "GET")
      return refuse(415, "Content-Type", {{"code", "invalid_content_type"}, {"message", "Content-Type must be application/json"}});
    const std::string path = r.target.substr(0, r.target.find('?'));
    const std::string query = r.target.find('?') == std::string::npos ? "" : r.target.substr(r.target.find('?') + 1);
    std::smatch m;
    static const std::regex kTicket("^/api/v2/tickets/([0-9]+)$");
    static const std::regex kNotes("^/api/v2/tickets/([0-9]+)/notes$");
    if (path == "/api/v2/tickets" && r.method == "POST") return create(r);
    if (path == "/api/v2/search/tickets" && r.method == "GET") return search(query);
    if (std::regex_match(path, m, kTicket) && r.method == "PUT") return update(r, std::stoll(m[1]));
    if (std::regex_match(path, m, kNotes) && r.method == "POST") return note(r, std::stoll(m[1]));
    return refuse(404, r.method + " " + r.target, {{"code", "not_found"}});
  }

 private:
  Answer invalid(const std::string& field, const std::string& message, const std::string& code) {
    return refuse(400, field + ": " + message,
                  {{"description", "Validation failed"},
                   {"errors", {{{"field", field}, {"message", message}, {"code", code}}}}});
  }
  static nlohmann::json to_json(const Ticket& t) {
    return {{"id", t.id}, {"subject", t.subject}, {"description", t.description}, {"priority", t.priority},
            {"status", t.status}, {"source", t.source}, {"tags", t.tags}, {"requester_id", 42}};
  }
  std::optional<Answer> check_fields(const nlohmann::json& j) {
    for (const char* f : {"priority", "status", "source"})
      if (j.contains(f) && !j[f].is_number_integer()) return invalid(f, "It should be a/an Positive Integer", "datatype_mismatch");
    if (j.contains("priority") && (j["priority"] < 1 || j["priority"] > 4))
      return invalid("priority", "It should be one of these values: '1,2,3,4'", "invalid_value");
    if (j.contains("status") && (j["status"] < 2 || j["status"] > 5))
      return invalid("status", "It should be one of these values: '2,3,4,5'", "invalid_value");
    if (j.contains("tags")) {
      if (!j["tags"].is_array()) return invalid("tags", "It should be a/an Array", "datatype_mismatch");
      for (const auto& t : j["tags"])
        if (!t.is_string() || t.get<std::string>().find(',') != std::string::npos)
          return invalid("tags", "It should contain elements of type String only", "datatype_mismatch");
    }
    for (const char* f : {"subject", "description", "email"})
      if (j.contains(f) && !j[f].is_string()) return invalid(f, "It should be a/an String", "datatype_mismatch");
    return std::nullopt;
  }
  Answer create(const ReceivedRequest& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object()) return refuse(400, "not JSON", {{"description", "Validation failed"}, {"errors", {{{"code", "invalid_json"}}}}});
    if (j.contains("ticket")) return invalid("ticket", "Unexpected/invalid field in request", "invalid_field");
    if (!j.contains("email") && !j.contains("requester_id") && !j.contains("phone") && !j.contains("unique_external_id"))
      return invalid("requester_id", "Please fill at least 1 of requester_id, phone, email, unique_external_id fields", "missing_field");
    if (!j.contains("subject")) return invalid("subject", "It should be a/an String", "missing_field");
    if (!j.contains("description")) return invalid("description", "It should be a/an String", "missing_field");
    if (auto bad = check_fields(j)) return *bad;
    if (j.contains("email") && j["email"].get<std::string>().find('@') == std::string::npos)
      return invalid("email", "It should be in the 'valid email address' format", "invalid_value");
    Ticket t;
    t.id = next_id_++;
    t.email = j.value("email", "");
    t.subject = j["subject"];
    t.description = j["description"];
    t.priority = j.value("priority", 1);
    t.status = j.value("status", 2);
    t.source = j.value("source", 2);
    if (j.contains("tags")) t.tags = j["tags"].get<std::vector<std::string>>();
    tickets_[t.id] = t;
    return json(201, to_json(t));
  }
  Answer update(const ReceivedRequest& r, int64_t id) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) return refuse(404, "no ticket", {{"code", "not_found"}});
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || j.empty()) return invalid("body", "Request body is empty", "missing_field");
    if (auto bad = check_fields(j)) return *bad;
    if (j.contains("status")) it->second.status = j["status"];
    if (j.contains("priority")) it->second.priority = j["priority"];
    return json(200, to_json(it->second));
  }
  Answer note(const ReceivedRequest& r, int64_t id) {
    auto it = tickets_.find(id);
    if (it == tickets_.end()) return refuse(404, "no ticket", {{"code", "not_found"}});
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("body") || !j["body"].is_string() || j["body"].get<std::string>().empty())
      return invalid("body", "It should be a/an String", "missing_field");
    if (j.contains("private") && !j["private"].is_boolean()) return invalid("private", "It should be a/an Boolean", "datatype_mismatch");
    it->second.notes.push_back(Note{j["body"], j.value("private", true)});
    return json(201, {{"id", 5000 + static_cast<int64_t>(it->second.notes.size())}, {"body", j["body"]},
                      {"private", j.value("private", true)}, {"ticket_id", id}});
  }
  Answer search(const std::string& query) {
    // query="tag:'<tag>'" (URL-encoded, in double quotes)
    std::string q;
    if (query.rfind("query=", 0) == 0)
      for (size_t i = 6; i < query.size(); ++i) {
        if (query[i] == '%' && i + 2 < query.size()) {
          q.push_back(static_cast<char>(std::stoi(query.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          q.push_back(query[i]);
        }
      }
    static const std::regex kTag("^\"tag:'([^']+)'\"$");
    std::smatch m;
    if (!std::regex_match(q, m, kTag)) return invalid("query", "Invalid query", "invalid_value");
    nlohmann::json results = nlohmann::json::array();
    for (const auto& [id, t] : tickets_)
      if (id < indexed_below_ && std::chrono::steady_clock::now() - t.made >= search_lag_ &&
          std::find(t.tags.begin(), t.tags.end(), m[1].str()) != t.tags.end())
        results.push_back(to_json(t));
    return json(200, {{"results", results}, {"total", results.size()}});
  }

  std::string api_key_;
  std::map<int64_t, Ticket> tickets_;
  int64_t next_id_ = 1;
  int64_t indexed_below_ = INT64_MAX;
  std::chrono::milliseconds search_lag_{0};
};

}  // namespace lookout::testing
