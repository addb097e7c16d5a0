#include "probes/disk_probe.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "agent/oneshot.h"
#include "config/options.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "tests/estate/estate.h"
#include "tests/support/estate_fixture.h"
#include "tests/estate/node_exporter.h"
#include "tests/support/temp_dir.h"
#include <fstream>
#include <cstdlib>

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;
constexpr double kGiB = 1024.0 * 1024 * 1024;

// ---- helpers ---------------------------------------------------------------------------------

ProbePtr build(CheckSpec& spec, const std::string& yaml, config::Errors& errors) {
  config::OptionMap opts;
  opts.add_layer(yaml.empty() ? YAML::Node(YAML::NodeType::Map) : YAML::Load(yaml), "check");
  auto probe = disk_probe_kind().build(spec, opts, errors);
  opts.report_unknown(errors);
  return probe;
}

class Runner {
 public:
  Result run(const std::string& target, const std::string& yaml = "", History* history = nullptr,
             std::chrono::milliseconds timeout = 5s) {
    CheckSpec spec;
    spec.client_id = "acme";
    spec.site_id = "web1";
    spec.check_id = "disk";
    spec.type = "disk";
    spec.target = target;
    spec.timeout = timeout;
    config::Errors errors;
    auto probe = build(spec, yaml, errors);
    EXPECT_TRUE(errors.empty()) << errors.to_string();
    if (!probe) return {};
    ProbeContext ctx{io_.get_executor(), resolver_, tls_, spec,
                     std::chrono::steady_clock::now() + timeout, history};
    Result out;
    asio::co_spawn(io_, probe->run(ctx), [&](std::exception_ptr e, Result r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io_.restart();
    io_.run();
    return out;
  }

 private:
  asio::io_context io_;
  net::Resolver resolver_{io_.get_executor(), net::ResolverOptions{}};
  net::TlsContexts tls_;
};

const nlohmann::json* find_mount(const Result& r, const std::string& mount) {
  for (const auto& m : r.facts["mounts"])
    if (m["mount"] == mount) return &m;
  return nullptr;
}

double sample(const Result& r, const std::string& name, const std::string& mount) {
  for (const auto& s : r.samples)
    if (s.name == name && s.labels.size() == 1 && s.labels[0].second == mount) return s.value;
  return NAN;
}

std::vector<FilesystemReading> scrape(const std::string& text) {
  NodeFilesystemScrape s;
  s.feed(text);
  EXPECT_TRUE(s.finish()) << s.parser().first_error();
  return s.readings();
}

DiskOptions remote_options() {
  DiskOptions o;
  o.remote = true;
  return o;
}

FilesystemReading reading(std::string mount, double size, double avail, double files = 1000,
                          double files_free = 900) {
  FilesystemReading r;
  r.mount = std::move(mount);
  r.fstype = "ext4";
  r.device = "/dev/sda1";
  r.size_bytes = size;
  r.avail_bytes = avail;
  r.files = files;
  r.files_free = files_free;
  return r;
}

class EstateFixture : public lookout::testing::EstateSuite {
 protected:
};

// ---- projection ------------------------------------------------------------------------------

TEST(DiskProjectionTest, FitsALineLikePredictLinear) {
  auto now = Clock::now();
  std::vector<SeriesPoint> pts;
  // 100 GiB free two days ago, losing 10 GiB a day: 80 GiB now, 8 days to go.
  for (int h = 48; h >= 0; h -= 6) pts.push_back({now - std::chrono::hours(h), 80 * kGiB + h * kGiB * 10 / 24});
  auto days = project_days_to_zero(pts, now);
  ASSERT_TRUE(days);
  EXPECT_NEAR(*days, 8.0, 1e-6);
}

TEST(DiskProjectionTest, UsesTheFittedValueNotTheLastPoint) {
  auto now = Clock::now();
  // Noise around a line falling 1 GiB a day to 50 GiB now; the last point reads 50.5 GiB but
  // the fitted line (which the projection uses) is at 50 GiB now: exactly 50 days.
  std::vector<SeriesPoint> pts = {{now - 48h, 52 * kGiB + 0.5 * kGiB},
                                  {now - 36h, 51.5 * kGiB - 0.5 * kGiB},
                                  {now - 24h, 51 * kGiB},
                                  {now - 12h, 50.5 * kGiB - 0.5 * kGiB},
                                  {now, 50 * kGiB + 0.5 * kGiB}};
  auto days = project_days_to_zero(pts, now);
  ASSERT_TRUE(days);
  EXPECT_NEAR(*days, 50.0, 1e-6);
}

TEST(DiskProjectionTest, NoProjectionWithoutADecline) {
  auto now = Clock::now();
  EXPECT_FALSE(project_days_to_zero({}, now));
  EXPECT_FALSE(project_days_to_zero({{now, 5}}, now));
  EXPECT_FALSE(project_days_to_zero({{now, 5}, {now, 4}}, now));  // one instant
  EXPECT_FALSE(project_days_to_zero({{now - 1h, 5}, {now, 5}}, now));   // flat
  EXPECT_FALSE(project_days_to_zero({{now - 1h, 4}, {now, 5}}, now));   // growing
  auto past = project_days_to_zero({{now - 2h, 2}, {now - 1h, 1}}, now);  // already at zero
  ASSERT_TRUE(past);
  EXPECT_EQ(*past, 0.0);
}

// ---- sizes and options -----------------------------------------------------------------------

TEST(DiskOptionsTest, ParsesByteSizes) {
  EXPECT_EQ(parse_byte_size("4096"), 4096);
  EXPECT_EQ(parse_byte_size("10GiB"), 10 * kGiB);
  EXPECT_EQ(parse_byte_size("500 MB"), 500e6);
  EXPECT_EQ(parse_byte_size("1.5kib"), 1536);
  EXPECT_EQ(parse_byte_size("1e9"), 1e9);
  EXPECT_FALSE(parse_byte_size("lots"));
  EXPECT_FALSE(parse_byte_size("-1GB"));
  EXPECT_FALSE(parse_byte_size("10 parsecs"));
}

TEST(DiskOptionsTest, RejectsBadOptionsWithTheirKeys) {
  struct Case {
    std::string target, yaml, message;
  } cases[] = {
      {"relative/path", "", "neither an absolute path nor an http(s) node_exporter URL"},
      {"http://[bad", "", "bad URL"},
      {"/", "warn_pct: 97\ncrit_pct: 95", "warn_pct must not exceed crit_pct"},
      {"/", "crit_pct: 120", "must be between"},
      {"/", "warn_free_bytes: lots", "bad size 'lots'"},
      {"/", "history_window: 3 days", "bad duration"},
      {"/", "mounts: [data]", "mount 'data' is not an absolute path"},
      {"/", "size_limit: 10", "size_limit must be between"},
      {"/", "warn_days_to_full: 1\ncrit_days_to_full: 3", "warn_days_to_full must not be below"},
      {"/", "nonsense: 1", "unknown"},
      {"http://h:9100/metrics", "basic_auth: {password_env: P}", "basic_auth needs a username"},
      {"http://h:9100/metrics", "basic_auth: {username: u, password: hunter2}",
       "put the password in password_env or password_file"},
      {"http://h:9100/metrics", "basic_auth: {username: u, password_env: P, password_file: /f}",
       "at most one of basic_auth.password_env and password_file"},
      {"http://h:9100/metrics", "basic_auth: {username: u, realm: x}", "unknown key basic_auth.realm"},
      {"http://h:9100/metrics", "basic_auth: u", "expected a map"},
      {"http://h:9100/metrics", "basic_auth: {username: u}\nbearer_token_file: /t",
       "at most one of basic_auth, bearer_token_file"},
      {"http://h:9100/metrics", "bearer_token_file: /t\nheaders: {Authorization: Bearer x}",
       "at most one of basic_auth, bearer_token_file"},
      {"http://h:9100/metrics", "headers: {\"Bad Name\": x}", "not a valid header name"},
      {"/", "bearer_token_file: /t", "only apply to a node_exporter URL"},
  };
  for (const auto& c : cases) {
    CheckSpec spec;
    spec.target = c.target;
    config::Errors errors;
    build(spec, c.yaml, errors);
    ASSERT_FALSE(errors.empty()) << c.yaml;
    EXPECT_NE(errors.to_string().find(c.message), std::string::npos) << errors.to_string();
  }
}

// The Authorization value sent to node_exporter, as Prometheus builds it; secrets read from
// the environment or a file at every scrape, whitespace around a file's token trimmed.
TEST(DiskOptionsTest, ScrapeCredentialsLikePrometheus) {
  lookout::testing::TempDir dir("lookout-disk-auth");
  std::ofstream(dir.file("pw")) << "s3cr\xc3\xa9t\n";
  std::ofstream(dir.file("token")) << "  eyJhbGciOi.token  \n";
  std::ofstream(dir.file("two-lines")) << "a\nb\n";
  std::ofstream(dir.file("empty")) << "\n";
  DiskOptions o;
  std::string value, error;
  ASSERT_TRUE(disk_scrape_authorization(o, value, error));
  EXPECT_EQ(value, "");

  o.basic_auth_username = "prometheus";
  o.basic_auth_password_file = dir.file("pw");
  ASSERT_TRUE(disk_scrape_authorization(o, value, error)) << error;
  EXPECT_EQ(value, "Basic cHJvbWV0aGV1czpzM2Nyw6l0");  // base64("prometheus:s3cr\xc3\xa9t")
  std::ofstream(dir.file("pw")) << "rotated";            // read again at the next scrape
  ASSERT_TRUE(disk_scrape_authorization(o, value, error));
  EXPECT_EQ(value, "Basic cHJvbWV0aGV1czpyb3RhdGVk");

  o.basic_auth_password_file.clear();
  o.basic_auth_password_env = "LOOKOUT_TEST_NODE_PASSWORD";
  unsetenv("LOOKOUT_TEST_NODE_PASSWORD");
  EXPECT_FALSE(disk_scrape_authorization(o, value, error));
  EXPECT_THAT(error, ::testing::HasSubstr("LOOKOUT_TEST_NODE_PASSWORD is not set"));
  setenv("LOOKOUT_TEST_NODE_PASSWORD", "pa:ss", 1);
  ASSERT_TRUE(disk_scrape_authorization(o, value, error));
  EXPECT_EQ(value, "Basic cHJvbWV0aGV1czpwYTpzcw==");  // base64("prometheus:pa:ss")
  unsetenv("LOOKOUT_TEST_NODE_PASSWORD");

  DiskOptions b;
  b.bearer_token_file = dir.file("token");
  ASSERT_TRUE(disk_scrape_authorization(b, value, error)) << error;
  EXPECT_EQ(value, "Bearer eyJhbGciOi.token");
  for (const char* bad : {"missing", "two-lines", "empty"}) {
    b.bearer_token_file = dir.file(bad);
    EXPECT_FALSE(disk_scrape_authorization(b, value, error)) << bad;
    EXPECT_THAT(error, ::testing::HasSubstr(dir.file(bad))) << bad;
  }
}

TEST(DiskOptionsTest, DerivesANodeExporterUrlFromTheSite) {
  CheckSpec spec;
  spec.site_url = "https://shop.example.com/";
  config::Errors errors;
  auto probe = build(spec, "", errors);
  ASSERT_TRUE(probe) << errors.to_string();
  EXPECT_EQ(spec.target, "http://shop.example.com:9100/metrics");
  EXPECT_EQ(probe->host_key(), "shop.example.com");

  CheckSpec bare;
  bare.target = "http://10.0.0.5:9100";
  probe = build(bare, "", errors);
  ASSERT_TRUE(probe);
  EXPECT_EQ(bare.target, "http://10.0.0.5:9100/metrics");
}

// ---- node_exporter exposition --------------------------------------------------------------

TEST(NodeFilesystemScrapeTest, ReadsEveryMountOfTheExposition) {
  auto rs = scrape(estate::node_exporter_full_exposition());
  ASSERT_EQ(rs.size(), 8u);
  EXPECT_EQ(rs[1].mount, "/var/www");
  EXPECT_EQ(rs[1].fstype, "xfs");
  EXPECT_EQ(rs[1].device, "/dev/sdb1");
  EXPECT_EQ(rs[1].size_bytes, 100 * kGiB);
  EXPECT_EQ(rs[1].avail_bytes, 4 * kGiB);
  EXPECT_TRUE(rs[1].files_free);
  const auto& nfs = rs[7];
  EXPECT_EQ(nfs.mount, "/mnt/backup");
  EXPECT_TRUE(nfs.device_error);
  EXPECT_EQ(nfs.error, "mountpoint timeout");
  EXPECT_FALSE(nfs.size_bytes);  // vanished on error, not 0
  EXPECT_TRUE(rs[6].readonly);   // squashfs
}

TEST(NodeFilesystemScrapeTest, MatchesSeriesWithoutTheDeviceErrorLabel) {
  // node_exporter before 1.8: no device_error label at all.
  auto rs = scrape(
      "node_filesystem_size_bytes{device=\"/dev/vda1\",fstype=\"ext4\",mountpoint=\"/\"} 1e+10\n"
      "node_filesystem_avail_bytes{device=\"/dev/vda1\",fstype=\"ext4\",mountpoint=\"/\"} 2.5e+09\n");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].size_bytes, 1e10);
  EXPECT_EQ(rs[0].avail_bytes, 2.5e9);
  auto r = evaluate_disk(remote_options(), rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.summary, "1 filesystem ok: / 75.0% used (2.3 GiB free of 9.3 GiB)");
}

TEST(DiskEvaluateTest, FullHostIsCriticalAndPseudoFilesystemsAreSkipped) {
  auto r = evaluate_disk(remote_options(), scrape(estate::node_exporter_full_exposition()),
                         nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.failure, FailureKind::assertion);
  EXPECT_EQ(r.summary,
            "/var/www 96.0% used (4 GiB free of 100 GiB); device error on /mnt/backup "
            "(mountpoint timeout), skipped");
  ASSERT_EQ(r.facts["mounts"].size(), 3u);  // "/", /var/www, /boot/efi
  EXPECT_EQ(r.facts["ignored_mounts"], 4);  // 2 tmpfs, overlay, squashfs
  EXPECT_FALSE(find_mount(r, "/run"));
  EXPECT_FALSE(find_mount(r, "/snap/core20/2105"));
  const auto* www = find_mount(r, "/var/www");
  ASSERT_TRUE(www);
  EXPECT_EQ((*www)["status"], "critical");
  EXPECT_EQ((*www)["used_pct"], 96.0);
  EXPECT_EQ((*www)["free_bytes"], 4 * kGiB);
  EXPECT_EQ((*www)["size_bytes"], 100 * kGiB);
  EXPECT_EQ((*www)["free_inodes"], 50'112'004);
  EXPECT_NEAR((*www)["inodes_used_pct"].get<double>(), 4.42, 0.01);
  EXPECT_TRUE((*www)["days_to_full"].is_null());
  const auto* efi = find_mount(r, "/boot/efi");
  ASSERT_TRUE(efi);
  EXPECT_TRUE((*efi)["inodes_used_pct"].is_null());  // vfat reports 0 inodes: no division
  EXPECT_EQ((*efi)["status"], "ok");
  EXPECT_EQ(r.facts["device_errors"][0]["mount"], "/mnt/backup");
  EXPECT_DOUBLE_EQ(sample(r, "lookout_disk_used_ratio", "/var/www"), 0.96);
  EXPECT_EQ(sample(r, "lookout_disk_free_bytes", "/var/www"), 4 * kGiB);
  EXPECT_TRUE(std::isnan(sample(r, "lookout_disk_days_to_full", "/var/www")));
}

// node_exporter's device_error on a local filesystem (statfs failing on ext4/xfs) is a broken
// disk: critical, as in the common "device error" alert rule, which leaves out network and
// fuse mounts (a stuck NFS mount stays a note, as above).
TEST(DiskEvaluateTest, DeviceErrorOnALocalFilesystemIsCritical) {
  FilesystemReading ok = reading("/", 100 * kGiB, 60 * kGiB);
  FilesystemReading broken;
  broken.mount = "/data";
  broken.fstype = "xfs";
  broken.device = "/dev/sdc1";
  broken.device_error = true;
  broken.error = "input/output error";
  FilesystemReading nfs = broken;
  nfs.mount = "/mnt/nas";
  nfs.fstype = "nfs4";
  nfs.device = "nas:/export";
  nfs.error = "mountpoint timeout";
  auto r = evaluate_disk(remote_options(), {ok, broken, nfs}, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_THAT(r.summary, ::testing::StartsWith("/data: device error (input/output error)"));
  EXPECT_THAT(r.summary, ::testing::HasSubstr("device error on /mnt/nas (mountpoint timeout), skipped"));
  EXPECT_EQ(r.facts["device_errors"].size(), 2u);
  auto only_nfs = evaluate_disk(remote_options(), {ok, nfs}, nullptr, "k", Clock::now());
  EXPECT_EQ(only_nfs.status, Status::ok) << only_nfs.summary;
}

TEST(DiskEvaluateTest, ThresholdsAndFiltersApply) {
  auto rs = scrape(estate::node_exporter_full_exposition());
  DiskOptions o = remote_options();
  o.mounts = {"/"};
  auto r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::ok);
  ASSERT_EQ(r.facts["mounts"].size(), 1u);

  o.warn_pct = 50;
  r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::warning);
  EXPECT_EQ(r.summary, "/ 57.5% used (17 GiB free of 40 GiB)");

  o.warn_pct = 90;
  o.crit_free_bytes = 20 * kGiB;
  r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.summary, "/ only 17 GiB free (17 GiB free of 40 GiB)");

  // Asking for a mount the host does not have is unknown, not ok.
  o = remote_options();
  o.mounts = {"/", "/data"};
  r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.summary, "/data not found");
  EXPECT_EQ(find_mount(r, "/data")->at("status"), "unknown");

  // An explicitly requested pseudo filesystem is checked: the overlay is 99 % full.
  o.mounts = {"/var/lib/docker/overlay2/3f1c0a9b/merged"};
  r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::critical);

  // An empty ignore list keeps tmpfs and friends.
  o = remote_options();
  o.ignore_fstypes = {"squash*"};
  r = evaluate_disk(o, rs, nullptr, "k", Clock::now());
  EXPECT_TRUE(find_mount(r, "/run"));
  EXPECT_FALSE(find_mount(r, "/snap/core20/2105"));
}

TEST(DiskEvaluateTest, InodeThresholds) {
  DiskOptions o;
  auto r = evaluate_disk(o, {reading("/srv", 100, 50, 1000, 40)}, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.summary, "/srv inodes 96.0% used (50 B free of 100 B)");
  r = evaluate_disk(o, {reading("/srv", 100, 50, 1000, 80)}, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::warning);
  r = evaluate_disk(o, {reading("/srv", 100, 50, 1000, 500)}, nullptr, "k", Clock::now());
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.facts["mounts"][0]["inodes_used_pct"], 50.0);
}

TEST(DiskEvaluateTest, ProjectsDaysToFullFromHistory) {
  MemoryHistory h;
  auto now = Clock::now();
  // /data lost 10 GiB a day over the last two days; 25 GiB left now: full in 2.5 days.
  for (int hrs = 48; hrs > 0; hrs -= 4)
    h.record("acme/web1/disk", "disk_free:/data", now - std::chrono::hours(hrs),
             25 * kGiB + hrs * 10 * kGiB / 24);
  // A point from last week, outside the 3 day window, must not bend the line.
  h.record("acme/web1/disk", "disk_free:/data", now - 24h * 7, 1 * kGiB);
  DiskOptions o;
  auto r = evaluate_disk(o, {reading("/data", 200 * kGiB, 25 * kGiB)}, &h, "acme/web1/disk", now);
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_EQ(r.summary, "/data full in ~2.5 days (25 GiB free of 200 GiB)");
  EXPECT_NEAR(r.facts["mounts"][0]["days_to_full"].get<double>(), 2.5, 0.01);
  EXPECT_NEAR(sample(r, "lookout_disk_days_to_full", "/data"), 2.5, 0.01);
  // Today's reading was recorded for the next run.
  EXPECT_EQ(h.series("acme/web1/disk", "disk_free:/data", now).size(), 1u);

  // Same decline with 50 GiB left: 5 days is a warning.
  MemoryHistory h2;
  for (int hrs = 48; hrs > 0; hrs -= 4)
    h2.record("k", "disk_free:/data", now - std::chrono::hours(hrs), 50 * kGiB + hrs * 10 * kGiB / 24);
  r = evaluate_disk(o, {reading("/data", 200 * kGiB, 50 * kGiB)}, &h2, "k", now);
  EXPECT_EQ(r.status, Status::warning);
  EXPECT_NEAR(r.facts["mounts"][0]["days_to_full"].get<double>(), 5.0, 0.01);

  // A shorter window sees only the last day.
  o.history_window = 12h;
  MemoryHistory h3;
  h3.record("k", "disk_free:/data", now - 40h, 900 * kGiB);  // outside: would fake a steep fall
  h3.record("k", "disk_free:/data", now - 6h, 50 * kGiB);
  r = evaluate_disk(o, {reading("/data", 200 * kGiB, 50 * kGiB)}, &h3, "k", now);
  EXPECT_EQ(r.status, Status::ok);
  EXPECT_TRUE(r.facts["mounts"][0]["days_to_full"].is_null());
}

// ---- against the estate's node_exporter hosts ----------------------------------------------

TEST_F(EstateFixture, ScrapesTheFullHost) {
  Runner run;
  auto r = run.run(endpoint("node_exporter_full"));
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.summary.rfind("/var/www 96.0% used (4 GiB free of 100 GiB)", 0), 0u) << r.summary;
  EXPECT_EQ(r.facts["source"], "node_exporter");
  EXPECT_EQ(r.facts["mounts"].size(), 3u);
  EXPECT_GT(r.phase("transfer") + r.phase("processing"), 0);
}

TEST_F(EstateFixture, ProjectsTheFillingHostFromTwoScrapes) {
  Runner run;
  MemoryHistory h;
  auto first = run.run(endpoint("node_exporter_filling"), "", &h);
  EXPECT_EQ(first.status, Status::ok) << first.summary;  // 80 % used, no history yet
  EXPECT_TRUE(find_mount(first, "/var/lib/mysql")->at("days_to_full").is_null());
  // The volume loses 1 MiB/s; a fraction of a second later the decline is measurable.
  std::this_thread::sleep_for(300ms);
  auto second = run.run(endpoint("node_exporter_filling"), "", &h);
  EXPECT_EQ(second.status, Status::critical) << second.summary;
  const auto* mysql = find_mount(second, "/var/lib/mysql");
  ASSERT_TRUE(mysql);
  ASSERT_TRUE((*mysql)["days_to_full"].is_number()) << second.facts.dump();
  // About 100 GiB at 1 MiB/s = 1.2 days; wide bounds absorb the timing noise.
  EXPECT_GT((*mysql)["days_to_full"].get<double>(), 0.6);
  EXPECT_LT((*mysql)["days_to_full"].get<double>(), 2.5);
  EXPECT_NE(second.summary.find("/var/lib/mysql full in ~"), std::string::npos) << second.summary;
  EXPECT_EQ(find_mount(second, "/")->at("status"), "ok");
}

TEST_F(EstateFixture, MalformedExpositionIsUnknownNamingTheLine) {
  Runner run;
  auto r = run.run(endpoint("node_exporter_malformed"));
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::protocol);
  EXPECT_EQ(r.summary.rfind("malformed exposition: line 12: bad value '4.2e+09x' (1 bad line)", 0),
            0u)
      << r.summary;
  EXPECT_EQ(r.facts["mounts"].size(), 0u);
}

TEST_F(EstateFixture, HugeExpositionStopsAtTheLimit) {
  Runner run;
  auto r = run.run(endpoint("node_exporter_huge"), "", nullptr, 20s);
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::protocol);
  EXPECT_EQ(r.summary.rfind("exposition larger than 16 MiB limit from http://", 0), 0u) << r.summary;
  EXPECT_EQ(r.facts["exposition_bytes"], 16u << 20);  // read no further than the limit

  r = run.run(endpoint("node_exporter_huge"), "size_limit: 1MiB");
  EXPECT_EQ(r.summary.rfind("exposition larger than 1 MiB limit", 0), 0u) << r.summary;
}

TEST_F(EstateFixture, NonMetricsAnswersAreUnknown) {
  Runner run;
  std::string url = endpoint("node_exporter_full");
  auto r = run.run(url.substr(0, url.size() - 8) + "/nothing");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::http_status);
  EXPECT_NE(r.summary.find("answered HTTP 404"), std::string::npos) << r.summary;

  // An ordinary web page is not an exposition.
  r = run.run(endpoint("http") + "/ok");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::protocol);
}

TEST(DiskProbeTest, UnreachableExporterIsUnknown) {
  // A port nobody listens on: bind one, remember it, close it.
  asio::io_context io;
  asio::ip::tcp::acceptor acc(io, {asio::ip::make_address("127.0.0.1"), 0});
  auto port = acc.local_endpoint().port();
  acc.close();
  Runner run;
  auto r = run.run("http://127.0.0.1:" + std::to_string(port) + "/metrics");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_EQ(r.failure, FailureKind::connect);
  EXPECT_EQ(r.summary.rfind("node_exporter http://127.0.0.1:", 0), 0u) << r.summary;
}

// ---- local statvfs ---------------------------------------------------------------------------

TEST(DiskProbeTest, ReadsLocalPathsWithStatvfs) {
  Runner run;
  auto dir = std::filesystem::temp_directory_path();
  auto r = run.run("/", "mounts: [/, " + dir.string() + "]");
  ASSERT_EQ(r.facts["mounts"].size(), 2u) << r.facts.dump();
  EXPECT_EQ(r.facts["source"], "local");
  const auto* root = find_mount(r, "/");
  ASSERT_TRUE(root);
  EXPECT_GT((*root)["size_bytes"].get<double>(), 0);
  EXPECT_GE((*root)["free_bytes"].get<double>(), 0);
  EXPECT_FALSE((*root)["fstype"].get<std::string>().empty());
  EXPECT_NE((*root)["status"], "unknown");
  // Thresholds at 0 % used: anything with data on it is critical.
  r = run.run("/", "warn_pct: 0\ncrit_pct: 0");
  EXPECT_EQ(r.status, Status::critical);
  EXPECT_NE(r.summary.find("/ "), std::string::npos);
}

TEST(DiskProbeTest, NonUtf8PathsStayValidInFactsAndLabels) {
  // A directory name that is not UTF-8 (paths are bytes): the result must still serialise.
  auto dir = std::filesystem::temp_directory_path() /
             ("lookout-disk-\xff-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Runner run;
  auto r = run.run(dir.string());
  std::filesystem::remove(dir);
  EXPECT_NE(r.status, Status::unknown) << r.summary;
  std::string json;
  EXPECT_NO_THROW(json = r.to_json().dump());
  EXPECT_NE(json.find("lookout-disk-\xef\xbf\xbd-"), std::string::npos) << json;
  ASSERT_FALSE(r.samples.empty());
  EXPECT_TRUE(is_valid_utf8(r.samples[0].labels[0].second));
}

TEST(DiskProbeTest, MissingLocalPathIsUnknown) {
  Runner run;
  auto r = run.run("/nonexistent/lookout-disk-test");
  EXPECT_EQ(r.status, Status::unknown);
  EXPECT_NE(r.summary.find("No such file or directory"), std::string::npos) << r.summary;
}

// ---- the one-shot CLI path -------------------------------------------------------------------

TEST_F(EstateFixture, OneShotJsonListsEachMount) {
  agent::OneShotRequest req;
  req.type = "disk";
  req.target = endpoint("node_exporter_full");
  req.options["warn_pct"] = {"50"};
  req.options["crit_pct"] = {"99"};
  req.options["mounts"] = {"/", "/var/www/"};  // a trailing slash names the same mount
  auto out = agent::run_one_check(req);
  ASSERT_TRUE(out.valid) << out.errors.to_string();
  EXPECT_EQ(out.result.status, Status::warning) << out.result.summary;
  auto j = agent::oneshot_json(out.result, "disk", req.target);
  EXPECT_EQ(j["check_status"], "warning");
  ASSERT_EQ(j["mounts"].size(), 2u);
  for (const auto& m : j["mounts"]) {
    for (const char* key : {"mount", "fstype", "device", "used_pct", "free_bytes", "size_bytes",
                            "free_inodes", "inodes_used_pct", "days_to_full", "status"})
      EXPECT_TRUE(m.contains(key)) << key;
    EXPECT_EQ(m["status"], "warning");
    EXPECT_TRUE(m["days_to_full"].is_null());  // one run: no history to project from
  }
}

// `--crit-pct 50` alone (as with Nagios' check_disk -c) must not fail validation because the
// default warning (90) is above it: the unset threshold follows the set one.
TEST_F(EstateFixture, OneThresholdAloneMovesTheOtherDefault) {
  struct Case {
    std::map<std::string, std::vector<std::string>> options;
    Status expected;
  } cases[] = {
      {{{"crit_pct", {"50"}}}, Status::critical},       // / at 57.5 %, /var/www at 96 %
      {{{"warn_pct", {"97"}}}, Status::ok},             // /var/www 96 % < 97
      {{{"warn_pct", {"97"}}, {"mounts", {"/"}}}, Status::ok},
      {{{"crit_inodes_free_pct", {"20"}}, {"mounts", {"/"}}}, Status::ok},  // / has 80 % free
      {{{"warn_days_to_full", {"1"}}}, Status::critical},
  };
  for (const auto& c : cases) {
    agent::OneShotRequest req;
    req.type = "disk";
    req.target = endpoint("node_exporter_full");
    req.options = c.options;
    auto out = agent::run_one_check(req);
    ASSERT_TRUE(out.valid) << c.options.begin()->first << ": " << out.errors.to_string();
    EXPECT_EQ(out.result.status, c.expected) << c.options.begin()->first << ": " << out.result.summary;
  }
}

}  // namespace
}  // namespace lookout::probes
