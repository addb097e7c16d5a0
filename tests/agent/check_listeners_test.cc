#include "agent/check_listeners.h"

#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace lookout::agent {
namespace {

class TransitionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
    check_.spec.client_id = "acme";
    check_.spec.site_id = "www";
    check_.spec.check_id = "http";
  }
  void TearDown() override { spdlog::set_default_logger(saved_); }
  void publish(probes::Status from, probes::Status to, bool first, const std::string& summary) {
    auto r = probes::make_result(to, probes::FailureKind::none, summary);
    CheckEvent e{check_, r, from, first, first || from != to, {}, 0};
    log_.on_check_result(e);
  }
  std::shared_ptr<spdlog::logger> saved_;
  std::ostringstream out_;
  config::Check check_;
  TransitionLog log_;
};

TEST_F(TransitionLogTest, OneLinePerTransitionWithKeyFromToAndSummary) {
  publish(probes::Status::ok, probes::Status::critical, false, "HTTP 503 from 127.0.0.1");
  publish(probes::Status::critical, probes::Status::critical, false, "HTTP 503 again");
  publish(probes::Status::critical, probes::Status::ok, false, "HTTP 200 in 12 ms");
  EXPECT_EQ(out_.str(),
            "warning acme/www/http: ok -> critical: HTTP 503 from 127.0.0.1\n"
            "info acme/www/http: critical -> ok: HTTP 200 in 12 ms\n");
}

TEST_F(TransitionLogTest, AFirstResultIsLoggedOnlyWhenItIsNotOk) {
  publish(probes::Status::unknown, probes::Status::ok, true, "HTTP 200");
  EXPECT_EQ(out_.str(), "");
  publish(probes::Status::unknown, probes::Status::warning, true, "certificate expires in 9 days");
  EXPECT_EQ(out_.str(), "warning acme/www/http: new -> warning: certificate expires in 9 days\n");
}

}  // namespace
}  // namespace lookout::agent
