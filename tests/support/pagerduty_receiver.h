// lookout::testing::PagerDutyReceiver: a local PagerDuty Events API v2 endpoint
// (POST /v2/enqueue) that checks each event as developer.pagerduty.com documents it and keeps the
// alerts it would hold: a trigger opens an alert per dedup_key (or updates the open one), an
// acknowledge/resolve applies to the open alert and is silently dropped when there is none.
// Answers 202 {"status":"success","message":"Event processed","dedup_key":...}, or 400
// {"status":"invalid event","message":"Event object is invalid","errors":[...]}.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/desk_receiver.h"

namespace lookout::testing {

class PagerDutyReceiver final : public DeskReceiver {
 public:
  struct Alert {
    std::string dedup_key;
    std::string state = "triggered";  // triggered | acknowledged | resolved
    int triggers = 0;                 // trigger events applied (the first opens it)
    int acknowledges = 0;
    nlohmann::json last_trigger;      // the last trigger event as received
  };

  explicit PagerDutyReceiver(std::string routing_key) : routing_key_(std::move(routing_key)) {}
  ~PagerDutyReceiver() override { http().stop(); }

  std::string enqueue_url() const { return url("/v2/enqueue"); }
  /// Every alert ever opened, in order.
  std::vector<Alert> alerts() const {
    std::lock_guard lock(mutex_);
    return alerts_;
  }
  /// The open (not resolved) alert of a key, if any.
  std::optional<Alert> open_alert(const std::string& key) const {
    std::lock_guard lock(mutex_);
    for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it)
      if (it->dedup_key == key && it->state != "resolved") return *it;
    return std::nullopt;
  }
  std::vector<std::string> actions() const {  // "trigger key", "resolve key", in arrival order
    std::lock_guard lock(mutex_);
    return actions_;
  }
  int dropped() const {  // acknowledge/resolve with no open alert
    std::lock_guard lock(mutex_);
    return dropped_;
  }

 protected:
  Answer handle(const ReceivedRequest& r) override {
    auto invalid = [&](const std::string& why) {
      return refuse(400, why, {{"status", "invalid event"}, {"message", "Event object is invalid"}, {"errors", {why}}});
    };
    if (r.method != "POST") return refuse(405, "method " + r.method, {{"status", "error"}});
    if (r.target != "/v2/enqueue") return refuse(404, "path " + r.target, {{"status", "error"}});
    if (r.header("content-type").rfind("application/json", 0) != 0) return invalid("Content-Type must be application/json");
    if (r.body.size() > 512 * 1024) return refuse(413, "larger than 512 KB", {{"status", "error"}});
    auto e = nlohmann::json::parse(r.body, nullptr, false);
    if (!e.is_object()) return invalid("body is not a JSON object");
    if (!e.contains("routing_key") || !e["routing_key"].is_string() || e["routing_key"].get<std::string>().size() != 32)
      return invalid("'routing_key' must be a 32-character string");
    if (e["routing_key"] != routing_key_) return invalid("unknown routing_key");
    static const std::set<std::string> kActions = {"trigger", "acknowledge", "resolve"};
    if (!e.contains("event_action") || !e["event_action"].is_string() || !kActions.count(e["event_action"].get<std::string>()))
      return invalid("'event_action' must be trigger, acknowledge or resolve");
    const std::string action = e["event_action"];
    std::string key;
    if (e.contains("dedup_key")) {
      if (!e["dedup_key"].is_string() || e["dedup_key"].get<std::string>().empty() ||
          e["dedup_key"].get<std::string>().size() > 255)
        return invalid("'dedup_key' must be a string of 1..255 characters");
      key = e["dedup_key"];
    } else if (action != "trigger") {
      return invalid("'dedup_key' is required for " + action);
    } else {
      key = "generated-" + std::to_string(alerts_.size() + 1);
    }
    if (action == "trigger") {
      if (!e.contains("payload") || !e["payload"].is_object()) return invalid("'payload' is required for trigger");
      const auto& p = e["payload"];
      if (!p.contains("summary") || !p["summary"].is_string() || p["summary"].get<std::string>().empty())
        return invalid("'payload.summary' is required");
      if (p["summary"].get<std::string>().size() > 4 * 1024) return invalid("'payload.summary' longer than 1024");
      if (!p.contains("source") || !p["source"].is_string() || p["source"].get<std::string>().empty())
        return invalid("'payload.source' is required");
      static const std::set<std::string> kSeverities = {"critical", "error", "warning", "info"};
      if (!p.contains("severity") || !p["severity"].is_string() || !kSeverities.count(p["severity"].get<std::string>()))
        return invalid("'payload.severity' must be critical, error, warning or info");
      if (p.contains("custom_details") && !p["custom_details"].is_object())
        return invalid("'payload.custom_details' must be an object");
      for (const char* f : {"timestamp", "component", "group", "class"})
        if (p.contains(f) && !p[f].is_string()) return invalid(std::string("'payload.") + f + "' must be a string");
      if (e.contains("links")) {
        if (!e["links"].is_array()) return invalid("'links' must be an array");
        for (const auto& l : e["links"])
          if (!l.is_object() || !l.contains("href") || !l["href"].is_string()) return invalid("a link needs 'href'");
      }
    }
    actions_.push_back(action + " " + key);
    Alert* open = nullptr;
    for (auto it = alerts_.rbegin(); it != alerts_.rend(); ++it)
      if (it->dedup_key == key && it->state != "resolved") {
        open = &*it;
        break;
      }
    if (action == "trigger") {
      if (!open) {
        Alert a;
        a.dedup_key = key;
        alerts_.push_back(std::move(a));
        open = &alerts_.back();
      }
      ++open->triggers;
      open->last_trigger = e;
    } else if (!open) {
      ++dropped_;
    } else if (action == "acknowledge") {
      open->state = "acknowledged";
      ++open->acknowledges;
    } else {
      open->state = "resolved";
    }
    return json(202, {{"status", "success"}, {"message", "Event processed"}, {"dedup_key", key}});
  }

 private:
  std::string routing_key_;
  std::vector<Alert> alerts_;
  std::vector<std::string> actions_;
  int dropped_ = 0;
};

}  // namespace lookout::testing
