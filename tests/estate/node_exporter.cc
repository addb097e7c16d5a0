// The estate's node_exporter-style hosts, each on its own port serving /metrics like the real
// node_exporter (text format 0.0.4, filesystem families as in collector/filesystem_linux.go):
//   node_exporter_full       /var/www 96 % used, pseudo filesystems to skip, a stuck NFS mount
//   node_exporter_filling    /var/lib/mysql loses 1 MiB/s (full in about 28 hours: days to
//                            full is projectable from two scrapes a fraction of a second apart)
//   node_exporter_malformed  the full host with a bad value on line 12
//   node_exporter_huge       a valid but 100 MiB exposition, streamed
//
// All coroutines run on one strand, so the connection registry needs no lock; stop() posts a
// close of every acceptor and socket to that strand. Memory per connection is bounded (request
// header limit, one shared response block for the huge host).
#include "tests/estate/node_exporter.h"

#include <charconv>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/estate/estate.h"
#include "tests/estate/http_listeners.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr size_t kMaxConnections = 1024;
constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr double kMiB = 1024.0 * 1024;
constexpr size_t kHugeBytes = 100u << 20;
constexpr double kFillingStartFree = 100 * kGiB;
constexpr double kFillingBytesPerSecond = 1 * kMiB;

struct Fs {
  std::string device, mountpoint, fstype;
  double size = 0, avail = 0, free = 0, files = 0, files_free = 0;
  bool readonly = false;
  std::string error;  // device_error label text; non-empty = statfs failed

  Fs(std::string dev, std::string mp, std::string type, double size_, double avail_, double free_,
     double files_, double files_free_, bool ro = false, std::string err = {})
      : device(std::move(dev)), mountpoint(std::move(mp)), fstype(std::move(type)), size(size_),
        avail(avail_), free(free_), files(files_), files_free(files_free_), readonly(ro),
        error(std::move(err)) {}
};

/// Go's strconv.FormatFloat(v, 'g', -1, 64), which node_exporter's client library uses: the
/// shortest round-trip digits, in exponent form when the exponent is < -4 or >= 6
/// (18253611008 -> "1.8253611008e+10", 123456.78 -> "123456.78").
std::string num(double v) {
  char buf[40];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  (void)ec;
  std::string_view sci(buf, p - buf);
  size_t e = sci.find('e');
  if (e == std::string_view::npos) return std::string(sci);  // inf, nan
  int exp = std::atoi(sci.data() + e + 1);
  if (exp < -4 || exp >= 6) return std::string(sci);
  auto [q, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  (void)ec2;
  return std::string(buf, q);
}

void family(std::string& out, std::string_view name, std::string_view help, std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

/// The filesystem families in node_exporter's order, 1.8+ labels (device_error).
void render_filesystems(std::string& out, const std::vector<Fs>& fss) {
  struct Field {
    const char* name;
    const char* help;
    double Fs::*value;  // nullptr: device_error / readonly
  };
  static const Field kFields[] = {
      {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", &Fs::avail},
      {"node_filesystem_device_error", "Whether an error occurred while getting statistics for the given device.", nullptr},
      {"node_filesystem_files", "Filesystem total file nodes.", &Fs::files},
      {"node_filesystem_files_free", "Filesystem total free file nodes.", &Fs::files_free},
      {"node_filesystem_free_bytes", "Filesystem free space in bytes.", &Fs::free},
      {"node_filesystem_readonly", "Filesystem read-only status.", nullptr},
      {"node_filesystem_size_bytes", "Filesystem size in bytes.", &Fs::size},
  };
  for (const auto& f : kFields) {
    family(out, f.name, f.help, "gauge");
    std::string_view name = f.name;
    for (const auto& fs : fss) {
      // On a statfs error only device_error and readonly are exported for the mount.
      if (!fs.error.empty() && f.value) continue;
      out.append(name).append("{device=\"").append(fs.device).append("\",device_error=\"")
          .append(fs.error).append("\",fstype=\"").append(fs.fstype).append("\",mountpoint=\"")
          .append(fs.mountpoint).append("\"} ");
      double v = f.value ? fs.*(f.value)
                 : name.ends_with("device_error") ? (fs.error.empty() ? 0 : 1)
                                                   : (fs.readonly ? 1 : 0);
      out.append(num(v)).append("\n");
    }
  }
}

void render_preamble(std::string& out) {
  family(out, "go_gc_duration_seconds", "A summary of the pause duration of garbage collection cycles.", "summary");
  out += "go_gc_duration_seconds{quantile=\"0\"} 2.1472e-05\n"
         "go_gc_duration_seconds{quantile=\"0.5\"} 3.8911e-05\n"
         "go_gc_duration_seconds{quantile=\"1\"} 0.000412133\n"
         "go_gc_duration_seconds_sum 0.114201587\n"
         "go_gc_duration_seconds_count 2212\n";
  family(out, "go_goroutines", "Number of goroutines that currently exist.", "gauge");
  out += "go_goroutines 8\n";
}

void render_trailer(std::string& out, std::string_view host) {
  family(out, "node_load1", "1m load average.", "gauge");
  out += "node_load1 0.42\n";
  family(out, "node_uname_info", "Labeled system information as provided by the uname system call.", "gauge");
  out.append("node_uname_info{domainname=\"(none)\",machine=\"x86_64\",nodename=\"").append(host)
      .append("\",release=\"6.1.0-18-amd64\",sysname=\"Linux\",version=\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\"} 1\n");
}

std::vector<Fs> full_host_filesystems() {
  return {
      {"/dev/sda1", "/", "ext4", 40 * kGiB, 17 * kGiB, 19 * kGiB, 2'621'440, 2'101'233},
      {"/dev/sdb1", "/var/www", "xfs", 100 * kGiB, 4 * kGiB, 4 * kGiB, 52'428'800, 50'112'004},
      {"/dev/sda15", "/boot/efi", "vfat", 129'718'272, 123'508'736, 123'508'736, 0, 0},
      {"tmpfs", "/run", "tmpfs", 838'860'800, 837'812'224, 837'812'224, 1'024'000, 1'023'100},
      {"tmpfs", "/dev/shm", "tmpfs", 4 * kGiB, 4 * kGiB, 4 * kGiB, 1'024'000, 1'023'999},
      {"overlay", "/var/lib/docker/overlay2/3f1c0a9b/merged", "overlay", 40 * kGiB, 400 * kMiB,
       0.5 * kGiB, 2'621'440, 2'101'233},
      {"/dev/loop3", "/snap/core20/2105", "squashfs", 67'108'864, 0, 0, 11'950, 0, true},
      {"nas:/backup", "/mnt/backup", "nfs4", 0, 0, 0, 0, 0, false, "mountpoint timeout"},
  };
}

/// Free space of the filling host's database volume `elapsed` after the estate started; it
/// falls steadily and starts over when 95 % of it is gone (a sawtooth, so the demo never
/// ends up at zero).
double filling_free(double elapsed_seconds) {
  double used = std::fmod(elapsed_seconds * kFillingBytesPerSecond, kFillingStartFree * 0.95);
  return std::floor(kFillingStartFree - used);
}

std::string filling_exposition(double elapsed_seconds) {
  double free = filling_free(elapsed_seconds);
  std::vector<Fs> fss = {
      {"/dev/nvme0n1p2", "/", "ext4", 50 * kGiB, 30 * kGiB, 32 * kGiB, 3'276'800, 2'900'000},
      {"/dev/nvme1n1", "/var/lib/mysql", "xfs", 500 * kGiB, free, free, 262'144'000, 262'000'000},
      {"tmpfs", "/run", "tmpfs", 838'860'800, 837'812'224, 837'812'224, 1'024'000, 1'023'100},
  };
  std::string out;
  render_preamble(out);
  render_filesystems(out, fss);
  render_trailer(out, "db1");
  return out;
}

std::string render_payload(size_t n) {
  static const char* kModes[] = {"idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"};
  std::string out;
  render_preamble(out);
  family(out, "node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", "counter");
  for (size_t c = 0; c < n; ++c)
    for (size_t m = 0; m < 8; ++m)
      out.append("node_cpu_seconds_total{cpu=\"").append(std::to_string(c)).append("\",mode=\"")
          .append(kModes[m]).append("\"} ").append(num(123456.78 * (m + 1) + double(c) * 0.01)).append("\n");
  family(out, "node_disk_read_bytes_total", "The total number of bytes read successfully.", "counter");
  for (size_t d = 0; d < n; ++d)
    out.append("node_disk_read_bytes_total{device=\"sd").append(std::to_string(d)).append("\"} ")
        .append(num(1.234567e10 + double(d) * 4096)).append("\n");
  std::vector<Fs> fss;
  for (size_t i = 0; i < n; ++i) {
    std::string id = std::to_string(i);
    fss.emplace_back("/dev/mapper/vg0-vol" + id, "/srv/vol" + id, i % 7 == 3 ? "tmpfs" : "ext4",
                   107'374'182'400.0, 4.2e10 + double(i) * 4096, 4.5e10 + double(i) * 4096,
                     6'553'600, 6'000'000 - double(i));
  }
  render_filesystems(out, fss);
  family(out, "node_network_receive_bytes_total", "Network device statistic receive_bytes.", "counter");
  for (size_t i = 0; i < n; ++i)
    out.append("node_network_receive_bytes_total{device=\"veth").append(std::to_string(i))
        .append("\"} ").append(num(9.87654321e9 + double(i))).append("\n");
  family(out, "node_schedstat_running_seconds_total", "Number of seconds CPU spent running a process.", "counter");
  for (size_t c = 0; c < n; ++c)
    out.append("node_schedstat_running_seconds_total{cpu=\"").append(std::to_string(c)).append("\"} ")
        .append(num(81234.567891 + double(c))).append("\n");
  render_trailer(out, "bench");
  return out;
}

std::string response_head(size_t content_length) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
         "Content-Length: " + std::to_string(content_length) + "\r\nConnection: close\r\n\r\n";
}

std::string simple_response(std::string_view status, std::string_view type, std::string_view body) {
  return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

enum class Kind { full, filling, malformed, huge };

/// 100 MiB of valid exposition, one shared 64 KiB block at a time; stops when the client
/// hangs up (a probe with a size limit does that early).
asio::awaitable<void> stream_huge(HttpListeners& l, beast::tcp_stream& stream) {
  static const std::string block = [] {
    std::string p = render_payload(48);
    p.resize(std::min(p.size(), size_t(64) << 10));
    p.resize(p.rfind('\n') + 1);  // whole lines only
    return p;
  }();
  size_t blocks = (kHugeBytes + block.size() - 1) / block.size();
  if (!co_await l.write(stream, response_head(blocks * block.size()))) co_return;
  for (size_t i = 0; i < blocks; ++i)
    if (!co_await l.write(stream, block)) co_return;
}

asio::awaitable<void> answer(HttpListeners& l, beast::tcp_stream& stream, std::string_view path,
                             Kind kind, std::chrono::steady_clock::time_point started) {
  if (path == "/") {
    co_await l.write(stream, simple_response("200 OK", "text/html; charset=utf-8",
                                             "<html><head><title>Node Exporter</title></head><body>"
                                             "<h1>Node Exporter</h1><p><a href=\"/metrics\">Metrics</a>"
                                             "</p></body></html>\n"));
  } else if (path != "/metrics") {
    co_await l.write(stream, simple_response("404 Not Found", "text/plain; charset=utf-8",
                                             "404 page not found\n"));
  } else if (kind == Kind::huge) {
    co_await stream_huge(l, stream);
  } else {
    std::string body;
    switch (kind) {
      case Kind::full: body = node_exporter_full_exposition(); break;
      case Kind::malformed: body = node_exporter_malformed_exposition(); break;
      default:
        body = filling_exposition(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    co_await l.write(stream, response_head(body.size()) + body);
  }
}

}  // namespace

std::string node_exporter_full_exposition() {
  static const std::string text = [] {
    std::string out;
    render_preamble(out);
    render_filesystems(out, full_host_filesystems());
    render_trailer(out, "web1");
    return out;
  }();
  return text;
}

std::string node_exporter_malformed_exposition() {
  std::string text = node_exporter_full_exposition();
  // Without go_goroutines' HELP and TYPE, line 12 is /var/www's avail_bytes sample; its value
  // becomes something no float parser accepts ("line 12: bad value").
  for (std::string_view drop : {"# HELP go_goroutines ", "# TYPE go_goroutines "}) {
    size_t at = text.find(drop);
    text.erase(at, text.find('\n', at) + 1 - at);
  }
  size_t start = 0;
  for (int line = 1; line < 12; ++line) start = text.find('\n', start) + 1;
  size_t end = text.find('\n', start);
  size_t space = text.rfind(' ', end);
  text.replace(space + 1, end - space - 1, "4.2e+09x");
  return text;
}

std::string node_exporter_payload(size_t min_bytes) {
  size_t n = 16;
  std::string out = render_payload(n);
  while (out.size() < min_bytes) {
    double per = double(out.size()) / double(n);
    n = std::max(n + 1, static_cast<size_t>(double(min_bytes) / per * 1.02) + 1);
    out = render_payload(n);
  }
  return out;
}

void start_node_exporter(Estate& estate) {
  static const std::pair<const char*, Kind> kHosts[] = {
      {"node_exporter_full", Kind::full},
      {"node_exporter_filling", Kind::filling},
      {"node_exporter_malformed", Kind::malformed},
      {"node_exporter_huge", Kind::huge}};
  auto listeners = HttpListeners::create(estate, kMaxConnections);
  auto started = std::chrono::steady_clock::now();
  std::weak_ptr<HttpListeners> weak = listeners;
  uint16_t offset = 70;
  for (const auto& [name, kind] : kHosts) {
    Kind k = kind;
    std::string url = listeners->listen(
        offset++, [weak, k, started](beast::tcp_stream& stream,
                                     std::string_view path) -> asio::awaitable<void> {
          if (auto l = weak.lock()) co_await answer(*l, stream, path, k, started);
        });
    estate.add_endpoint(name, url + "/metrics");
  }
}

}  // namespace lookout::estate
