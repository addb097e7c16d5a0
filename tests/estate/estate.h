// estate::Estate: a fake client estate served on loopback, for tests, the demo and benchmarks.
// Components (HTTP sites, TLS endpoints, DNS/DNSBL server, node_exporter, CMS sites, RDAP, sink
// receivers) each live in their own file and are started from estate.cc's one list.
// Lifetime: start() spawns a thread running the io_context; stop()/destructor joins it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v4.hpp>

namespace lookout::estate {

class CertFactory;

struct EstateOptions {
  std::string address = "127.0.0.1";
  /// 0 = every listener on an ephemeral port (tests). Otherwise component ports are
  /// base_port + a fixed offset per component (see port_offsets in estate.cc) so the demo
  /// config can name them.
  uint16_t base_port = 0;
  /// Where generated files go (CA and certificates, zone files). Created if missing;
  /// empty = a fresh directory under /tmp.
  std::string work_dir;
  int threads = 1;
};

class Estate {
 public:
  explicit Estate(EstateOptions options);
  ~Estate();
  Estate(const Estate&) = delete;
  Estate& operator=(const Estate&) = delete;

  /// Starts every component. Throws std::runtime_error when a listener cannot be opened.
  void start();
  void stop();

  /// Named endpoints: "http" -> "http://127.0.0.1:PORT", "dns" -> "127.0.0.1:PORT", ...
  std::string endpoint(const std::string& name) const;  // throws std::out_of_range
  std::map<std::string, std::string> endpoints() const;

  // ---- for components ----
  boost::asio::io_context& io() { return io_; }
  const EstateOptions& options() const { return options_; }
  /// The port a component should bind: base_port + offset, or 0 (ephemeral) in test mode.
  uint16_t port(uint16_t offset) const {
    return options_.base_port ? static_cast<uint16_t>(options_.base_port + offset) : 0;
  }
  void add_endpoint(const std::string& name, const std::string& value);
  /// Keeps a component's state alive until the estate stops.
  void keep(std::shared_ptr<void> component) { components_.push_back(std::move(component)); }
  /// Runs at stop() before the io_context stops (close acceptors, kill child processes).
  void on_stop(std::function<void()> fn) { stop_hooks_.push_back(std::move(fn)); }
  /// At stop(): runs `close` on `executor` (the component's strand, so it may touch the
  /// component's sockets) and waits for it, at most 2 s.
  void close_on_stop(boost::asio::any_io_executor executor, std::function<void()> close);
  /// "ADDRESS:PORT" for this estate's listen address ("[::1]:PORT" for IPv6).
  std::string host_port(uint16_t port) const;
  const std::string& work_dir() const { return options_.work_dir; }
  /// The estate's one CA (cert_factory.h): every component issues its certificates here so
  /// work_dir/ca.pem (endpoint "ca_file") verifies all of them. Use from start_xxx only.
  CertFactory& certs();

 private:
  EstateOptions options_;
  boost::asio::io_context io_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> endpoints_;
  std::vector<std::shared_ptr<void>> components_;
  std::vector<std::function<void()>> stop_hooks_;
  std::unique_ptr<CertFactory> certs_;
  bool started_ = false;
};

// Components: each file defines one start function; estate.cc calls them in order.
void start_http_sites(Estate& estate);  // http_sites.cc: healthy, error codes, hostile HTTP
void start_dns_server(Estate& estate);  // dns_server.cc: fake zone, DNSBL zones, hostile DNS
void start_tls_endpoints(Estate& estate);  // tls_endpoints.cc: one port per certificate fault, SMTP STARTTLS
void start_node_exporter(Estate& estate);  // node_exporter.cc: full, filling, malformed, huge hosts
void start_cms_sites(Estate& estate);  // cms_sites.cc: CMS sites exposing version markers, release feeds
void start_rdap(Estate& estate);  // rdap.cc: RDAP registry (expiring, expired, 404, garbage, huge, slow)
/// dns_server.cc: whether the DNSBL zones list this address of the benchmark range 198.18.0.0/15.
bool dns_server_bench_listed(const boost::asio::ip::address_v4& ip);
// Later components add their line here and in estate.cc (TLS faults, DNS, node_exporter, CMS,
// RDAP, sink receivers).

}  // namespace lookout::estate
