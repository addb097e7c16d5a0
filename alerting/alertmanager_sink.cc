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

boost::asio::awaitable<bool> AlertmanagerSink::save(const std::string& incident, const std::optional<Tracked>& t) {
  store::Transaction tx;
  std::optional<std::string> value;
  if (t) value = nlohmann::json{{"alert", t->alert}, {"resolved", opt_time(t->resolved)}}.dump();
  tx.values.push_back(store::Value{"sink_alert", config_.id + "/" + incident, value});
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
  nlohmann::json batch = nlohmann::json::array({alert});
  {
    std::lock_guard lock(mutex_);
    auto it = tracked_.find(n.incident);
    if (it != tracked_.end() && it->second.alert["labels"] != alert["labels"]) {
      // Another label set is another alert: end the old one now.
      nlohmann::json old = it->second.alert;
      old["endsAt"] = format_time(now);
      batch.push_back(old);
    }
  }
  if (auto failed = co_await post(batch)) co_return *failed;
  Tracked t{alert, resolved};
  {
    std::lock_guard lock(mutex_);
    tracked_[n.incident] = t;
  }
  co_await save(n.incident, t);  // a lost save costs re-posts after a restart, nothing more
  co_return Delivery::ok();
}

boost::asio::awaitable<Delivery> AlertmanagerSink::refresh() {
  const TimePoint now = clock_.now();
  nlohmann::json batch = nlohmann::json::array();
  std::vector<std::string> expired;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [incident, t] : tracked_) {
      if (t.resolved && now - *t.resolved > kKeepResolved) {
        expired.push_back(incident);
        continue;
      }
      batch.push_back(t.alert);
    }
    for (const auto& e : expired) tracked_.erase(e);
  }
  for (const auto& e : expired) co_await save(e, std::nullopt);
  if (batch.empty()) co_return Delivery::ok();
  if (auto failed = co_await post(batch)) co_return *failed;
  co_return Delivery::ok();
}

}  // namespace lookout::alerting
