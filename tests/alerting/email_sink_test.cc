// EmailSink (libcurl SMTP) against a local aiosmtpd server started by the test
// (tests/support/smtp_server.py) that requires STARTTLS and AUTH: a notification arrives as one
// mail with our headers and body over TLS, authenticated; a refused recipient, a wrong password
// and an untrusted certificate are parked with the server's words; a server that is down is
// retried. Skipped when Debian's python3-aiosmtpd is not installed.
#include "alerting/email_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/free_port.h"
#include "tests/support/sink_fixture.h"

extern char** environ;

using namespace lookout;
using namespace lookout::alerting;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPython = "/usr/bin/python3";

bool can_connect(unsigned short port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

struct EmailSinkTest : lookout::testing::SinkFixture {
  unsigned short port = 0;
  pid_t pid = 0;

  void SetUp() override {
    if (access(kPython, X_OK) != 0 || access("/usr/lib/python3/dist-packages/aiosmtpd", F_OK) != 0)
      GTEST_SKIP() << "python3-aiosmtpd is not installed";
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir.file("key.pem") + " -out " +
                            dir.file("cert.pem") + " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::filesystem::create_directory(dir.file("mail"));
    port = lookout::testing::free_port();
    const std::string script = std::string(LOOKOUT_SOURCE_DIR) + "/tests/support/smtp_server.py";
    const std::string p = std::to_string(port), cert = dir.file("cert.pem"), key = dir.file("key.pem"),
                      out = dir.file("mail");
    const char* argv[] = {kPython, script.c_str(), p.c_str(), cert.c_str(), key.c_str(), out.c_str(),
                          "lookout", "mail-secret", nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, dir.file("smtp.log").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_EQ(posix_spawn(&pid, kPython, &actions, nullptr, const_cast<char**>(argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 200 && !can_connect(port); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(can_connect(port)) << "the SMTP server did not start; see " << dir.file("smtp.log");
  }
  void TearDown() override {
    if (pid > 0) {
      kill(pid, SIGTERM);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }
  config::SinkConfig cfg() {
    config::SinkConfig c;
    c.id = "mail";
    c.type = "email";
    c.url = "smtp://127.0.0.1:" + std::to_string(port);
    c.from = "lookout@example.net";
    c.to = {"oncall@example.net", "desk@example.net"};
    c.username = "lookout";
    c.credential = "mail-secret";
    c.credential_source = "password_env";
    c.ca_file = dir.file("cert.pem");
    c.timeout = 5s;
    return c;
  }
  std::vector<std::string> mails() {
    std::vector<std::string> out;
    for (int k = 1;; ++k) {
      std::ifstream in(dir.file("mail/" + std::to_string(k) + ".eml"), std::ios::binary);
      if (!in) break;
      std::stringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
    return out;
  }
};

TEST_F(EmailSinkTest, OneMailPerNotificationOverStartTlsWithAuth) {
  EmailSink sink(cfg(), clock);
  Incident i = incident();
  ASSERT_EQ(deliver(sink, note("mail", i, "incident.opened", 1)).kind, Delivery::delivered);
  clock.advance(27min);
  Delivery d = deliver(sink, note("mail", i, "incident.resolved", 2, "3 good runs in a row"));
  ASSERT_EQ(d.kind, Delivery::delivered) << d.reason;
  auto m = mails();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("X-Envelope-From: lookout@example.net"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("X-Envelope-To: oncall@example.net, desk@example.net"), std::string::npos);
  EXPECT_NE(m[0].find("X-Authenticated: True"), std::string::npos);
  EXPECT_NE(m[0].find("X-TLS: True"), std::string::npos);
  EXPECT_NE(m[0].find("Subject: [Lookout P1] opened: shop https: connect timeout"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("Message-ID: <lookout.acme.shop.https.1.1@lookout>"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("Date: Mon, 02 Mar 2026 03:14:07 +0000"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("SLA resolution due: 2026-03-02T07:14:07.000Z"), std::string::npos);
  EXPECT_NE(m[1].find("Subject: [Lookout P1] resolved:"), std::string::npos) << m[1];
  EXPECT_NE(m[1].find("Recovered at 2026-03-02T03:41:07.000Z (3 good runs in a row)"), std::string::npos) << m[1];
}

TEST_F(EmailSinkTest, RefusalsAreParkedWithTheServersWords) {
  Incident i = incident();
  auto c = cfg();
  c.to = {"refuse@example.net"};
  EmailSink refused(c, clock);
  Delivery d = deliver(refused, note("mail", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("550"), std::string::npos) << d.reason;

  c = cfg();
  c.credential = "wrong";
  EmailSink wrong(c, clock);
  d = deliver(wrong, note("mail", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("AUTH refused (check password_env)"), std::string::npos) << d.reason;

  c = cfg();
  c.ca_file = "";  // the system store does not trust the test's certificate
  EmailSink untrusted(c, clock);
  d = deliver(untrusted, note("mail", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("not trusted"), std::string::npos) << d.reason;
  EXPECT_TRUE(mails().empty());

  c = cfg();
  c.url = "smtp://127.0.0.1:" + std::to_string(lookout::testing::free_port());
  EmailSink down(c, clock);
  d = deliver(down, note("mail", i, "incident.opened", 1));
  EXPECT_EQ(d.kind, Delivery::retry) << d.reason;
}

// contract.notify_client: the client's acknowledgement goes to the addresses in the notice, not
// to the sink's `to`, and says what was detected, the reference, and that we are on it. A client
// address the server refuses is parked with the server's words.
TEST_F(EmailSinkTest, ClientNoticeGoesToTheClientWithTheReference) {
  EmailSink sink(cfg(), clock);
  Incident i = incident();
  auto notice = [&](std::vector<std::string> to) {
    Notification n = note("mail", i, "incident.client_notice", 2);
    auto body = nlohmann::json::parse(n.body);
    body["audience"] = "client";
    body["to"] = to;
    n.body = body.dump();
    return n;
  };
  Delivery d = deliver(sink, notice({"it@acme.example", "boss@acme.example"}));
  ASSERT_EQ(d.kind, Delivery::delivered) << d.reason;
  auto m = mails();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("X-Envelope-To: it@acme.example, boss@acme.example"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("To: it@acme.example, boss@acme.example"), std::string::npos) << m[0];
  EXPECT_EQ(m[0].find("oncall@example.net"), std::string::npos) << "the desk's addresses leaked to the client";
  EXPECT_NE(m[0].find("Subject: [LK-1042] We are on it: a problem with shop (https)"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("we have detected a problem with shop (shop.example), check https"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("Reference LK-1042: we are on it"), std::string::npos) << m[0];
  EXPECT_NE(m[0].find("Message-ID: <lookout.acme.shop.https.1.2@lookout>"), std::string::npos) << m[0];

  d = deliver(sink, notice({"refuse@acme.example"}));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("550"), std::string::npos) << d.reason;
  EXPECT_FALSE(d.credentials_refused);
  d = deliver(sink, notice({}));
  EXPECT_EQ(d.kind, Delivery::rejected);
  EXPECT_NE(d.reason.find("without recipients"), std::string::npos) << d.reason;
  EXPECT_EQ(mails().size(), 1u);
}

}  // namespace
