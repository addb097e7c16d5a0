// Disk-space probe: statvfs on local mount points, or a node_exporter /metrics scrape
// (node_filesystem_* per mountpoint, pseudo filesystems skipped). Verdicts on used %, free bytes,
// free inodes, and on the days until full projected from stored history (least squares over the
// last history_window, as PromQL predict_linear does).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "probes/exposition_parser.h"
#include "probes/history.h"
#include "net/url.h"
#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind disk_probe_kind();

/// One filesystem as read from statvfs or from node_exporter.
struct FilesystemReading {
  std::string mount;      // mountpoint (remote) or the configured path (local)
  std::string mounted_on;  // local only: the mountpoint that holds `mount`
  std::string fstype;
  std::string device;
  std::optional<double> size_bytes;
  std::optional<double> avail_bytes;  // free for non-root users: what "full" means
  std::optional<double> files;        // total inodes; 0 on filesystems without fixed inodes
  std::optional<double> files_free;
  bool readonly = false;
  bool device_error = false;
  std::string error;  // device_error label text or the local statvfs error
};

/// Collects node_filesystem_* series from a node_exporter exposition as it streams in.
/// Series are matched on (mountpoint, device, fstype); other labels (device_error) are ignored
/// for matching, so pre-1.8 and 1.8+ expositions read alike.
class NodeFilesystemScrape {
 public:
  explicit NodeFilesystemScrape(size_t size_limit = 16u << 20);
  /// False once parsing stopped (size limit, too many filesystems).
  bool feed(std::string_view chunk) { return parser_.feed(chunk); }
  bool finish() { return parser_.finish(); }
  const ExpositionParser& parser() const { return parser_; }
  /// In the order first seen.
  const std::vector<FilesystemReading>& readings() const { return readings_; }
  bool too_many() const { return too_many_; }

  static constexpr size_t kMaxFilesystems = 10'000;

 private:
  bool on_sample(const ExpositionSample& s);

  ExpositionParser parser_;
  std::vector<FilesystemReading> readings_;
  std::unordered_map<std::string, size_t> index_;
  std::string key_;
  bool too_many_ = false;
};

/// Days until a falling series reaches 0, from a least-squares line through `points` evaluated
/// at `now` (predict_linear). nullopt with fewer than two distinct times or when not falling.
std::optional<double> project_days_to_zero(const std::vector<SeriesPoint>& points,
                                           std::chrono::system_clock::time_point now);

struct DiskOptions {
  bool remote = false;
  std::string path;  // local target
  net::Url url;      // remote target
  /// Local: the paths to statvfs (default: the target path). Remote: only these mountpoints.
  std::vector<std::string> mounts;
  /// Filesystem types skipped when scraping (entries ending in '*' match a prefix).
  std::vector<std::string> ignore_fstypes;
  double warn_pct = 90, crit_pct = 95;  // used %
  std::optional<double> warn_free_bytes, crit_free_bytes;
  double warn_inodes_free_pct = 10, crit_inodes_free_pct = 5;
  double warn_days_to_full = 7, crit_days_to_full = 3;
  std::chrono::milliseconds history_window{std::chrono::hours(72)};
  size_t size_limit = 16u << 20;
  std::string ca_file;
  bool verify_tls = true;
  /// node_exporter behind authentication, as Prometheus scrape configs do it: extra request
  /// headers, basic_auth (password from an environment variable or a file) or a bearer token
  /// file. Secrets are read at every scrape (a rotated file is picked up), never stored in
  /// results.
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> basic_auth_username;
  std::string basic_auth_password_env, basic_auth_password_file;
  std::string bearer_token_file;

  DiskOptions();
  bool ignored_fstype(std::string_view fstype) const;
};

/// Turns readings into the verdict, facts and samples; records free bytes into `history`
/// (series "disk_free:<mount>" under `check_key`) and projects days to full from it.
Result evaluate_disk(const DiskOptions& o, const std::vector<FilesystemReading>& readings,
                     History* history, const std::string& check_key,
                     std::chrono::system_clock::time_point now);

/// The Authorization header value the options ask for ("Basic ...", "Bearer ..."), empty when
/// none; false with `error` set when a secret cannot be read (missing file or variable).
bool disk_scrape_authorization(const DiskOptions& o, std::string& value, std::string& error);

/// "10GiB", "500 MB", "1e9", "4096" -> bytes. nullopt when malformed or negative.
std::optional<double> parse_byte_size(std::string_view text);

}  // namespace lookout::probes
