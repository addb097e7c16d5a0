// The DNSBL probe against a real rbldnsd (Debian package) serving zone files written here, on
// 127.0.0.1 and a free port: IPv4 sets with per-entry codes and TXT templates, an exclusion,
// a refusal code, an IPv6 trie (full nibble query names) and a domain set.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <gtest/gtest.h>

#include "probes/dnsbl_probe.h"
#include "probes/history.h"
#include "net/dns_message.h"
#include "net/tls_context.h"

extern char** environ;

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";

// Zone files in rbldnsd(8) format (../shared/reference/dnsbl.md section 4).
constexpr const char* kIp4Zone = R"(# served as bl.test:ip4set
$SOA 60 ns.bl.test. hostmaster.bl.test. 0 600 300 86400 60
$NS 60 ns.bl.test.
:127.0.0.2:Listed by test DNSBL, see https://bl.test/q?ip=$
127.0.0.2
192.0.2.0/24 :127.0.0.4:exploited host $
!192.0.2.7
198.51.100.23 :127.255.255.254:simulated public-resolver error
)";
constexpr const char* kIp6Zone = R"(# served as bl.test:ip6trie
:127.0.0.2:IPv6 listed
2001:db8:0:1::/64
)";
constexpr const char* kDomainZone = R"(# served as dbl.test:dnset
:127.0.1.2:low-reputation domain
test
.spammy.example
phish.example :127.0.1.4:phishing domain
www.client.example :127.0.1.104:abused legitimate domain, phishing
bad.example :127.0.1.5:malware domain
both.example :127.0.1.2:low-reputation domain
www.both.example :127.0.1.102:abused legitimate domain
)";
// Served under SURBL's real zone name (the probe asks this server only): registered domains
// only, bitmask codes. It lists bad.example and, as a host name, www.client.example, which a
// registered-domain list is never asked about.
constexpr const char* kSurblZone = R"(# served as multi.surbl.org:dnset
:127.0.0.8:phishing
bad.example :127.0.0.80:malware and abuse
www.client.example
)";

uint16_t free_udp_port() {
  asio::io_context io;
  asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return s.local_endpoint().port();
}

// One A query straight over UDP: proves the server is up before the probe runs.
bool answers(uint16_t port) {
  asio::io_context io;
  asio::ip::udp::socket s(io, asio::ip::udp::v4());
  s.non_blocking(true);
  auto q = net::build_dns_query(4242, "2.0.0.127.bl.test", net::dns_type::kA);
  asio::ip::udp::endpoint to(asio::ip::make_address("127.0.0.1"), port);
  boost::system::error_code ec;
  s.send_to(asio::buffer(q), to, 0, ec);
  if (ec) return false;
  std::vector<uint8_t> buf(2048);
  for (int i = 0; i < 20; ++i) {
    size_t n = s.receive(asio::buffer(buf), 0, ec);
    if (!ec) {
      auto m = net::parse_dns_message(std::span(buf.data(), n));
      return m && m->id == 4242 && !m->answers_of(net::dns_type::kA).empty();
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

class Rbldnsd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRbldnsd, X_OK) != 0) GTEST_SKIP() << "rbldnsd is not installed";
    std::string templ =
        (std::filesystem::temp_directory_path() / "lookout-rbldnsd-XXXXXX").string();
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    chmod(dir_.c_str(), 0755);  // rbldnsd drops to `nobody`, which must read the zones
    write("zone-ip4.txt", kIp4Zone);
    write("zone-ip6.txt", kIp6Zone);
    write("zone-dom.txt", kDomainZone);
    write("zone-surbl.txt", kSurblZone);

    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_udp_port();
      start();
      for (int i = 0; i < 100 && pid_ > 0; ++i) {  // up to ~5 s for the first zone load
        if (answers(port_)) return;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;  // died: port taken? retry
        std::this_thread::sleep_for(50ms);
      }
    }
    FAIL() << "rbldnsd did not start; its output:\n" << log();
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(20ms);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void write(const std::string& name, const char* text) {
    std::ofstream(dir_ + "/" + name) << text;
    chmod((dir_ + "/" + name).c_str(), 0644);
  }

  std::string log() const {
    std::ifstream in(dir_ + "/rbldnsd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  void start() {
    std::vector<std::string> args = {kRbldnsd, "-n", "-b", "127.0.0.1/" + std::to_string(port_),
                                     "-w", dir_, "-t", "60", "-c", "0"};
    if (geteuid() == 0) {  // rbldnsd refuses to run as root
      args.push_back("-u");
      args.push_back("nobody");
    }
    for (const char* z : {"bl.test:ip4set:zone-ip4.txt", "bl.test:ip6trie:zone-ip6.txt",
                          "dbl.test:dnset:zone-dom.txt", "multi.surbl.org:dnset:zone-surbl.txt"})
      args.push_back(z);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    std::string log_path = dir_ + "/rbldnsd.log";
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, kRbldnsd, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    pid_ = rc == 0 ? pid : -1;
  }

  Result run(const std::string& target, const std::string& options_yaml) {
    CheckSpec spec;
    spec.type = "dnsbl";
    spec.target = target;
    config::OptionMap options;
    options.add_layer(YAML::Load(options_yaml), "check");
    config::Errors errors;
    auto probe = dnsbl_probe_kind().build(spec, options, errors);
    options.report_unknown(errors);
    EXPECT_TRUE(probe && errors.empty()) << errors.to_string();
    if (!probe) return {};
    asio::io_context io;
    net::ResolverOptions ropts;
    ropts.query_timeout = 500ms;
    net::Resolver resolver(io.get_executor(), ropts);
    net::TlsContexts tls;
    MemoryHistory history;
    ProbeContext ctx{io.get_executor(), resolver, tls, spec,
                     std::chrono::steady_clock::now() + 5s, &history};
    Result out;
    asio::co_spawn(io, probe->run(ctx), [&](std::exception_ptr e, Result r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
      io.stop();
    });
    io.run();
    return out;
  }

  std::string lists() const {
    return "{lists: [bl.test], domain_lists: [dbl.test], servers: ['127.0.0.1:" +
           std::to_string(port_) + "'], list_timeout: 2s";
  }

  static const json& entry(const Result& r, const std::string& target, const std::string& list) {
    static const json none;
    for (const auto& e : r.facts["entries"])
      if (e["target"] == target && e["list"] == list) return e;
    return none;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(Rbldnsd, ListedWithCodeAndTxtReason) {
  auto r = run("192.0.2.9", lists() + "}");
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  const auto& e = entry(r, "192.0.2.9", "bl.test");
  EXPECT_EQ(e["result"], "listed");
  EXPECT_EQ(e["codes"], json::array({"127.0.0.4"}));
  EXPECT_EQ(e["txt"], "exploited host 192.0.2.9");  // rbldnsd substitutes $ with the IP

  auto test_entry = run("127.0.0.2", lists() + "}");
  EXPECT_EQ(entry(test_entry, "127.0.0.2", "bl.test")["txt"],
            "Listed by test DNSBL, see https://bl.test/q?ip=127.0.0.2");
}

TEST_F(Rbldnsd, ExclusionsAndUnlistedAreClean) {
  auto excluded = run("192.0.2.7", lists() + "}");
  EXPECT_EQ(excluded.status, Status::ok) << excluded.summary;
  EXPECT_EQ(entry(excluded, "192.0.2.7", "bl.test")["result"], "not_listed");
  auto rfc = run("127.0.0.1", lists() + "}");
  EXPECT_EQ(rfc.status, Status::ok) << rfc.summary;
}

TEST_F(Rbldnsd, RefusalCodeIsUnknownNotListed) {
  auto r = run("198.51.100.23", lists() + "}");
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_EQ(entry(r, "198.51.100.23", "bl.test")["result"], "error");
  EXPECT_EQ(r.facts["listed_count"], 0);
}

TEST_F(Rbldnsd, Ipv6NibbleQuery) {
  auto r = run("2001:db8:0:1::25", lists() + "}");
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(entry(r, "2001:db8:0:1::25", "bl.test")["result"], "listed");
  auto other = run("2001:db8:0:2::25", lists() + "}");
  EXPECT_EQ(other.status, Status::ok) << other.summary;
}

TEST_F(Rbldnsd, DomainList) {
  auto r = run("192.0.2.200", lists() + ", domains: [phish.example, clean.example, www.spammy.example]}");
  const auto& phish = entry(r, "phish.example", "dbl.test");
  EXPECT_EQ(phish["result"], "listed");
  EXPECT_EQ(phish["codes"], json::array({"127.0.1.4"}));
  EXPECT_EQ(phish["txt"], "phishing domain");
  EXPECT_EQ(entry(r, "clean.example", "dbl.test")["result"], "not_listed");
  EXPECT_EQ(entry(r, "www.spammy.example", "dbl.test")["result"], "listed");
  EXPECT_EQ(r.status, Status::critical);
}

// dnsbl.md section 1: a host-name list is asked about the host name and its registered
// domain; the verdict names which one is listed. Zones listing the host only, the registered
// domain only, and both.
TEST_F(Rbldnsd, HostNameOnlyDomainOnlyAndBoth) {
  const std::string base = "{domain_lists: [dbl.test], servers: ['127.0.0.1:" +
                           std::to_string(port_) + "'], list_timeout: 2s}";
  // Host only: one compromised host of a legitimate domain.
  auto host = run("www.client.example", base);
  EXPECT_EQ(host.status, Status::critical) << host.summary;
  EXPECT_EQ(host.facts["domains"], json::array({"www.client.example", "client.example"}));
  EXPECT_EQ(entry(host, "www.client.example", "dbl.test")["result"], "listed");
  EXPECT_EQ(entry(host, "www.client.example", "dbl.test")["codes"], json::array({"127.0.1.104"}));
  EXPECT_EQ(entry(host, "client.example", "dbl.test")["result"], "not_listed");
  EXPECT_EQ(host.summary,
            "www.client.example is listed on dbl.test (abused legitimate domain, phishing)");

  // Registered domain only: the site's host is not listed, its domain is.
  auto domain = run("shop.bad.example", base);
  EXPECT_EQ(domain.status, Status::critical) << domain.summary;
  EXPECT_EQ(entry(domain, "shop.bad.example", "dbl.test")["result"], "not_listed");
  EXPECT_EQ(entry(domain, "bad.example", "dbl.test")["result"], "listed");
  EXPECT_EQ(domain.summary, "bad.example is listed on dbl.test (malware domain)");

  // Both, with their own codes.
  auto both = run("www.both.example", base);
  EXPECT_EQ(both.facts["listed_count"], 2);
  EXPECT_EQ(entry(both, "www.both.example", "dbl.test")["codes"], json::array({"127.0.1.102"}));
  EXPECT_EQ(entry(both, "both.example", "dbl.test")["codes"], json::array({"127.0.1.2"}));
  EXPECT_NE(both.summary.find("www.both.example is listed on dbl.test (abused legitimate domain)"),
            std::string::npos) << both.summary;
  EXPECT_NE(both.summary.find("both.example is listed on dbl.test (low-reputation domain)"),
            std::string::npos) << both.summary;

  // Neither.
  auto clean = run("www.clean.example", base);
  EXPECT_EQ(clean.status, Status::ok) << clean.summary;
  EXPECT_EQ(clean.facts["entries"].size(), 2u);

  // The site is its registered domain: asked once.
  auto apex = run("client.example", base);
  EXPECT_EQ(apex.facts["entries"].size(), 1u);
  EXPECT_EQ(apex.status, Status::ok) << apex.summary;
}

TEST_F(Rbldnsd, RegisteredDomainListsAndPerListPolicy) {
  const std::string servers = "servers: ['127.0.0.1:" + std::to_string(port_) + "'], list_timeout: 2s";
  // A SURBL zone is asked about the registered domain only: the host entry is never seen.
  auto surbl = run("www.client.example", "{domain_lists: [multi.surbl.org], " + servers + "}");
  EXPECT_EQ(surbl.status, Status::ok) << surbl.summary;
  EXPECT_EQ(surbl.facts["domains"], json::array({"client.example"}));
  EXPECT_EQ(surbl.facts["entries"].size(), 1u);
  auto listed = run("shop.bad.example", "{domain_lists: [multi.surbl.org], " + servers + "}");
  EXPECT_EQ(listed.summary, "bad.example is listed on multi.surbl.org (SURBL: malware, abuse)");

  // Per list: the same zone told to ask the host name too, or the host only.
  auto both = run("www.client.example",
                  "{domain_lists: [{zone: multi.surbl.org, query: host_and_domain}], " + servers + "}");
  EXPECT_EQ(both.status, Status::critical) << both.summary;
  EXPECT_EQ(entry(both, "www.client.example", "multi.surbl.org")["result"], "listed");
  auto host_only = run("shop.bad.example",
                       "{domain_lists: [{zone: dbl.test, query: host}], " + servers + "}");
  EXPECT_EQ(host_only.status, Status::ok) << host_only.summary;
  EXPECT_EQ(host_only.facts["domains"], json::array({"shop.bad.example"}));
}

}  // namespace
}  // namespace lookout::probes
