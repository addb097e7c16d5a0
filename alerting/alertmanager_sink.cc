#include "alerting/alertmanager_sink.h"

namespace lookout::alerting {

namespace {

constexpr auto kKeepResolved = std::chrono::minutes(5);

}  // namespace

AlertmanagerSink::AlertmanagerSink(config::SinkConfig config, net::Resolver& resolver, net::TlsContexts& tls,
                                   const Clock& clock, store::Store& store)
    : config_(std::move(config)), clock_(clock), api_(config_, resolver, tls, clock), store_(store) {
  const std::string prefix = config_.id + "/";
  for (const auto& [key, text] : store_.values("sink_alert")) {
    if (key.rfind(prefix, 0) != 0) continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("alert")) continue;
    tracked_[key.substr(prefix.size())] = Tracked{j["alert"], read_opt_time(j, "resolved")};
  }
}

nlohmann::json AlertmanagerSink::alert_for(const NotificationBody& b) {
  nlohmann::json labels = {{"alertname", "LookoutIncident"},
                           {"client", b.field("client")},
                           {"site", b.field("site")},
                           {"check", b.field("check")},
                           {"priority", b.field("priority")},
                           {"severity", b.field("severity")}};
  nlohmann::json annotations = {{"summary", b.field("site") + " " + b.field("check") + ": " + b.field("summary")},
                                {"incident", b.field("id")}};
  if (!b.ticket_field("ref").empty()) annotations["ticket"] = b.ticket_field("ref");
  return {{"labels", labels}, {"annotations", annotations}, {"startsAt", b.field("opened")}};
}

size_t AlertmanagerSink::tracked() const {
  std::lock_guard lock(mutex_);
  return tracked_.size();
}

boost::asio::awaitable<std::optional<Delivery>> AlertmanagerSink::post(const nlohmann::json& alerts) {
  ApiAnswer a = co_await api_.call("POST", "/api/v2/alerts", alerts, {}, false);
  if (a.failed) co_return a.failed;
  co_return std::nullopt;
}

boost::asio::awaitable<bool> AlertmanagerSink::save(const std::map<std::string, std::optional<Tracked>>& changes) {
  store::Transaction tx;
  for (const auto& [key, t] : changes) {
    std::optional<std::string> value;
    if (t) value = nlohmann::json{{"alert", t->alert}, {"resolved", opt_time(t->resolved)}}.dump();
    tx.values.push_back(store::Value{"sink_alert", config_.id + "/" + key, value});
  }
  auto r = co_await store::async_commit(store_, std::move(tx));
  co_return r.ok;
}

boost::asio::awaitable<Delivery> AlertmanagerSink::deliver(const Notification& n) {
  auto b = NotificationBody::parse(n.body);
  if (!b) co_return Delivery::reject("unreadable notification document");
  const TimePoint now = clock_.now();
  nlohmann::json alert = alert_for(*b);
  std::optional<TimePoint> resolved;
  if (b->event == "incident.resolved") {
    resolved = read_opt_time(b->incident, "resolved").value_or(b->at);
    alert["endsAt"] = format_time(*resolved);
  }
  std::map<std::string, std::optional<Tracked>> changes;
  nlohmann::json batch = nlohmann::json::array({alert});
  {
    std::lock_guard lock(mutex_);
    auto it = tracked_.find(n.incident);
    if (it != tracked_.end() && it->second.alert["labels"] != alert["labels"]) {
      // Another label set is another alert: the old one ends now, and is re-posted ended for
      // 5 minutes like any resolved alert (under a key of its own).
      Tracked old = it->second;
      if (!old.resolved) {
        old.alert["endsAt"] = format_time(now);
        old.resolved = now;
      }
      batch.push_back(old.alert);
      const std::string old_key =
          n.incident + "~" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
      tracked_[old_key] = old;
      changes[old_key] = old;
    }
    // The same label set tracked for another incident (the check's previous incident, resolved
    // and still re-posted, or an ended label set) is the same alert in Alertmanager: this one
    // supersedes it, or a refresh would post both and the older could end the new one.
    for (auto t = tracked_.begin(); t != tracked_.end();) {
      if (t->first != n.incident && t->second.alert["labels"] == alert["labels"]) {
        changes[t->first] = std::nullopt;
        t = tracked_.erase(t);
      } else {
        ++t;
      }
    }
    // Written ahead of the post: a refresh (now, or after a crash) posts what is being
    // delivered, never the state before it.
    tracked_[n.incident] = Tracked{alert, resolved};
    changes[n.incident] = tracked_[n.incident];
    ++generation_;
  }
  co_await save(changes);  // a lost save costs re-posts after a restart, nothing more
  if (auto failed = co_await post(batch)) co_return *failed;
  co_return Delivery::ok();
}

boost::asio::awaitable<Delivery> AlertmanagerSink::refresh() {
  const TimePoint now = clock_.now();
  std::map<std::string, std::optional<Tracked>> expired;
  {
    std::lock_guard lock(mutex_);
    for (auto t = tracked_.begin(); t != tracked_.end();) {
      if (t->second.resolved && now - *t->second.resolved > kKeepResolved) {
        expired[t->first] = std::nullopt;
        t = tracked_.erase(t);
      } else {
        ++t;
      }
    }
  }
  if (!expired.empty()) co_await save(expired);
  // A delivery that ran while this batch was on its way may have been overtaken by it (a
  // firing re-post landing after the resolve): post the current state again until no delivery
  // slipped in between (a few rounds at most; deliveries are rare next to a re-post).
  for (int round = 0; round < 3; ++round) {
    nlohmann::json batch = nlohmann::json::array();
    uint64_t generation = 0;
    {
      std::lock_guard lock(mutex_);
      generation = generation_;
      for (const auto& [incident, t] : tracked_) batch.push_back(t.alert);
    }
    if (batch.empty()) co_return Delivery::ok();
    if (auto failed = co_await post(batch)) co_return *failed;
    std::lock_guard lock(mutex_);
    if (generation_ == generation) break;
  }
  co_return Delivery::ok();
}

}  // namespace lookout::alerting
