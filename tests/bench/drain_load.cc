// Outbox drain (issue 11, scripts/bench.d/82-drain.sh): N `incident.opened` notifications (one
// per check, so no ordering holds any back) queued for one sink at a time, drained by the real
// outbox and sink against local receivers; per sink type: deliveries per second and the agent's
// CPU per delivery. The receivers (PagerDuty, Zendesk, Freshdesk, a webhook: the test suite's,
// which check every request as the real API documents) run in a child process, so this
// process's CPU (getrusage: the outbox thread, the sinks and the store's writer) is the agent's
// alone. A real Alertmanager is used when --alertmanager URL is given; the e-mail sink when
// --smtp URL is given (the test suite's STARTTLS + AUTH server, tests/support/smtp_server.py,
// whose certificate is --smtp-ca; one mail per notification, user lookout). Then one run with the
// sink's `rate_limit` set to a desk's documented per-minute limit shows the pace is honoured.
// One JSON line per figure.
//   drain_load [--count 2000] [--in-flight 8] [--alertmanager http://127.0.0.1:9093]
//              [--smtp smtp://127.0.0.1:2525 --smtp-ca cert.pem --smtp-password P] [--email-count 500]
//              [--rate-count 140] [--rate-limit 120]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alerting/outbox.h"
#include "alerting/sink.h"
#include "alerting/sink_factory.h"
#include "config/clock.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/sqlite_store.h"
#include "tests/support/freshdesk_receiver.h"
#include "tests/support/http_receiver.h"
#include "tests/support/pagerduty_receiver.h"
#include "tests/support/zendesk_receiver.h"

using namespace lookout;
using Steady = std::chrono::steady_clock;

namespace {

const std::string kPdKey = "R0UTINGKEY0123456789ABCDEFGHIJKL";

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void print(const std::string& sink, const std::string& metric, const nlohmann::json& value) {
  std::printf("%s\n", nlohmann::json({{"benchmark", "outbox_drain"}, {"sink", sink}, {"metric", metric},
                                      {"value", value}})
                          .dump()
                          .c_str());
  std::fflush(stdout);
}

// The receivers in a child process; their base URLs come back through a pipe.
struct Receivers {
  pid_t pid = -1;
  std::string pagerduty, zendesk, freshdesk, webhook;
};

Receivers start_receivers() {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  Receivers r;
  r.pid = fork();
  if (r.pid == 0) {
    close(fds[0]);
    testing::PagerDutyReceiver pd(kPdKey);
    testing::ZendeskReceiver zd("agent@example.net", "zd-token");
    testing::FreshdeskReceiver fd("fd-key");
    testing::HttpReceiver hook;
    hook.set_responder([](const testing::ReceivedRequest&, size_t) { return testing::Answer{200, "ok"}; });
    std::string line = pd.url() + " " + zd.url() + " " + fd.url() + " " + hook.url("/hook") + "\n";
    if (write(fds[1], line.data(), line.size()) < 0) _exit(1);
    close(fds[1]);
    for (;;) pause();  // until the parent's SIGKILL
  }
  close(fds[1]);
  char buf[1024];
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  if (n <= 0) std::exit(1);
  buf[n] = 0;
  char a[256], b[256], c[256], d[256];
  if (std::sscanf(buf, "%255s %255s %255s %255s", a, b, c, d) != 4) std::exit(1);
  r.pagerduty = a;
  r.zendesk = b;
  r.freshdesk = c;
  r.webhook = d;
  return r;
}

alerting::Notification opened(const std::string& sink, int i, alerting::TimePoint now) {
  alerting::Incident inc;
  inc.client = "acme";
  inc.site = "s" + std::to_string(i);
  inc.check = "http";
  inc.key = inc.client + "/" + inc.site + "/" + inc.check;
  inc.number = 1;
  inc.id = inc.key + "#1";
  inc.type = "http";
  inc.host = inc.site + ".example";
  inc.priority = alerting::Priority::P1;
  inc.severity = probes::Status::critical;
  inc.summary = "HTTP 503 from 127.0.0.1 after 2 ms (expected 200-299)";
  inc.failure = "status";
  inc.facts = {{"status_code", 503}};
  inc.first_failure = inc.opened = inc.updated = now;
  inc.ticket = "LK-" + std::to_string(1000 + i);
  nlohmann::json ticket = {{"ref", inc.ticket},
                           {"priority", "P1"},
                           {"subject", "[P1] " + inc.site + " http: " + inc.summary},
                           {"response_due", "2026-12-04T13:00:00.000Z"},
                           {"resolution_due", "2026-12-04T16:00:00.000Z"}};
  alerting::Notification n;
  n.id = i + 1;
  n.sink = sink;
  n.incident = inc.id;
  n.seq = 1;
  n.event = "incident.opened";
  n.idempotency_key = "lookout:" + inc.id + ":1";
  n.created = now;
  n.body = alerting::notification_body(inc, ticket, n.event, "tickets", n.idempotency_key,
                                       "2 failed runs in a row", now)
               .dump();
  return n;
}

// Drains `count` notifications through one sink; prints its figures.
void drain(const config::SinkConfig& sc, int count, int in_flight, const std::string& label) {
  auto dir = std::filesystem::temp_directory_path() / ("lookout-drain-" + std::to_string(getpid()) + "-" + label);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    store::StoreOptions so;
    so.path = (dir / "state.db").string();
    store::SqliteStore store(so);
    const Clock& clock = SystemClock::instance();
    boost::asio::io_context io;
    net::Resolver resolver(io.get_executor(), {});
    net::TlsContexts tls;
    alerting::Outbox outbox(store, clock);
    auto sink = alerting::make_sink(sc, resolver, tls, clock, store);
    if (!sink) {
      print(label, "error", "no sink for type " + sc.type);
      return;
    }
    outbox.add_sink(sink, in_flight);
    std::vector<alerting::Notification> ns;
    ns.reserve(static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) ns.push_back(opened(sc.id, i, clock.now()));
    const double cpu0 = cpu_seconds();
    const auto t0 = Steady::now();
    outbox.enqueue(ns);
    boost::asio::co_spawn(io, outbox.run(), boost::asio::detached);
    std::thread runner([&] { io.run(); });
    const auto deadline = t0 + std::chrono::minutes(3);
    alerting::SinkStats st;
    while (Steady::now() < deadline) {
      st = outbox.stats()[sc.id];
      if (st.delivered + st.failed >= static_cast<uint64_t>(count)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const double wall = std::chrono::duration<double>(Steady::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    outbox.stop();
    runner.join();
    print(label, "delivered", st.delivered);
    print(label, "failed", st.failed);
    print(label, "retried", st.retried);
    print(label, "seconds", wall);
    print(label, "deliveries_per_s", static_cast<double>(st.delivered) / wall);
    print(label, "cpu_ms_per_delivery", st.delivered ? 1000.0 * cpu / static_cast<double>(st.delivered) : 0.0);
    if (sc.rate_limit > 0) {
      print(label, "rate_limit_per_min", sc.rate_limit);
      // More than the limit cannot all go within one sliding minute.
      print(label, "honoured", count <= sc.rate_limit || wall >= 60.0);
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  int count = 2000, in_flight = 8, rate_count = 140, rate_limit = 120, email_count = 500;
  std::string alertmanager, smtp, smtp_ca, smtp_password;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--count") count = std::stoi(argv[i + 1]);
    else if (a == "--in-flight") in_flight = std::stoi(argv[i + 1]);
    else if (a == "--alertmanager") alertmanager = argv[i + 1];
    else if (a == "--smtp") smtp = argv[i + 1];
    else if (a == "--smtp-ca") smtp_ca = argv[i + 1];
    else if (a == "--smtp-password") smtp_password = argv[i + 1];
    else if (a == "--email-count") email_count = std::stoi(argv[i + 1]);
    else if (a == "--rate-count") rate_count = std::stoi(argv[i + 1]);
    else if (a == "--rate-limit") rate_limit = std::stoi(argv[i + 1]);
  }
  signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::err);  // the rate-limited run's expected retries are not news
  Receivers r = start_receivers();
  auto base = [&](const std::string& id, const std::string& type, const std::string& url) {
    config::SinkConfig c;
    c.id = id;
    c.type = type;
    c.url = url;
    c.max_in_flight = in_flight;
    return c;
  };
  std::vector<config::SinkConfig> sinks;
  sinks.push_back(base("hook", "webhook", r.webhook));
  auto pd = base("pagerduty", "pagerduty", r.pagerduty + "/v2/enqueue");
  pd.credential = kPdKey;
  sinks.push_back(pd);
  auto zd = base("zendesk", "zendesk", r.zendesk);
  zd.email = "agent@example.net";
  zd.credential = "zd-token";
  sinks.push_back(zd);
  auto fd = base("freshdesk", "freshdesk", r.freshdesk);
  fd.credential = "fd-key";
  fd.email = "lookout@agency.example";
  sinks.push_back(fd);
  if (!alertmanager.empty()) sinks.push_back(base("alertmanager", "alertmanager", alertmanager));
  for (const auto& s : sinks) drain(s, count, in_flight, s.type);
  if (!smtp.empty()) {
    // One SMTP session per mail (STARTTLS, AUTH, MAIL, RCPT, DATA) on the sink's one thread,
    // to a Python server: far slower than HTTP, so fewer notifications.
    auto mail = base("email", "email", smtp);
    mail.from = "lookout@agency.example";
    mail.to = {"oncall@agency.example"};
    mail.username = "lookout";
    mail.credential = smtp_password;
    mail.credential_source = "password_env";
    mail.ca_file = smtp_ca;
    drain(mail, std::min(count, email_count), in_flight, "email");
  }
  // A documented per-minute limit (PagerDuty: 120 events/min per routing key), exceeded: the
  // sink sends `rate_limit` at once, then waits out the sliding minute for the rest, so the
  // drain takes at least 60 s and nothing is refused.
  if (rate_count > rate_limit && rate_limit > 0) {
    auto limited = pd;
    limited.id = "pagerduty-limited";
    limited.rate_limit = rate_limit;
    drain(limited, rate_count, in_flight, "pagerduty_rate_limited");
  }
  kill(r.pid, SIGKILL);
  waitpid(r.pid, nullptr, 0);
  return 0;
}
