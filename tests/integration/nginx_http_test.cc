// The HTTP probe against a real nginx (Debian package) started by the test on 127.0.0.1:
// status codes, keywords, redirects, HTTPS verification with a CA made by the estate's
// certificate factory, and the one-shot CLI's exit codes and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/free_port.h"

#include "agent/oneshot.h"
#include "tests/estate/cert_factory.h"

namespace fs = std::filesystem;
using lookout::agent::OneShotRequest;
using lookout::agent::run_one_check;
using lookout::probes::FailureKind;
using lookout::probes::Status;
using namespace std::chrono_literals;

using lookout::testing::free_port;

namespace {

class NginxHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("lookout-nginx-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "tmp");
    lookout::estate::CertFactory certs((dir_ / "certs").string());
    auto leaf = certs.issue(lookout::estate::leaf_spec("localhost"));
    auto files = certs.write(leaf, "nginx");
    ca_file_ = certs.ca_file();
    http_port_ = free_port();
    https_port_ = free_port();
    ipv6_ = loopback_v6_usable();
    {
      std::ofstream big(dir_ / "big.txt");
      for (int i = 0; i < 4000; ++i) big << "line " << i << " of a large plain text file\n";
      big << "The End\n";
    }
    std::ofstream conf(dir_ / "nginx.conf");
    std::string d = dir_.string();
    conf << "worker_processes 1;\nerror_log " << d << "/error.log;\npid " << d << "/nginx.pid;\n"
         << "daemon off;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << d << "/tmp; proxy_temp_path " << d << "/tmp;\n"
         << "  fastcgi_temp_path " << d << "/tmp; uwsgi_temp_path " << d << "/tmp; scgi_temp_path " << d << "/tmp;\n"
         << "  gzip on; gzip_types text/plain; gzip_min_length 10; keepalive_timeout 0;\n"
         << "  server {\n    listen 127.0.0.1:" << http_port_ << ";\n    listen 127.0.0.1:" << https_port_ << " ssl;\n"
         << (ipv6_ ? "    listen [::1]:" + std::to_string(http_port_) + ";\n" : std::string())
         << "    ssl_certificate " << files.fullchain << ";\n    ssl_certificate_key " << files.key << ";\n"
         << "    add_header Strict-Transport-Security \"max-age=63072000\" always;\n"
         << "    root " << d << ";\n"
         << "    location = /big.txt { default_type text/plain; }\n"
         << "    location = /to-https { return 301 https://localhost:" << https_port_ << "/; }\n"
         << "    location = /rel { return 302 ../; }\n"
         << "    location = / { return 200 \"Welcome to nginx\\n\"; }\n"
         << "    location = /missing { return 404 \"nope\\n\"; }\n"
         << "    location = /broken { return 503 \"down for maintenance\\n\"; }\n"
         << "    location = /old { return 301 /; }\n"
         << "  }\n}\n";
    conf.close();
    pid_ = fork();
    if (pid_ == 0) {
      execlp("nginx", "nginx", "-c", (dir_ / "nginx.conf").c_str(), "-p", dir_.c_str(), "-g",
             "user root;", (char*)nullptr);
      _exit(127);
    }
    // wait until it accepts
    for (int i = 0; i < 100; ++i) {
      boost::asio::io_context io;
      boost::asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({boost::asio::ip::make_address("127.0.0.1"), http_port_}, ec);
      if (!ec) return;
      std::this_thread::sleep_for(50ms);
    }
  }
  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGQUIT);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }

  static lookout::agent::OneShotOutcome check(const std::string& url,
                                              std::map<std::string, std::vector<std::string>> opts = {}) {
    OneShotRequest req;
    req.target = url;
    req.options = std::move(opts);
    req.timeout = 5s;
    return run_one_check(req);
  }
  static std::string http(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(http_port_) + path;
  }

  /// Whether [::1] can be bound here (a container may have no IPv6).
  static bool loopback_v6_usable() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io);
    boost::system::error_code ec;
    a.open(boost::asio::ip::tcp::v6(), ec);
    if (!ec) a.bind({boost::asio::ip::make_address("::1"), 0}, ec);
    return !ec;
  }

  static inline bool ipv6_ = false;
  static inline fs::path dir_;
  static inline std::string ca_file_;
  static inline unsigned short http_port_ = 0, https_port_ = 0;
  static inline pid_t pid_ = -1;
};

TEST_F(NginxHttpTest, HealthyPageWithKeywordIsOk) {
  auto out = check(http("/"), {{"keyword", {"Welcome"}}});
  ASSERT_TRUE(out.valid) << out.errors.to_string();
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  EXPECT_THAT(out.result.summary, ::testing::StartsWith("HTTP 200 from 127.0.0.1 in "));
  EXPECT_EQ(out.result.facts["status_code"], 200);
}

TEST_F(NginxHttpTest, ErrorStatusIsCriticalWithTheCode) {
  auto out = check(http("/broken"));
  EXPECT_EQ(out.result.status, Status::critical);
  EXPECT_EQ(out.result.failure, FailureKind::http_status);
  EXPECT_THAT(out.result.summary, ::testing::StartsWith("HTTP 503 from 127.0.0.1 after "));
  // ... unless that code is expected
  out = check(http("/missing"), {{"expect_status", {"404"}}});
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
}

TEST_F(NginxHttpTest, MissingKeywordIsAnAssertionFailure) {
  auto out = check(http("/"), {{"keyword", {"Goodbye"}}});
  EXPECT_EQ(out.result.status, Status::critical);
  EXPECT_EQ(out.result.failure, FailureKind::assertion);
  EXPECT_THAT(out.result.summary, ::testing::HasSubstr("keyword \"Goodbye\" not found"));
}

TEST_F(NginxHttpTest, RedirectIsFollowed) {
  auto out = check(http("/old"));
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  ASSERT_TRUE(out.result.facts.contains("redirects"));
  EXPECT_EQ(out.result.facts["redirects"].size(), 2u);
  out = check(http("/old"), {{"max_redirects", {"0"}}, {"expect_status", {"200"}}});
  EXPECT_EQ(out.result.failure, FailureKind::http_status);
}

TEST_F(NginxHttpTest, HttpsVerifiesAgainstTheGivenCa) {
  std::string url = "https://localhost:" + std::to_string(https_port_) + "/";
  auto out = check(url, {{"ca_file", {ca_file_}}});
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  EXPECT_TRUE(out.result.facts["tls_version"] == "TLS 1.3" || out.result.facts["tls_version"] == "TLS 1.2");
  EXPECT_GT(out.result.phase("tls"), 0.0);
  out = check(url);  // system store does not trust the estate CA
  EXPECT_EQ(out.result.status, Status::critical);
  EXPECT_EQ(out.result.failure, FailureKind::tls);
  EXPECT_THAT(out.result.summary, ::testing::HasSubstr("certificate verify failed"));
  // the certificate names localhost, not 127.0.0.2
  out = check("https://127.0.0.1:" + std::to_string(https_port_) + "/", {{"ca_file", {ca_file_}}, {"sni", {"wrong.example"}}});
  EXPECT_EQ(out.result.failure, FailureKind::tls);
}

TEST_F(NginxHttpTest, CliExitCodesAndJson) {
  auto run = [](const std::string& args) {
    std::string cmd = std::string(LOOKOUT_BINARY) + " check " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    return std::make_pair(WEXITSTATUS(rc), out);
  };
  auto [rc0, out0] = run(http("/") + " --keyword Welcome");
  EXPECT_EQ(rc0, 0) << out0;
  EXPECT_THAT(out0, ::testing::StartsWith("HTTP OK - HTTP 200"));
  auto [rc2, out2] = run(http("/broken"));
  EXPECT_EQ(rc2, 2) << out2;
  auto [rc1, out1] = run(http("/") + " --warn-time 0s --crit-time 10s");
  EXPECT_EQ(rc1, 1) << out1;
  // Nagios style: a bare number is seconds for --timeout and the time thresholds
  auto [rcs, outs] = run(http("/") + " --timeout 5 --warn-time 0 --crit-time 10");
  EXPECT_EQ(rcs, 1) << outs;
  auto [rcs2, outs2] = run(http("/") + " --timeout 2.5 --warn-time 5 --crit-time 9.5");
  EXPECT_EQ(rcs2, 0) << outs2;
  auto [rc3, out3] = run(http("/") + " --max-redirects banana");
  EXPECT_EQ(rc3, 3) << out3;
  auto [rcj, outj] = run(http("/broken") + " --json");
  EXPECT_EQ(rcj, 2);
  auto j = nlohmann::json::parse(outj);
  EXPECT_EQ(j["status"], "critical");
  EXPECT_EQ(j["failure_kind"], "http_status");
  EXPECT_EQ(j["facts"]["status_code"], 503);
  EXPECT_TRUE(j["phases"].contains("connect"));
}

// Real nginx behaviours a site shows: http -> https with HSTS, a relative "../" Location,
// HEAD, gzip enabled on the server (we send no Accept-Encoding, so the keyword is readable),
// keep-alive refused, and the same site on [::1].
TEST_F(NginxHttpTest, RedirectToHttpsWithHstsIsFollowed) {
  auto out = check(http("/to-https"), {{"ca_file", {ca_file_}}, {"keyword", {"Welcome"}}});
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  EXPECT_EQ(out.result.facts["url"], "https://localhost:" + std::to_string(https_port_) + "/");
  EXPECT_GT(out.result.phase("tls"), 0.0);
}

TEST_F(NginxHttpTest, RelativeDotDotLocationIsResolvedLikeABrowser) {
  auto out = check(http("/rel"), {{"keyword", {"Welcome"}}});  // "/../" before the fix: nginx said 400
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  EXPECT_EQ(out.result.facts["url"], http("/"));
}

TEST_F(NginxHttpTest, HeadAndGzipCapableServer) {
  auto head = check(http("/big.txt"), {{"method", {"HEAD"}}});
  EXPECT_EQ(head.result.status, Status::ok) << head.result.summary;
  EXPECT_EQ(head.result.facts["body_bytes"], 0);
  auto get = check(http("/big.txt"), {{"keyword", {"The End"}}});
  EXPECT_EQ(get.result.status, Status::ok) << get.result.summary;
}

TEST_F(NginxHttpTest, SameSiteOverIpv6Loopback) {
  if (!ipv6_) GTEST_SKIP() << "no IPv6 loopback here";
  auto out = check("http://[::1]:" + std::to_string(http_port_) + "/", {{"keyword", {"Welcome"}}});
  EXPECT_EQ(out.result.status, Status::ok) << out.result.summary;
  EXPECT_THAT(out.result.summary, ::testing::HasSubstr("::1"));
}

}  // namespace
