// The disk probe against Debian's real prometheus-node-exporter, started by the test on
// 127.0.0.1:<free port>: the whole real exposition must parse, and real mounts come back with
// the sizes statvfs reports for them.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
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
  }
  static void TearDownTestSuite() {
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

  Result run(const std::string& yaml) {
    CheckSpec spec;
    spec.client_id = "it";
    spec.site_id = "host";
    spec.check_id = "disk";
    spec.target = url();
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

}  // namespace
}  // namespace lookout::probes
