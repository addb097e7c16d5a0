// The disk probe against Debian's real prometheus-node-exporter, started by the test on
// 127.0.0.1:<free port>: the whole real exposition must parse, and real mounts come back with
// the sizes statvfs reports for them. Behind a real nginx (Debian package) that demands basic
// auth, a bearer token or a header, the probe's credentials get it through.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/options.h"
#include "probes/disk_probe.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"

extern char** environ;

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acc.local_endpoint().port();
}

bool can_connect(uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  boost::system::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  return !ec;
}

class NodeExporterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(kNodeExporter, X_OK) != 0) return;
    port_ = free_port();
    std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    const char* argv[] = {kNodeExporter, listen.c_str(), "--log.level=error", nullptr};
    // Its log (collectors that cannot work in a container, like systemd) goes to /dev/null.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&pid_, kNodeExporter, &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = 0;
      return;
    }
    // Wait until it listens (it starts in well under a second); give up after 10 s.
    for (int i = 0; i < 200 && !can_connect(port_); ++i) std::this_thread::sleep_for(50ms);
    start_nginx();
  }

  // nginx in front of node_exporter, the usual way to put it behind authentication:
  // /metrics needs basic auth, /bearer/metrics a bearer token, /tenant/metrics a header.
  static void start_nginx() {
    if (access("/usr/sbin/nginx", X_OK) != 0) return;
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("lookout-ne-nginx-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "tmp");
    const std::string d = dir_.string();
    std::ofstream(dir_ / "htpasswd") << "prometheus:{PLAIN}n0de-pass\n";
    std::ofstream(dir_ / "password") << "n0de-pass\n";
    std::ofstream(dir_ / "wrong-password") << "guess\n";
    std::ofstream(dir_ / "token") << "tok-3f9a1c\n";
    nginx_port_ = free_port();
    const std::string upstream = "http://127.0.0.1:" + std::to_string(port_) + "/metrics";
    std::ofstream conf(dir_ / "nginx.conf");
    conf << "worker_processes 1;\nerror_log " << d << "/error.log;\npid " << d << "/nginx.pid;\n"
         << "daemon off;\nevents { worker_connections 64; }\nhttp {\n  access_log off;\n"
         << "  client_body_temp_path " << d << "/tmp; proxy_temp_path " << d << "/tmp;\n"
         << "  fastcgi_temp_path " << d << "/tmp; uwsgi_temp_path " << d << "/tmp; scgi_temp_path "
         << d << "/tmp;\n"
         << "  server {\n    listen 127.0.0.1:" << nginx_port_ << ";\n"
         << "    location = /metrics { auth_basic \"node_exporter\"; auth_basic_user_file " << d
         << "/htpasswd; proxy_pass " << upstream << "; }\n"
         << "    location = /bearer/metrics {\n"
         << "      if ($http_authorization != \"Bearer tok-3f9a1c\") { return 401; }\n"
         << "      proxy_pass " << upstream << ";\n    }\n"
         << "    location = /tenant/metrics {\n"
         << "      if ($http_x_scope_orgid != \"agency-7\") { return 403; }\n"
         << "      proxy_pass " << upstream << ";\n    }\n"
         << "  }\n}\n";
    conf.close();
    nginx_pid_ = fork();
    if (nginx_pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, STDERR_FILENO);
      execl("/usr/sbin/nginx", "nginx", "-c", (dir_ / "nginx.conf").c_str(), "-p", d.c_str(),
            "-g", "user root;", (char*)nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !can_connect(nginx_port_); ++i) std::this_thread::sleep_for(50ms);
  }

  static void TearDownTestSuite() {
    if (nginx_pid_ > 0) {
      kill(nginx_pid_, SIGQUIT);
      waitpid(nginx_pid_, nullptr, 0);
      nginx_pid_ = 0;
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = 0;
    }
  }
  void SetUp() override {
    if (access(kNodeExporter, X_OK) != 0) GTEST_SKIP() << kNodeExporter << " is not installed";
    ASSERT_GT(pid_, 0) << "could not start " << kNodeExporter;
    ASSERT_TRUE(can_connect(port_)) << "node_exporter did not listen on port " << port_;
  }
  static std::string url() { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

  static std::string nginx_url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(nginx_port_) + path;
  }
  static std::string secret(const std::string& name) { return (dir_ / name).string(); }
  void need_nginx() {
    if (access("/usr/sbin/nginx", X_OK) != 0) GTEST_SKIP() << "nginx is not installed";
    ASSERT_TRUE(can_connect(nginx_port_)) << "nginx did not listen on port " << nginx_port_;
  }

  Result run(const std::string& yaml, const std::string& target = {}) {
    CheckSpec spec;
    spec.client_id = "it";
    spec.site_id = "host";
    spec.check_id = "disk";
    spec.target = target.empty() ? url() : target;
    config::OptionMap opts;
    opts.add_layer(yaml.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(yaml), "check");
    config::Errors errors;
    auto probe = disk_probe_kind().build(spec, opts, errors);
    EXPECT_TRUE(errors.empty()) << errors.to_string();
    if (!probe) return {};
    asio::io_context io;
    net::Resolver resolver(io.get_executor(), net::ResolverOptions{});
    net::TlsContexts tls;
    MemoryHistory history;
    ProbeContext ctx{io.get_executor(), resolver, tls, spec, std::chrono::steady_clock::now() + 10s,
                     &history};
    Result out;
    asio::co_spawn(io, probe->run(ctx), [&](std::exception_ptr e, Result r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io.run();
    return out;
  }

  static pid_t pid_;
  static uint16_t port_;
  static inline pid_t nginx_pid_ = 0;
  static inline uint16_t nginx_port_ = 0;
  static inline std::filesystem::path dir_;
};
pid_t NodeExporterTest::pid_ = 0;
uint16_t NodeExporterTest::port_ = 0;

TEST_F(NodeExporterTest, WholeRealExpositionParsesAndRootComesBack) {
  // "/" asked for by name, so it is checked whatever its filesystem type is here.
  Result r = run("mounts: [/]");
  ASSERT_NE(r.status, Status::unknown) << r.summary;
  EXPECT_GT(r.facts["exposition_bytes"].get<size_t>(), 10'000u);  // the whole default collector set
  ASSERT_EQ(r.facts["mounts"].size(), 1u) << r.facts.dump();
  const auto& root = r.facts["mounts"][0];
  EXPECT_EQ(root["mount"], "/");
  EXPECT_FALSE(root["fstype"].get<std::string>().empty());

  // node_exporter reports statfs(2) numbers: the size must be what statvfs says here.
  struct statvfs st {};
  ASSERT_EQ(statvfs("/", &st), 0);
  double size = static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize);
  EXPECT_EQ(root["size_bytes"].get<double>(), size);
  EXPECT_GT(root["free_bytes"].get<double>(), 0);
  EXPECT_LE(root["free_bytes"].get<double>(), size);
}

TEST_F(NodeExporterTest, DefaultRunSkipsPseudoFilesystems) {
  Result r = run("");
  ASSERT_NE(r.status, Status::unknown) << r.summary;
  DiskOptions defaults;
  for (const auto& m : r.facts["mounts"]) {
    EXPECT_FALSE(defaults.ignored_fstype(m["fstype"].get<std::string>())) << m.dump();
    EXPECT_GT(m["size_bytes"].get<double>(), 0) << m.dump();
  }
  EXPECT_GT(r.facts["mounts"].size() + r.facts["ignored_mounts"].get<size_t>(), 0u);
}

TEST_F(NodeExporterTest, OneShotCliPrintsTheMountsAsJson) {
  std::string cmd = std::string(LOOKOUT_BINARY) + " check --type disk " + url() +
                    " --mount / --warn-pct 99.9 --crit-pct 100 --json";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe.get())) out.append(buf.data(), n);
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  EXPECT_EQ(j["type"], "disk");
  ASSERT_EQ(j["mounts"].size(), 1u) << out;
  EXPECT_EQ(j["mounts"][0]["mount"], "/");
  EXPECT_TRUE(j["mounts"][0]["days_to_full"].is_null());
  EXPECT_TRUE(j["check_status"] == "ok" || j["check_status"] == "warning") << out;
}

TEST_F(NodeExporterTest, BasicAuthInFrontOfNodeExporter) {
  need_nginx();
  Result none = run("mounts: [/]", nginx_url("/metrics"));
  EXPECT_EQ(none.status, Status::unknown);
  EXPECT_EQ(none.failure, FailureKind::http_status);
  EXPECT_NE(none.summary.find("HTTP 401 (authentication required"), std::string::npos)
      << none.summary;

  Result file = run("mounts: [/]\nbasic_auth: {username: prometheus, password_file: " +
                        secret("password") + "}",
                    nginx_url("/metrics"));
  ASSERT_NE(file.status, Status::unknown) << file.summary;
  ASSERT_EQ(file.facts["mounts"].size(), 1u) << file.facts.dump();
  EXPECT_EQ(file.facts["mounts"][0]["mount"], "/");
  EXPECT_EQ(file.facts.dump().find("n0de-pass"), std::string::npos);  // no secret in facts

  setenv("LOOKOUT_IT_NODE_PASSWORD", "n0de-pass", 1);
  Result env = run("mounts: [/]\nbasic_auth: {username: prometheus, password_env: "
                   "LOOKOUT_IT_NODE_PASSWORD}",
                   nginx_url("/metrics"));
  unsetenv("LOOKOUT_IT_NODE_PASSWORD");
  EXPECT_NE(env.status, Status::unknown) << env.summary;

  Result wrong = run("basic_auth: {username: prometheus, password_file: " +
                         secret("wrong-password") + "}",
                     nginx_url("/metrics"));
  EXPECT_EQ(wrong.status, Status::unknown);
  EXPECT_NE(wrong.summary.find("HTTP 401 (credentials rejected)"), std::string::npos)
      << wrong.summary;

  Result missing = run("basic_auth: {username: prometheus, password_file: " +
                           secret("no-such-file") + "}",
                       nginx_url("/metrics"));
  EXPECT_EQ(missing.status, Status::unknown);
  EXPECT_EQ(missing.failure, FailureKind::internal);
  EXPECT_NE(missing.summary.find("cannot read basic_auth.password_file"), std::string::npos)
      << missing.summary;
}

TEST_F(NodeExporterTest, BearerTokenFileAndHeadersInFrontOfNodeExporter) {
  need_nginx();
  Result bearer = run("mounts: [/]\nbearer_token_file: " + secret("token"),
                      nginx_url("/bearer/metrics"));
  ASSERT_NE(bearer.status, Status::unknown) << bearer.summary;
  EXPECT_EQ(bearer.facts["mounts"].size(), 1u);
  Result no_token = run("mounts: [/]", nginx_url("/bearer/metrics"));
  EXPECT_EQ(no_token.status, Status::unknown);
  EXPECT_NE(no_token.summary.find("HTTP 401"), std::string::npos) << no_token.summary;

  Result tenant = run("mounts: [/]\nheaders: {X-Scope-OrgID: agency-7}",
                      nginx_url("/tenant/metrics"));
  ASSERT_NE(tenant.status, Status::unknown) << tenant.summary;
  Result other = run("mounts: [/]\nheaders: {X-Scope-OrgID: agency-8}",
                     nginx_url("/tenant/metrics"));
  EXPECT_EQ(other.status, Status::unknown);
  EXPECT_NE(other.summary.find("HTTP 403 (forbidden)"), std::string::npos) << other.summary;
}

}  // namespace
}  // namespace lookout::probes
