// agent::AlertingRuntime: wires alerting/ into the daemon. A CheckListener that copies each
// result and hands it to the alerting thread (never blocks the worker), the AlertingService on
// that thread (plus a 15 s tick for pages due at the desk's closing time), and the outbox
// senders on an io_context thread of their own, with one sink per configured sink
// (alerting::make_sink); a reload rebuilds the sinks whose settings (or resolved credential)
// changed and adds new ones, their pending notifications kept. The self-connectivity guard's
// canaries (alerting.canary) are probed here, on the outbox thread, every
// alerting.canary_interval with the shared HTTP client or a TCP connect, each bounded by its
// timeout; results go to the service on the alerting thread.
// Also writes the alerting metrics (text format) appended to /metrics.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "agent/check_events.h"
#include "alerting/alerting_service.h"
#include "alerting/outbox.h"
#include "config/clock.h"
#include "config/config.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/store.h"

namespace lookout::agent {

class AlertingRuntime final : public CheckListener {
 public:
  AlertingRuntime(const config::Config& config, store::Store& store,
                  const Clock& clock = SystemClock::instance());
  ~AlertingRuntime() override;

  void start(const config::Config& config);  // restores incidents, tickets and the outbox
  /// A reload: the service's settings, the canaries, and the sinks that changed or are new
  /// (a fixed token file takes effect on SIGHUP). A removed sink keeps delivering what it has.
  void apply(const config::Config& config);
  void stop();

  void on_check_result(const CheckEvent& e) override;

  alerting::AlertingService& service() { return service_; }
  /// lookout_outbox_pending, lookout_outbox_oldest_pending_seconds,
  /// lookout_notifications_total, lookout_incidents_open, lookout_connectivity_suspect.
  std::string metrics_text() const;

 private:
  boost::asio::awaitable<void> canary_loop();
  /// Builds and installs the sinks that are new or changed in `sinks`; starts refresh loops.
  void install_sinks(const std::vector<config::SinkConfig>& sinks);
  std::shared_ptr<alerting::Sink> current_sink(const std::string& id) const;
  /// Re-posts a sink's state every refresh_period (Alertmanager), with whichever sink object
  /// holds that id at the time; ends when the id no longer has a refreshing sink.
  boost::asio::awaitable<void> refresh_loop(std::string id);
  boost::asio::awaitable<void> probe_canary(config::CanaryConfig canary);

  const Clock& clock_;
  mutable std::mutex canary_mutex_;
  std::vector<config::CanaryConfig> canaries_;
  std::chrono::milliseconds canary_interval_{30'000};
  store::Store& store_;
  alerting::AlertingService service_;
  boost::asio::io_context alerting_io_{1};
  boost::asio::io_context outbox_io_{1};
  std::unique_ptr<net::Resolver> resolver_;
  net::TlsContexts tls_;
  alerting::Outbox outbox_;
  struct InstalledSink {
    config::SinkConfig config;
    std::shared_ptr<alerting::Sink> sink;  // also in the outbox
  };
  mutable std::mutex sinks_mutex_;
  std::map<std::string, InstalledSink> sinks_;
  std::set<std::string> refreshing_;  // ids with a refresh loop running
  bool loops_started_ = false;        // refresh loops start with start()
  std::thread alerting_thread_, outbox_thread_;
  // The tick timer (alerting thread only) and the instant it is armed for: a result that makes
  // tick() due sooner (a window ending over a held incident) cancels it to re-arm.
  boost::asio::steady_timer* tick_timer_ = nullptr;
  std::chrono::system_clock::time_point armed_for_{};
  bool started_ = false;
};

}  // namespace lookout::agent
