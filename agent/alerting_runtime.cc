#include "agent/alerting_runtime.h"

#include "agent/metric_families.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "agent/metrics.h"
#include "alerting/webhook_sink.h"
#include "net/http_client.h"
#include "net/tcp_connect.h"
#include "net/url.h"
#include "alerting/sink_factory.h"

namespace lookout::agent {

namespace asio = boost::asio;

AlertingRuntime::AlertingRuntime(const config::Config& config, store::Store& store, const Clock& clock)
    : clock_(clock),
      canaries_(config.alerting.canary),
      canary_interval_(config.alerting.canary_interval),
      store_(store),
      service_(store, clock),
      outbox_(store, clock) {
  resolver_ = std::make_unique<net::Resolver>(outbox_io_.get_executor(), config.agent.resolver);
  install_sinks(config.alerting.sinks);
}

void AlertingRuntime::install_sinks(const std::vector<config::SinkConfig>& sinks) {
  for (const auto& sc : sinks) {
    bool existed = false;
    {
      std::lock_guard lock(sinks_mutex_);
      auto it = sinks_.find(sc.id);
      if (it != sinks_.end() && it->second.config == sc) continue;
      existed = it != sinks_.end();
    }
    auto made = alerting::make_sink(sc, *resolver_, tls_, clock_, store_);
    if (!made) continue;
    // In-flight deliveries finish with the sink they started with; the rest use the new one.
    outbox_.add_sink(made, sc.max_in_flight);
    bool spawn_refresh = false;
    {
      std::lock_guard lock(sinks_mutex_);
      spawn_refresh = loops_started_ && made->refresh_period() && refreshing_.insert(sc.id).second;
      sinks_[sc.id] = InstalledSink{sc, made};
    }
    if (spawn_refresh) asio::co_spawn(outbox_io_, refresh_loop(sc.id), asio::detached);
    if (loops_started_)
      spdlog::info("reload: sink {} {}", sc.id, existed ? "rebuilt with its new settings" : "added");
  }
}

std::shared_ptr<alerting::Sink> AlertingRuntime::current_sink(const std::string& id) const {
  std::lock_guard lock(sinks_mutex_);
  auto it = sinks_.find(id);
  return it == sinks_.end() ? nullptr : it->second.sink;
}

asio::awaitable<void> AlertingRuntime::refresh_loop(std::string id) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    std::optional<std::chrono::milliseconds> period;
    {
      std::lock_guard lock(sinks_mutex_);
      auto it = sinks_.find(id);
      if (it != sinks_.end()) period = it->second.sink->refresh_period();
      if (!period) {
        refreshing_.erase(id);
        co_return;
      }
    }
    timer.expires_after(*period);
    co_await timer.async_wait(asio::use_awaitable);
    auto sink = current_sink(id);
    if (!sink || !sink->refresh_period()) continue;  // the check above ends the loop
    alerting::Delivery d = co_await sink->refresh();
    if (d.kind != alerting::Delivery::delivered)
      spdlog::warn("alerting: refreshing sink {} failed: {}", id, d.reason);
  }
}

AlertingRuntime::~AlertingRuntime() { stop(); }

void AlertingRuntime::start(const config::Config& config) {
  service_.set_on_committed([this](std::vector<alerting::Notification> n) { outbox_.enqueue(n); });
  // A sink whose credentials are refused raises an agency incident; its next delivery ends it.
  outbox_.set_on_outcome([this](const std::string& sink, const alerting::Delivery& d) {
    if (d.kind == alerting::Delivery::delivered) service_.on_sink_delivered(sink);
    else if (d.credentials_refused) service_.on_sink_refused(sink, d.reason);
  });
  outbox_.load();             // pending after a restart
  service_.start(config);  // restore incidents and tickets; resolve those of removed checks
  asio::co_spawn(outbox_io_, outbox_.run(), asio::detached);
  // Sinks whose receiver forgets what is not re-sent (Alertmanager) are refreshed on their period.
  std::vector<std::string> refresh;
  {
    std::lock_guard lock(sinks_mutex_);
    loops_started_ = true;
    for (const auto& [id, installed] : sinks_)
      if (installed.sink->refresh_period() && refreshing_.insert(id).second) refresh.push_back(id);
  }
  for (const auto& id : refresh) asio::co_spawn(outbox_io_, refresh_loop(id), asio::detached);
  asio::co_spawn(
      alerting_io_,
      [this]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        tick_timer_ = &timer;
        for (;;) {
          // Every 15 s, or sooner when a page falls due or a maintenance window ends over a
          // held incident (it is raised at once, not up to 15 s later).
          auto wait = std::chrono::milliseconds(15'000);
          const auto now = clock_.now();
          if (auto next = service_.next_wakeup()) {
            auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now);
            wait = std::clamp(until + std::chrono::milliseconds(5), std::chrono::milliseconds(100), wait);
          }
          armed_for_ = now + wait;
          timer.expires_after(wait);
          auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec == asio::error::operation_aborted) continue;  // re-armed for something sooner
          service_.tick();
        }
      },
      asio::detached);
  asio::co_spawn(outbox_io_, canary_loop(), asio::detached);
  alerting_thread_ = std::thread([this] { alerting_io_.run(); });
  outbox_thread_ = std::thread([this] { outbox_io_.run(); });
  started_ = true;
}

void AlertingRuntime::apply(const config::Config& config) {
  {
    std::lock_guard lock(canary_mutex_);
    canaries_ = config.alerting.canary;
    canary_interval_ = config.alerting.canary_interval;
  }
  install_sinks(config.alerting.sinks);
  asio::post(alerting_io_, [this, cfg = std::make_shared<config::Config>(config)] { service_.apply(*cfg); });
}

void AlertingRuntime::stop() {
  if (!started_) return;
  started_ = false;
  // Let results already queued be processed and committed, then stop.
  std::promise<void> drained;
  asio::post(alerting_io_, [&] { drained.set_value(); });
  drained.get_future().wait_for(std::chrono::seconds(5));
  service_.wait_idle();
  alerting_io_.stop();
  outbox_.stop();
  outbox_io_.stop();
  if (alerting_thread_.joinable()) alerting_thread_.join();
  if (outbox_thread_.joinable()) outbox_thread_.join();
}

void AlertingRuntime::on_check_result(const CheckEvent& e) {
  if (!started_) return;
  asio::post(alerting_io_, [this, spec = e.check.spec, tags = e.check.tags, result = e.result] {
    service_.on_result(spec, tags, result);
    if (auto due = service_.take_wake_hint(); due && tick_timer_ && *due < armed_for_)
      tick_timer_->cancel();
  });
}

asio::awaitable<void> AlertingRuntime::canary_loop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    std::vector<config::CanaryConfig> canaries;
    std::chrono::milliseconds every;
    {
      std::lock_guard lock(canary_mutex_);
      canaries = canaries_;
      every = canary_interval_;
    }
    // Each probe ends by its own timeout (at most 60 s), so rounds never pile up for long.
    for (auto& c : canaries) asio::co_spawn(outbox_io_, probe_canary(std::move(c)), asio::detached);
    timer.expires_after(every);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<void> AlertingRuntime::probe_canary(config::CanaryConfig canary) {
  net::Context ctx{co_await asio::this_coro::executor, *resolver_, tls_,
                   std::chrono::steady_clock::now() + canary.timeout, canary.timeout};
  bool up = false;
  std::string why;
  if (canary.url.rfind("tcp://", 0) == 0) {
    std::string host;
    uint16_t port = 0;
    if (net::split_host_port(canary.url.substr(6), host, port, 0)) {
      boost::beast::tcp_stream stream(ctx.executor);
      net::TcpConnectResult r = co_await net::tcp_connect(ctx, stream, host, port);
      up = static_cast<bool>(r);
      why = r.error;
      boost::system::error_code ignored;
      stream.socket().close(ignored);
    } else {
      why = "bad host:port";
    }
  } else if (auto url = net::parse_url(canary.url)) {
    net::HttpRequest req;
    req.url = *url;
    req.body_limit = 1024;
    req.user_agent = "Lookout/0.1 (canary)";
    // Any HTTP answer, whatever its status, shows that the network works.
    net::HttpResponse resp = co_await net::http_fetch(ctx, std::move(req));
    up = resp.failure == net::FailureKind::none;
    why = resp.error;
  } else {
    why = "bad URL";
  }
  asio::post(alerting_io_, [this, url = canary.url, up, why] { service_.on_canary(url, up, why); });
}

std::string AlertingRuntime::metrics_text() const {
  std::string out;
  auto stats = outbox_.stats();
  const double now = std::chrono::duration<double>(clock_.now().time_since_epoch()).count();
  out += family_header("lookout_outbox_pending");
  for (const auto& [sink, s] : stats)
    out += "lookout_outbox_pending{sink=\"" + escape_label_value(sink) + "\"} " + std::to_string(s.pending) + "\n";
  out += family_header("lookout_outbox_oldest_pending_seconds");
  for (const auto& [sink, s] : stats) {
    double age = s.oldest ? now - std::chrono::duration<double>(s.oldest->time_since_epoch()).count() : 0;
    out += "lookout_outbox_oldest_pending_seconds{sink=\"" + escape_label_value(sink) + "\"} " +
           format_sample_value(std::max(0.0, age)) + "\n";
  }
  out += family_header("lookout_notifications_total");
  for (const auto& [sink, s] : stats) {
    std::string l = "lookout_notifications_total{result=\"";
    std::string sl = "\",sink=\"" + escape_label_value(sink) + "\"} ";
    out += l + "delivered" + sl + std::to_string(s.delivered) + "\n";
    out += l + "failed" + sl + std::to_string(s.failed) + "\n";
    out += l + "retried" + sl + std::to_string(s.retried) + "\n";
  }
  out += family_header("lookout_connectivity_suspect");
  out += std::string("lookout_connectivity_suspect ") + (service_.connectivity_suspect() ? "1" : "0") + "\n";
  out += family_header("lookout_incidents_open");
  for (const auto& [k, n] : service_.open_counts())
    out += "lookout_incidents_open{client=\"" + escape_label_value(k.first) + "\",priority=\"" + k.second +
           "\"} " + std::to_string(n) + "\n";
  // Due times rather than "at risk" counts: the dashboards compare them with time(), so the
  // threshold (due within 1 h) stays a query choice. A clock that is fulfilled (its outcome is
  // recorded: the response at acknowledgement) or paused (on hold) has no due time to show.
  out += family_header("lookout_ticket_sla_due_timestamp_seconds");
  for (const auto& t : service_.unsolved_tickets()) {
    if (t.status == alerting::TicketStatus::on_hold) continue;
    std::string labels = "client=\"" + escape_label_value(t.client) + "\",site=\"" +
                         escape_label_value(t.site) + "\",ticket=\"" + escape_label_value(t.ref) +
                         "\",priority=\"" + alerting::to_string(t.priority) + "\",sla=\"";
    auto seconds = [](alerting::TimePoint p) {
      return format_sample_value(std::chrono::duration<double>(p.time_since_epoch()).count());
    };
    if (t.response_due && t.response_outcome.is_null())
      out += "lookout_ticket_sla_due_timestamp_seconds{" + labels + "response\"} " +
             seconds(*t.response_due) + "\n";
    if (t.resolution_due)
      out += "lookout_ticket_sla_due_timestamp_seconds{" + labels + "resolution\"} " +
             seconds(*t.resolution_due) + "\n";
  }
  return out;
}

}  // namespace lookout::agent
