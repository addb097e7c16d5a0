#include "probes/disk_probe.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/evp.h>

#include "net/http_client.h"
#include "probes/fact_names.h"

namespace lookout::probes {
namespace asio = boost::asio;
using Clock = std::chrono::system_clock;

namespace {

bool is_authorization(std::string_view name) {
  static constexpr std::string_view kName = "authorization";
  if (name.size() != kName.size()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(name[i])) != kName[i]) return false;
  return true;
}

// Pseudo and read-only image filesystems: node_exporter's own exclusions plus tmpfs/ramfs
// (memory, not disk) and fuse.lxcfs (container views of /proc).
const char* const kDefaultIgnoreFstypes[] = {
    "tmpfs",     "overlay",  "squashfs",   "devtmpfs",   "proc",      "sysfs",    "ramfs",
    "nsfs",      "autofs",   "fuse.lxcfs", "cgroup",     "cgroup2",   "devpts",   "debugfs",
    "tracefs",   "securityfs", "pstore",   "bpf",        "configfs",  "hugetlbfs", "mqueue",
    "binfmt_misc", "fusectl", "rpc_pipefs", "selinuxfs", "efivarfs",  "iso9660",  "erofs",
    "procfs"};

constexpr double kSecondsPerDay = 86400;

/// Two decimals for JSON (70.82, not 70.82000000000001).
double round2(double v) { return std::round(v * 100) / 100; }

std::string fmt_pct(double pct) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", pct);
  return buf;
}

std::string fmt_days(double days) {
  char buf[48];
  if (days * 24 < 1)
    return "less than an hour";
  if (days < 1)
    std::snprintf(buf, sizeof buf, "~%.0f hours", days * 24);
  else
    std::snprintf(buf, sizeof buf, "~%.1f days", days);
  return buf;
}

// ---- local statvfs -------------------------------------------------------------------------

/// Undoes the octal escapes of /proc/self/mountinfo ("\040" is a space).
std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 4, v, 8);
      if (ec == std::errc() && p == s.data() + i + 4) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

/// Finds the mount holding `path` in /proc/self/mountinfo: the longest matching mountpoint,
/// the last one when several are stacked on it.
void find_mount(const std::string& path, FilesystemReading& r) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  size_t best = 0;
  bool found = false;
  while (std::getline(in, line)) {
    std::vector<std::string_view> f;
    std::string_view l = line;
    size_t pos = 0;
    while (pos < l.size()) {
      size_t sp = l.find(' ', pos);
      if (sp == std::string_view::npos) sp = l.size();
      f.push_back(l.substr(pos, sp - pos));
      pos = sp + 1;
    }
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || std::distance(dash, f.end()) < 3) continue;
    std::string mp = unescape_mountinfo(f[4]);
    bool covers = mp == "/" || path == mp || (path.size() > mp.size() && path.starts_with(mp) &&
                                               path[mp.size()] == '/');
    if (!covers || mp.size() < best) continue;
    best = mp.size();
    found = true;
    r.mounted_on = mp;
    r.fstype = std::string(dash[1]);
    r.device = unescape_mountinfo(dash[2]);
  }
  if (!found) r.mounted_on.clear();
}

FilesystemReading read_local(const std::string& path) {
  FilesystemReading r;
  r.mount = path;
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    r.device_error = true;
    r.error = "statvfs " + path + ": " + std::strerror(errno);
    return r;
  }
  double frsize = static_cast<double>(st.f_frsize ? st.f_frsize : st.f_bsize);
  r.size_bytes = static_cast<double>(st.f_blocks) * frsize;
  r.avail_bytes = static_cast<double>(st.f_bavail) * frsize;
  r.files = static_cast<double>(st.f_files);
  r.files_free = static_cast<double>(st.f_ffree);
  r.readonly = (st.f_flag & ST_RDONLY) != 0;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(path, ec);
  find_mount(ec ? path : canonical.string(), r);
  return r;
}

/// statvfs can block for minutes on a hung network mount, so it runs on its own thread and
/// the probe only polls for the answer until its deadline. A path whose earlier statvfs is
/// still blocked is not tried again (no pile-up of stuck threads).
struct StatJob {
  std::mutex mutex;
  bool done = false;
  FilesystemReading reading;
};

std::mutex g_blocked_mutex;
std::set<std::string> g_blocked_paths;

/// Starts one statvfs thread per path (plain function: no try/catch inside a coroutine).
std::vector<std::shared_ptr<StatJob>> start_stat_jobs(const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<StatJob>> jobs;
  for (const auto& path : paths) {
    auto job = std::make_shared<StatJob>();
    job->reading.mount = path;
    jobs.push_back(job);
    {
      std::lock_guard lock(g_blocked_mutex);
      if (!g_blocked_paths.insert(path).second) {
        job->done = true;
        job->reading.device_error = true;
        job->reading.error = "statvfs " + path + " still blocked since an earlier run (hung mount?)";
        continue;
      }
    }
    try {
      std::thread([job, path] {
        FilesystemReading r = read_local(path);
        {
          std::lock_guard lock(job->mutex);
          job->reading = std::move(r);
          job->done = true;
        }
        std::lock_guard lock(g_blocked_mutex);
        g_blocked_paths.erase(path);
      }).detach();
    } catch (const std::system_error& e) {
      std::lock_guard lock(g_blocked_mutex);
      g_blocked_paths.erase(path);
      job->done = true;
      job->reading.device_error = true;
      job->reading.error = std::string("cannot start a thread for statvfs: ") + e.what();
    }
  }
  return jobs;
}

asio::awaitable<std::vector<FilesystemReading>> read_local_all(ProbeContext& ctx,
                                                               const std::vector<std::string>& paths) {
  std::vector<std::shared_ptr<StatJob>> jobs = start_stat_jobs(paths);
  asio::steady_timer timer(ctx.executor);
  auto delay = std::chrono::microseconds(200);
  for (;;) {
    bool all = true;
    for (auto& j : jobs) {
      std::lock_guard lock(j->mutex);
      all = all && j->done;
    }
    if (all || ctx.remaining() == std::chrono::steady_clock::duration::zero()) break;
    timer.expires_after(std::min<std::chrono::steady_clock::duration>(delay, ctx.remaining()));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));  // expired or cancelled: look again
    delay = std::min<std::chrono::microseconds>(delay * 2, std::chrono::milliseconds(50));
  }

  std::vector<FilesystemReading> out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    std::lock_guard lock(jobs[i]->mutex);
    if (jobs[i]->done) {
      out.push_back(jobs[i]->reading);
    } else {
      FilesystemReading r;
      r.mount = paths[i];
      r.device_error = true;
      r.error = "statvfs " + paths[i] + " did not return within " +
                human_duration(std::chrono::duration<double>(ctx.spec.timeout).count()) +
                " (hung mount?)";
      out.push_back(std::move(r));
    }
  }
  co_return out;
}

// ---- probe ---------------------------------------------------------------------------------

class DiskProbe : public Probe {
 public:
  explicit DiskProbe(DiskOptions o) : o_(std::move(o)) {}

  std::string host_key() const override { return o_.remote ? o_.url.host : std::string(); }

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    if (!o_.remote) {
      std::vector<std::string> paths = o_.mounts;
      if (paths.empty()) paths.push_back(o_.path);
      auto readings = co_await read_local_all(ctx, paths);
      Result r = evaluate_disk(o_, readings, ctx.history, ctx.spec.key(), Clock::now());
      r.facts["source"] = "local";
      co_return r;
    }
    co_return co_await run_remote(ctx);
  }

 private:
  asio::awaitable<Result> run_remote(ProbeContext& ctx) {
    NodeFilesystemScrape scrape(o_.size_limit);
    std::string authorization, auth_error;
    if (!disk_scrape_authorization(o_, authorization, auth_error)) {
      // Our side: the site is not to blame for an unreadable secret.
      Result r = make_result(Status::unknown, FailureKind::internal,
                             "cannot scrape " + o_.url.to_string() + ": " + auth_error);
      r.facts["source"] = "node_exporter";
      r.facts[fact::kUrl] = o_.url.to_string();
      r.facts["mounts"] = nlohmann::json::array();
      co_return r;
    }
    net::HttpResponse resp = co_await net::http_fetch(ctx, scrape_request(scrape, authorization));
    co_return judge_scrape(scrape, resp, ctx);
  }

  /// The GET of /metrics; every body chunk goes straight into the parser, nothing is buffered.
  net::HttpRequest scrape_request(NodeFilesystemScrape& scrape,
                                  const std::string& authorization) const {
    net::HttpRequest req;
    req.url = o_.url;
    req.body_limit = 0;
    req.ca_file = o_.ca_file;
    req.verify_tls = o_.verify_tls;
    req.headers.emplace_back("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1");
    for (const auto& h : o_.headers) req.headers.push_back(h);
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    req.on_body = [&scrape](std::string_view piece) { return scrape.feed(piece); };
    return req;
  }

  Result judge_scrape(NodeFilesystemScrape& scrape, const net::HttpResponse& resp,
                      ProbeContext& ctx) const {
    const std::string url = o_.url.to_string();
    auto fail = [&](FailureKind kind, std::string summary) {
      Result r = make_result(Status::unknown, kind, std::move(summary));
      r.facts["source"] = "node_exporter";
      r.facts[fact::kUrl] = url;
      r.facts["mounts"] = nlohmann::json::array();
      if (resp.status) r.facts[fact::kStatusCode] = resp.status;
      r.facts["exposition_bytes"] = scrape.parser().bytes();
      return r;
    };
    Result r;
    if (scrape.parser().limit_exceeded()) {
      r = fail(FailureKind::protocol, scrape.parser().first_error() + " from " + url);
    } else if (scrape.too_many()) {
      r = fail(FailureKind::protocol,
               "more than " + std::to_string(NodeFilesystemScrape::kMaxFilesystems) +
                   " filesystems in the exposition from " + url);
    } else if (resp.failure != FailureKind::none) {
      r = fail(resp.failure, "node_exporter " + url + ": " + resp.error);
    } else if (resp.status != 200) {
      std::string hint;
      const bool credentials = o_.basic_auth_username || !o_.bearer_token_file.empty() ||
                               std::any_of(o_.headers.begin(), o_.headers.end(),
                                           [](const auto& h) { return is_authorization(h.first); });
      if (resp.status == 401)
        hint = credentials ? " (credentials rejected)"
                           : " (authentication required: set basic_auth or bearer_token_file)";
      else if (resp.status == 403)
        hint = " (forbidden)";
      r = fail(FailureKind::http_status,
               "node_exporter " + url + " answered HTTP " + std::to_string(resp.status) + hint);
    } else if (!scrape.finish()) {
      size_t bad = scrape.parser().bad_lines();
      r = fail(FailureKind::protocol,
               "malformed exposition: " + scrape.parser().first_error() + " (" +
                   std::to_string(bad) + (bad == 1 ? " bad line" : " bad lines") + ") from " + url);
      nlohmann::json errs = nlohmann::json::array();
      for (const auto& e : scrape.parser().errors()) errs.push_back(e.to_string());
      r.facts["exposition_errors"] = errs;
    } else if (scrape.readings().empty()) {
      r = fail(FailureKind::protocol, "no node_filesystem metrics from " + url +
                                          " (filesystem collector disabled?)");
    } else {
      r = evaluate_disk(o_, scrape.readings(), ctx.history, ctx.spec.key(), Clock::now());
      r.facts["source"] = "node_exporter";
      r.facts[fact::kUrl] = url;
      r.facts["exposition_bytes"] = scrape.parser().bytes();
    }
    r.set_phase("resolve", resp.resolve);
    r.set_phase("connect", resp.connect);
    if (o_.url.is_https()) r.set_phase("tls", resp.tls);
    r.set_phase("processing", resp.processing);
    r.set_phase("transfer", resp.transfer);
    return r;
  }

  DiskOptions o_;
};

bool valid_header_name(std::string_view n) {
  if (n.empty() || n.size() > 256) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c)))
      return false;
  return true;
}

// headers / basic_auth / bearer_token_file, with Prometheus' rules: at most one way of
// authenticating; basic_auth takes a username and at most one password source.
void read_scrape_auth(DiskOptions& o, config::OptionMap& opts, config::Errors& errors) {
  if (auto h = opts.get_string_map("headers", errors)) {
    for (const auto& [name, value] : *h) {
      if (!valid_header_name(name))
        opts.error("headers", "'" + name + "' is not a valid header name", errors);
      else if (value.find_first_of("\r\n") != std::string::npos || value.size() > 8192)
        opts.error("headers", "the value of header '" + name + "' has a line break or is over 8 KiB",
                   errors);
      else
        o.headers.emplace_back(name, value);
    }
  }
  const bool header_auth = std::any_of(o.headers.begin(), o.headers.end(),
                                       [](const auto& h) { return is_authorization(h.first); });
  if (opts.has("basic_auth")) {
    YAML::Node b = opts.node("basic_auth");
    if (!b.IsMap()) {
      opts.error("basic_auth", "expected a map with username and password_env or password_file",
                 errors);
    } else {
      static const std::set<std::string> kKeys = {"username", "password_env", "password_file"};
      for (const auto& kv : b) {
        std::string k = kv.first.Scalar();
        if (!kKeys.count(k)) {
          opts.error("basic_auth",
                     k == "password" ? "basic_auth.password: put the password in password_env "
                                       "or password_file, not in the config"
                                     : "unknown key basic_auth." + k +
                                           " (username, password_env, password_file)",
                     errors);
        } else if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
          opts.error("basic_auth", "basic_auth." + k + " must be a non-empty string", errors);
        } else if (k == "username") {
          o.basic_auth_username = kv.second.Scalar();
        } else if (k == "password_env") {
          o.basic_auth_password_env = kv.second.Scalar();
        } else {
          o.basic_auth_password_file = kv.second.Scalar();
        }
      }
      if (!o.basic_auth_username)
        opts.error("basic_auth", "basic_auth needs a username", errors);
      else if (o.basic_auth_username->find(':') != std::string::npos)
        opts.error("basic_auth", "basic_auth.username must not contain ':'", errors);
      if (!o.basic_auth_password_env.empty() && !o.basic_auth_password_file.empty())
        opts.error("basic_auth", "at most one of basic_auth.password_env and password_file",
                   errors);
    }
  }
  if (auto f = opts.get_string("bearer_token_file", errors)) {
    if (f->empty()) opts.error("bearer_token_file", "must be a file path", errors);
    o.bearer_token_file = *f;
  }
  int ways = (opts.has("basic_auth") ? 1 : 0) + (o.bearer_token_file.empty() ? 0 : 1) +
             (header_auth ? 1 : 0);
  if (ways > 1)
    opts.error(opts.has("basic_auth") ? "basic_auth" : "bearer_token_file",
               "at most one of basic_auth, bearer_token_file and an Authorization header",
               errors);
  if (ways > 0 && !o.remote)
    opts.error(opts.has("basic_auth") ? "basic_auth" : "bearer_token_file",
               "credentials only apply to a node_exporter URL, not to a local path", errors);
}

ProbePtr build_disk(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  DiskOptions o;
  size_t before = errors.size();
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  if (spec.target.empty() && !spec.site_url.empty()) {
    // Default: node_exporter on the site's host, on its standard port.
    if (auto site = net::parse_url(spec.site_url)) {
      net::Url u;
      u.scheme = "http";
      u.host = site->host;
      u.host_is_ip = site->host_is_ip;
      u.port = 9100;
      u.target = "/metrics";
      spec.target = u.to_string();
    }
  }
  if (spec.target.empty()) {
    opts.error("target", "a disk check needs a local path or a node_exporter URL", errors);
    return nullptr;
  }
  if (spec.target.starts_with("/")) {
    o.path = spec.target;
  } else if (spec.target.starts_with("http://") || spec.target.starts_with("https://")) {
    std::string err;
    auto url = net::parse_url(spec.target, &err);
    if (!url) {
      opts.error("target", "bad URL '" + spec.target + "': " + err, errors);
      return nullptr;
    }
    if (url->target == "/") url->target = "/metrics";
    o.remote = true;
    o.url = *url;
    spec.target = o.url.to_string();
  } else {
    opts.error("target",
               "disk target '" + spec.target +
                   "' is neither an absolute path nor an http(s) node_exporter URL",
               errors);
    return nullptr;
  }

  if (auto m = opts.get_string_list("mounts", errors)) {
    o.mounts = *m;
    for (auto& mount : o.mounts) {
      if (!mount.starts_with("/")) opts.error("mounts", "mount '" + mount + "' is not an absolute path", errors);
      while (mount.size() > 1 && mount.back() == '/') mount.pop_back();  // "/var/www/" = "/var/www"
    }
  }
  if (auto f = opts.get_string_list("ignore_fstypes", errors)) o.ignore_fstypes = *f;
  // A warn/crit pair: both set and in the wrong order is an error; one set alone moves the
  // other's default to it (`--crit-pct 50` must not clash with the default warning of 90).
  // `rising`: higher values are worse (used %), else lower are (free %, days to full).
  auto pair = [&](const char* warn_key, const char* crit_key, double& warn, double& crit,
                  double max, bool rising) {
    auto w = opts.get_double(warn_key, errors, 0, max);
    auto c = opts.get_double(crit_key, errors, 0, max);
    if (w) warn = *w;
    if (c) crit = *c;
    if (rising ? warn <= crit : warn >= crit) return;
    if (w && c)
      opts.error(warn_key, std::string(warn_key) + (rising ? " must not exceed " : " must not be below ") +
                               crit_key, errors);
    else if (w)
      crit = warn;
    else if (c)
      warn = crit;
  };
  pair("warn_pct", "crit_pct", o.warn_pct, o.crit_pct, 100, true);
  pair("warn_inodes_free_pct", "crit_inodes_free_pct", o.warn_inodes_free_pct,
       o.crit_inodes_free_pct, 100, false);
  auto bytes = [&](const char* key, std::optional<double>& out) {
    if (auto s = opts.get_string(key, errors)) {
      out = parse_byte_size(*s);
      if (!out) opts.error(key, "bad size '" + *s + "' (use e.g. 5GiB, 500MB or bytes)", errors);
    }
  };
  bytes("warn_free_bytes", o.warn_free_bytes);
  bytes("crit_free_bytes", o.crit_free_bytes);
  if (o.warn_free_bytes && o.crit_free_bytes && *o.warn_free_bytes < *o.crit_free_bytes)
    opts.error("warn_free_bytes", "warn_free_bytes must not be below crit_free_bytes", errors);
  pair("warn_days_to_full", "crit_days_to_full", o.warn_days_to_full, o.crit_days_to_full, 3650,
       false);
  if (auto d = opts.get_duration("history_window", errors)) {
    if (d->count() <= 0)
      opts.error("history_window", "history_window must be positive", errors);
    else
      o.history_window = *d;
  }
  std::optional<double> limit;
  bytes("size_limit", limit);
  if (limit) {
    if (*limit < 1024 || *limit > double(1u << 30))
      opts.error("size_limit", "size_limit must be between 1KiB and 1GiB", errors);
    else
      o.size_limit = static_cast<size_t>(*limit);
  }
  if (auto f = opts.get_string("ca_file", errors)) o.ca_file = *f;
  if (auto v = opts.get_bool("verify_tls", errors)) o.verify_tls = *v;
  read_scrape_auth(o, opts, errors);
  if (errors.size() != before) return nullptr;
  return std::make_shared<DiskProbe>(std::move(o));
}

}  // namespace

// ---- credentials -----------------------------------------------------------------------------

namespace {

constexpr size_t kMaxSecretBytes = 64 << 10;

// A secret file's contents with surrounding whitespace trimmed (as Prometheus does).
bool read_secret_file(const std::string& path, const char* what, std::string& out,
                      std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot read ") + what + " " + path + ": " + std::strerror(errno);
    return false;
  }
  out.assign(kMaxSecretBytes + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > kMaxSecretBytes) {
    error = std::string(what) + " " + path + " is larger than 64 KiB";
    return false;
  }
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!out.empty() && space(out.back())) out.pop_back();
  size_t start = 0;
  while (start < out.size() && space(out[start])) ++start;
  out.erase(0, start);
  if (out.find_first_of("\r\n") != std::string::npos) {
    error = std::string(what) + " " + path + " holds more than one line";
    return false;
  }
  return true;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

bool disk_scrape_authorization(const DiskOptions& o, std::string& value, std::string& error) {
  value.clear();
  if (o.basic_auth_username) {
    std::string password;
    if (!o.basic_auth_password_env.empty()) {
      const char* v = std::getenv(o.basic_auth_password_env.c_str());
      if (!v) {
        error = "basic_auth.password_env: environment variable " + o.basic_auth_password_env +
                " is not set";
        return false;
      }
      password = v;
    } else if (!o.basic_auth_password_file.empty()) {
      if (!read_secret_file(o.basic_auth_password_file, "basic_auth.password_file", password,
                            error))
        return false;
    }
    value = "Basic " + base64(*o.basic_auth_username + ":" + password);
  } else if (!o.bearer_token_file.empty()) {
    std::string token;
    if (!read_secret_file(o.bearer_token_file, "bearer_token_file", token, error)) return false;
    if (token.empty()) {
      error = "bearer_token_file " + o.bearer_token_file + " is empty";
      return false;
    }
    value = "Bearer " + token;
  }
  return true;
}

// ---- node_exporter scrape ------------------------------------------------------------------

NodeFilesystemScrape::NodeFilesystemScrape(size_t size_limit)
    : parser_([this](const ExpositionSample& s) { return on_sample(s); },
              ExpositionParserOptions{.max_bytes = size_limit}) {}

bool NodeFilesystemScrape::on_sample(const ExpositionSample& s) {
  constexpr std::string_view kPrefix = "node_filesystem_";
  if (!s.name.starts_with(kPrefix)) return true;
  std::string_view what = s.name.substr(kPrefix.size());
  enum { avail, size, files, files_free, readonly, device_error, other } field = other;
  if (what == "avail_bytes") field = avail;
  else if (what == "size_bytes") field = size;
  else if (what == "files") field = files;
  else if (what == "files_free") field = files_free;
  else if (what == "readonly") field = readonly;
  else if (what == "device_error") field = device_error;
  if (field == other) return true;

  std::string_view mountpoint = s.label("mountpoint");
  std::string_view device = s.label("device");
  std::string_view fstype = s.label("fstype");
  if (mountpoint.empty()) return true;
  key_.assign(mountpoint).append(1, '\0').append(device).append(1, '\0').append(fstype);
  auto it = index_.find(key_);
  if (it == index_.end()) {
    if (readings_.size() >= kMaxFilesystems) {
      too_many_ = true;
      return false;
    }
    it = index_.emplace(key_, readings_.size()).first;
    FilesystemReading r;
    r.mount = mountpoint;
    r.device = device;
    r.fstype = fstype;
    readings_.push_back(std::move(r));
  }
  FilesystemReading& r = readings_[it->second];
  switch (field) {
    case avail: r.avail_bytes = s.value; break;
    case size: r.size_bytes = s.value; break;
    case files: r.files = s.value; break;
    case files_free: r.files_free = s.value; break;
    case readonly: r.readonly = s.value == 1; break;
    case device_error:
      if (s.value == 1) {
        r.device_error = true;
        r.error = s.label("device_error");
        if (r.error.empty()) r.error = "device error";
      }
      break;
    case other: break;
  }
  return true;
}

// ---- projection ----------------------------------------------------------------------------

std::optional<double> project_days_to_zero(const std::vector<SeriesPoint>& points,
                                           Clock::time_point now) {
  if (points.size() < 2) return std::nullopt;
  // x in seconds relative to now keeps the sums small and makes the intercept the value "now".
  double n = 0, sx = 0, sy = 0;
  for (const auto& p : points) {
    if (!std::isfinite(p.value)) continue;
    double x = std::chrono::duration<double>(p.at - now).count();
    n += 1;
    sx += x;
    sy += p.value;
  }
  if (n < 2) return std::nullopt;
  double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (const auto& p : points) {
    if (!std::isfinite(p.value)) continue;
    double dx = std::chrono::duration<double>(p.at - now).count() - mx;
    sxx += dx * dx;
    sxy += dx * (p.value - my);
  }
  if (sxx <= 0) return std::nullopt;  // all points at one instant
  double slope = sxy / sxx;           // bytes per second
  if (!(slope < 0)) return std::nullopt;
  double at_now = my - slope * mx;
  if (at_now <= 0) return 0.0;
  return at_now / -slope / kSecondsPerDay;
}

// ---- options and evaluation ----------------------------------------------------------------

DiskOptions::DiskOptions() : ignore_fstypes(std::begin(kDefaultIgnoreFstypes), std::end(kDefaultIgnoreFstypes)) {}

bool DiskOptions::ignored_fstype(std::string_view fstype) const {
  for (const auto& f : ignore_fstypes) {
    if (!f.empty() && f.back() == '*') {
      if (fstype.starts_with(std::string_view(f).substr(0, f.size() - 1))) return true;
    } else if (fstype == f) {
      return true;
    }
  }
  return false;
}

std::optional<double> parse_byte_size(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || !std::isfinite(v) || v < 0) return std::nullopt;
  std::string unit(p, text.data() + text.size());
  unit.erase(0, unit.find_first_not_of(' '));
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, double> kUnits[] = {
      {"", 1},          {"b", 1},
      {"k", 1e3},       {"kb", 1e3},      {"m", 1e6},  {"mb", 1e6},
      {"g", 1e9},       {"gb", 1e9},      {"t", 1e12}, {"tb", 1e12},
      {"kib", 1024.0},  {"mib", 1048576.0}, {"gib", 1073741824.0}, {"tib", 1099511627776.0}};
  for (const auto& [name, mult] : kUnits)
    if (unit == name) return v * mult;
  return std::nullopt;
}

Result evaluate_disk(const DiskOptions& o, const std::vector<FilesystemReading>& readings,
                     History* history, const std::string& check_key, Clock::time_point now) {
  Result r;
  r.status = Status::ok;
  nlohmann::json mounts = nlohmann::json::array();
  nlohmann::json device_errors = nlohmann::json::array();
  struct Problem {
    Status status;
    std::string text;
  };
  std::vector<Problem> problems;
  std::vector<size_t> noted_errors;  // indices into device_errors only named in the summary
  size_t ignored = 0;
  std::set<std::string> seen;
  std::optional<std::pair<double, std::string>> fullest;  // (used pct, summary text)

  auto wanted = [&](const std::string& mount) {
    return std::find(o.mounts.begin(), o.mounts.end(), mount) != o.mounts.end();
  };

  for (const auto& raw : readings) {
    // Paths are bytes, not text: keep facts, summaries and metric labels valid UTF-8.
    FilesystemReading fs = raw;
    for (std::string* t : {&fs.mount, &fs.mounted_on, &fs.fstype, &fs.device, &fs.error})
      if (!is_valid_utf8(*t)) *t = to_valid_utf8(*t);
    // Local paths were asked for one by one; remote mounts are filtered.
    bool explicit_mount = !o.remote || wanted(fs.mount);
    if (o.remote && !o.mounts.empty() && !explicit_mount) continue;
    if (!explicit_mount && o.ignored_fstype(fs.fstype)) {
      ++ignored;
      continue;
    }
    if (fs.device_error && !explicit_mount) {
      device_errors.push_back({{"mount", fs.mount}, {"fstype", fs.fstype}, {"device", fs.device},
                               {"error", fs.error}});
      // statfs failing on a local disk is a broken disk (the usual "device error" alert rule);
      // network and fuse mounts time out often enough that they only get a note.
      const bool remote_fs = fs.fstype.starts_with("nfs") || fs.fstype.starts_with("cifs") ||
                             fs.fstype.starts_with("smb") || fs.fstype.starts_with("fuse") ||
                             fs.fstype == "tmpfs";
      if (!remote_fs) {
        problems.push_back({Status::critical, fs.mount + ": device error (" + fs.error + ")"});
        r.status = Status::critical;
      } else {
        noted_errors.push_back(device_errors.size() - 1);
      }
      continue;
    }
    const bool has_size = fs.size_bytes && std::isfinite(*fs.size_bytes) && *fs.size_bytes > 0;
    const bool has_avail = fs.avail_bytes && !std::isnan(*fs.avail_bytes);
    if (!explicit_mount && !has_size) {
      ++ignored;  // no capacity to run out of (autofs placeholders and the like)
      continue;
    }
    if (o.remote && !seen.insert(fs.mount).second) continue;  // one entry per mountpoint

    nlohmann::json m;
    m["mount"] = fs.mount;
    if (!fs.mounted_on.empty() && fs.mounted_on != fs.mount) m["mounted_on"] = fs.mounted_on;
    m["fstype"] = fs.fstype;
    m["device"] = fs.device;
    m["used_pct"] = nullptr;
    m["free_bytes"] = nullptr;
    m["size_bytes"] = nullptr;
    m["free_inodes"] = nullptr;
    m["inodes_used_pct"] = nullptr;
    m["days_to_full"] = nullptr;
    if (fs.readonly) m["readonly"] = true;

    if (fs.device_error || !has_size || !has_avail) {
      std::string why = fs.device_error ? fs.error : "no size or free space reported";
      m["status"] = "unknown";
      m["error"] = why;
      mounts.push_back(std::move(m));
      problems.push_back({Status::unknown, fs.mount + ": " + why});
      r.status = worst(r.status, Status::unknown);
      continue;
    }

    const double size = *fs.size_bytes;
    const double avail = std::clamp(*fs.avail_bytes, 0.0, size);
    const double used_pct = 100.0 * (1.0 - avail / size);
    m["used_pct"] = round2(used_pct);
    m["free_bytes"] = avail;
    m["size_bytes"] = size;
    std::optional<double> inodes_used_pct;
    const bool has_files_free = fs.files_free && std::isfinite(*fs.files_free);
    if (has_files_free) m["free_inodes"] = *fs.files_free;
    if (has_files_free && fs.files && std::isfinite(*fs.files) && *fs.files > 0) {
      // btrfs and friends report 0 inodes: no inode percentage then
      inodes_used_pct = 100.0 * (1.0 - std::clamp(*fs.files_free / *fs.files, 0.0, 1.0));
      m["inodes_used_pct"] = round2(*inodes_used_pct);
    }

    std::optional<double> days;
    if (history && !fs.readonly) {
      const std::string series = "disk_free:" + fs.mount;
      history->record(check_key, series, now, avail);
      auto since = now - std::chrono::duration_cast<Clock::duration>(o.history_window);
      days = project_days_to_zero(history->series(check_key, series, since), now);
      if (days) m["days_to_full"] = round2(*days);
    }

    Status st = Status::ok;
    std::vector<std::string> reasons;
    auto flag = [&](Status s, std::string why) {
      st = worst(st, s);
      reasons.push_back(std::move(why));
    };
    if (!fs.readonly) {  // a read-only filesystem cannot fill up (images, snapshots)
      if (used_pct >= o.crit_pct) flag(Status::critical, fmt_pct(used_pct) + " used");
      else if (used_pct >= o.warn_pct) flag(Status::warning, fmt_pct(used_pct) + " used");
      if (o.crit_free_bytes && avail <= *o.crit_free_bytes)
        flag(Status::critical, "only " + format_bytes_iec(avail) + " free");
      else if (o.warn_free_bytes && avail <= *o.warn_free_bytes)
        flag(Status::warning, "only " + format_bytes_iec(avail) + " free");
      if (inodes_used_pct) {
        double free_pct = 100.0 - *inodes_used_pct;
        if (free_pct <= o.crit_inodes_free_pct)
          flag(Status::critical, "inodes " + fmt_pct(*inodes_used_pct) + " used");
        else if (free_pct <= o.warn_inodes_free_pct)
          flag(Status::warning, "inodes " + fmt_pct(*inodes_used_pct) + " used");
      }
      if (days) {
        if (*days <= o.crit_days_to_full) flag(Status::critical, "full in " + fmt_days(*days));
        else if (*days <= o.warn_days_to_full) flag(Status::warning, "full in " + fmt_days(*days));
      }
    }
    m["status"] = to_string(st);
    mounts.push_back(std::move(m));
    r.status = worst(r.status, st);

    const std::string space =
        "(" + format_bytes_iec(avail) + " free of " + format_bytes_iec(size) + ")";
    if (!reasons.empty()) {
      std::string text = fs.mount;
      for (size_t i = 0; i < reasons.size(); ++i) text += (i ? ", " : " ") + reasons[i];
      problems.push_back({st, text + " " + space});
    }
    if (!fullest || used_pct > fullest->first)
      fullest = {used_pct, fs.mount + " " + fmt_pct(used_pct) + " used " + space};

    const std::vector<std::pair<std::string, std::string>> labels{{"mount", fs.mount}};
    r.add_sample("lookout_disk_used_ratio", 1.0 - avail / size, labels);
    r.add_sample("lookout_disk_free_bytes", avail, labels);
    r.add_sample("lookout_disk_size_bytes", size, labels);
    if (inodes_used_pct) r.add_sample("lookout_disk_inodes_used_ratio", *inodes_used_pct / 100, labels);
    if (days) r.add_sample("lookout_disk_days_to_full", *days, labels);
  }

  // Mounts asked for by name that the exporter does not have.
  if (o.remote)
    for (const auto& asked : o.mounts) {
      const std::string want = to_valid_utf8(asked);
      if (!seen.count(want) &&
          std::none_of(mounts.begin(), mounts.end(),
                       [&](const nlohmann::json& m) { return m["mount"] == want; })) {
        mounts.push_back({{"mount", want}, {"fstype", nullptr}, {"device", nullptr},
                          {"used_pct", nullptr}, {"free_bytes", nullptr}, {"size_bytes", nullptr},
                          {"free_inodes", nullptr}, {"inodes_used_pct", nullptr},
                          {"days_to_full", nullptr}, {"status", "unknown"},
                          {"error", "not in the exposition"}});
        problems.push_back({Status::unknown, want + " not found"});
        r.status = worst(r.status, Status::unknown);
      }
    }

  // Summary: the problems, worst first; otherwise the fullest filesystem.
  auto rank = [](Status s) { return s == Status::critical ? 0 : s == Status::warning ? 1 : 2; };
  std::stable_sort(problems.begin(), problems.end(),
                   [&](const Problem& a, const Problem& b) { return rank(a.status) < rank(b.status); });
  if (!problems.empty()) {
    constexpr size_t kShown = 3;
    for (size_t i = 0; i < problems.size() && i < kShown; ++i)
      r.summary += (i ? "; " : "") + problems[i].text;
    if (problems.size() > kShown)
      r.summary += "; and " + std::to_string(problems.size() - kShown) + " more";
  } else if (fullest) {
    r.summary = std::to_string(mounts.size()) +
                (mounts.size() == 1 ? " filesystem ok: " : " filesystems ok, fullest ") +
                fullest->second;
  } else {
    r.status = Status::unknown;
    r.summary = "no filesystems to check (" + std::to_string(ignored) + " ignored by fstype)";
  }
  if (!noted_errors.empty()) {
    const nlohmann::json& first = device_errors[noted_errors[0]];
    r.summary += "; device error on " + first["mount"].get<std::string>() + " (" +
                 first["error"].get<std::string>() + ")";
    if (noted_errors.size() > 1)
      r.summary += " and " + std::to_string(noted_errors.size() - 1) + " more";
    r.summary += ", skipped";
  }
  if (!device_errors.empty()) r.facts["device_errors"] = device_errors;
  if (r.status != Status::ok) r.failure = FailureKind::assertion;
  r.facts["mounts"] = std::move(mounts);
  r.facts["ignored_mounts"] = ignored;
  return r;
}

ProbeKind disk_probe_kind() {
  return ProbeKind{
      "disk",
      "Disk space: statvfs on local mounts or a node_exporter scrape; used %, free bytes, "
      "inodes, days to full",
      &build_disk,
      {
          {"--warn-pct", "warn_pct", "used % warning threshold (default 90)"},
          {"--crit-pct", "crit_pct", "used % critical threshold (default 95)"},
          {"--mount", "mounts", "only this mountpoint (remote) / statvfs this path (local); repeatable", true},
          {"--warn-free", "warn_free_bytes", "warning when free space is at most this (e.g. 10GiB)"},
          {"--crit-free", "crit_free_bytes", "critical when free space is at most this (e.g. 2GiB)"},
          {"--warn-inodes-free-pct", "warn_inodes_free_pct", "free inode % warning threshold (default 10)"},
          {"--crit-inodes-free-pct", "crit_inodes_free_pct", "free inode % critical threshold (default 5)"},
          {"--warn-days", "warn_days_to_full", "warning when projected full within N days (default 7)"},
          {"--crit-days", "crit_days_to_full", "critical when projected full within N days (default 3)"},
          {"--ignore-fstype", "ignore_fstypes", "filesystem types to skip (replaces the default list; repeatable)", true},
          {"--size-limit", "size_limit", "largest exposition read (default 16MiB)"},
          {"--ca-file", "ca_file", "CA bundle for an https node_exporter"},
          {"--bearer-token-file", "bearer_token_file", "file holding a bearer token for node_exporter"},
      }};
}

}  // namespace lookout::probes
