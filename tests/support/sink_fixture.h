// lookout::testing::SinkFixture: what an in-process sink test needs: a ManualClock, a SQLite
// store in a temp dir, a resolver and TLS contexts on one io_context, an incident and its
// notifications built by the same code the alerting service uses (notification_body), and
// deliver(): one delivery run to completion.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "alerting/sink.h"
#include "config/clock.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "store/sqlite_store.h"
#include "tests/support/temp_dir.h"

namespace lookout::testing {

struct SinkFixture : ::testing::Test {
  TempDir dir;
  ManualClock clock{std::chrono::system_clock::time_point(std::chrono::seconds(1'772'421'247))};  // 2026-03-02T03:14:07Z
  std::unique_ptr<store::SqliteStore> db = open_store();
  boost::asio::io_context io;
  net::Resolver resolver{io.get_executor(), {}};
  net::TlsContexts tls;
  int64_t next_id = 0;

  std::unique_ptr<store::SqliteStore> open_store() {
    store::StoreOptions o;
    o.path = dir.path() + "/sinks.db";
    return std::make_unique<store::SqliteStore>(o);
  }
  /// Reopens the store, as a restart does.
  void restart_store() {
    db.reset();
    db = open_store();
  }

  static alerting::Incident incident(const std::string& client = "acme", const std::string& site = "shop",
                                     const std::string& check = "https", int number = 1) {
    alerting::Incident i;
    i.key = client + "/" + site + "/" + check;
    i.number = number;
    i.id = i.key + "#" + std::to_string(number);
    i.client = client;
    i.site = site;
    i.check = check;
    i.type = "http";
    i.host = site + ".example";
    i.priority = alerting::Priority::P1;
    i.severity = probes::Status::critical;
    i.summary = "connect timeout";
    i.failure = "timeout";
    i.facts = {{"status_code", nullptr}, {"error", "connect timeout"}};
    i.first_failure = i.opened = i.updated = std::chrono::system_clock::time_point(std::chrono::seconds(1'772'421'247));
    i.ticket = "LK-" + std::to_string(1041 + number);
    return i;
  }
  static nlohmann::json ticket(const alerting::Incident& i) {
    return {{"ref", i.ticket},
            {"priority", alerting::to_string(i.priority)},
            {"subject", "[" + alerting::to_string(i.priority) + "] " + i.site + " " + i.check + ": " + i.summary},
            {"response_due", "2026-03-02T03:44:07.000Z"},
            {"resolution_due", "2026-03-02T07:14:07.000Z"}};
  }
  alerting::Notification note(const std::string& sink, const alerting::Incident& i, const std::string& event,
                              int seq, const std::string& reason = "3 failed runs in a row") {
    alerting::Notification n;
    n.id = ++next_id;
    n.sink = sink;
    n.incident = i.id;
    n.seq = seq;
    n.event = event;
    n.idempotency_key = "lookout:" + i.id + ":" + std::to_string(seq);
    n.created = clock.now();
    n.body = alerting::notification_body(i, ticket(i), event, "tickets", n.idempotency_key, reason, clock.now()).dump();
    return n;
  }
  alerting::Delivery deliver(alerting::Sink& sink, const alerting::Notification& n) {
    auto f = boost::asio::co_spawn(io, sink.deliver(n), boost::asio::use_future);
    io.restart();
    io.run();
    return f.get();
  }
  alerting::Delivery co_spawn_refresh(alerting::Sink& sink) {
    auto f = boost::asio::co_spawn(io, sink.refresh(), boost::asio::use_future);
    io.restart();
    io.run();
    return f.get();
  }
};

}  // namespace lookout::testing
