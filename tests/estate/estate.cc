#include "tests/estate/estate.h"

#include <cstdlib>
#include <filesystem>
#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "tests/estate/cert_factory.h"

namespace lookout::estate {

Estate::Estate(EstateOptions options) : options_(std::move(options)) {
  if (options_.work_dir.empty()) {
    std::string templ = (std::filesystem::temp_directory_path() / "lookout-estate-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("estate: cannot create a work directory");
    options_.work_dir = templ;
  }
  std::filesystem::create_directories(options_.work_dir);
}

Estate::~Estate() { stop(); }

CertFactory& Estate::certs() {
  std::lock_guard lock(mutex_);
  if (!certs_) certs_ = std::make_unique<CertFactory>(options_.work_dir);
  return *certs_;
}

void Estate::close_on_stop(boost::asio::any_io_executor executor, std::function<void()> close) {
  on_stop([executor, close = std::move(close)] {
    auto done = std::make_shared<std::promise<void>>();
    auto finished = done->get_future();
    boost::asio::post(executor, [close, done] {
      close();
      done->set_value();
    });
    // Bounded: stop() must not hang if the io_context is no longer running.
    finished.wait_for(std::chrono::seconds(2));
  });
}

std::string Estate::host_port(uint16_t port) const {
  const std::string& a = options_.address;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

void Estate::start() {
  if (started_) return;
  started_ = true;
  // Port offsets from base_port (demo mode): http 0-19, tls 20-59, dns 60-69,
  // node_exporter 70-79, cms 80-119, rdap 120-129, sinks 130-149.
  start_http_sites(*this);
  start_dns_server(*this);
  start_tls_endpoints(*this);
  start_node_exporter(*this);
  start_cms_sites(*this);
  start_rdap(*this);
  for (int i = 0; i < std::max(1, options_.threads); ++i)
    threads_.emplace_back([this] { io_.run(); });
}

void Estate::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& fn : stop_hooks_) fn();
  io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  components_.clear();
}

std::string Estate::endpoint(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = endpoints_.find(name);
  if (it == endpoints_.end()) throw std::out_of_range("estate has no endpoint '" + name + "'");
  return it->second;
}

std::map<std::string, std::string> Estate::endpoints() const {
  std::lock_guard lock(mutex_);
  return endpoints_;
}

void Estate::add_endpoint(const std::string& name, const std::string& value) {
  std::lock_guard lock(mutex_);
  endpoints_[name] = value;
}

}  // namespace lookout::estate
