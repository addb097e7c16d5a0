#include "net/resolver.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>

#include <boost/asio/async_result.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lookout::net {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::once_flag g_ares_init;

std::string ares_error_text(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return "NXDOMAIN";
    case ARES_ENODATA: return "no records of that type";
    case ARES_ESERVFAIL: return "SERVFAIL";
    case ARES_EREFUSED: return "REFUSED";
    case ARES_ETIMEOUT: return "timeout";
    case ARES_EFORMERR: return "FORMERR";
    case ARES_EBADRESP: return "malformed response";
    case ARES_ECONNREFUSED: return "connection refused by DNS server";
    default: return ares_strerror(status);
  }
}

// One c-ares channel with its sockets watched by Asio. Lives on one executor.
class Channel : public std::enable_shared_from_this<Channel> {
 public:
  Channel(asio::any_io_executor ex, const ResolverOptions& opts,
          const std::vector<std::string>& servers)
      : ex_(ex), timer_(ex) {
    std::call_once(g_ares_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options o{};
    // NOCHECKRESP: hand SERVFAIL/REFUSED replies to the caller (the dns probe reports the
    // rcode) instead of treating them as an unreachable server. A large receive buffer keeps
    // bursts of DNSBL answers from being dropped by the kernel.
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
               ARES_OPT_SOCK_RCVBUF;
    o.flags = ARES_FLAG_NOCHECKRESP;
    o.socket_receive_buffer_size = 4 << 20;
    o.sock_state_cb = &Channel::on_sock_state;
    o.sock_state_cb_data = this;
    o.timeout = static_cast<int>(opts.query_timeout.count());
    o.tries = opts.tries;
    int rc = ares_init_options(&channel_, &o, mask);
    if (rc != ARES_SUCCESS) throw std::runtime_error(std::string("c-ares init: ") + ares_strerror(rc));
    if (!servers.empty()) {
      std::string csv;
      for (const auto& s : servers) csv += (csv.empty() ? "" : ",") + s;
      rc = ares_set_servers_ports_csv(channel_, csv.c_str());
      if (rc != ARES_SUCCESS)
        throw std::runtime_error("bad DNS server list '" + csv + "': " + ares_strerror(rc));
    }
  }
  ~Channel() {
    destroying_ = true;
    ares_destroy(channel_);  // runs pending callbacks with ARES_EDESTRUCTION
    for (auto& [fd, w] : watches_) w->desc.release();
  }
  ares_channel get() { return channel_; }

  // Called after every ares_* call that may have queued work.
  void rearm_timer() {
    timeval max{5, 0}, tv{};
    timeval* t = ares_timeout(channel_, &max, &tv);
    if (!t) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(t->tv_sec) + std::chrono::microseconds(t->tv_usec));
    std::weak_ptr<Channel> weak = weak_from_this();
    timer_.async_wait([weak](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->rearm_timer();
    });
  }

 private:
  struct Watch {
    explicit Watch(asio::any_io_executor ex, int fd) : desc(ex, fd), fd(fd) {}
    asio::posix::stream_descriptor desc;
    int fd;
    bool want_read = false, want_write = false, reading = false, writing = false, closed = false;
  };

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Channel*>(data)->update(fd, readable != 0, writable != 0);
  }

  void update(int fd, bool readable, bool writable) {
    if (destroying_) return;
    auto it = watches_.find(fd);
    if (!readable && !writable) {
      if (it != watches_.end()) {
        it->second->closed = true;
        it->second->desc.release();  // c-ares owns and closes the fd
        watches_.erase(it);
      }
      return;
    }
    if (it == watches_.end()) it = watches_.emplace(fd, std::make_shared<Watch>(ex_, fd)).first;
    it->second->want_read = readable;
    it->second->want_write = writable;
    arm(it->second);
  }

  void arm(const std::shared_ptr<Watch>& w) {
    std::weak_ptr<Channel> weak = weak_from_this();
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_read,
                         [weak, w](boost::system::error_code ec) {
                           w->reading = false;
                           auto self = weak.lock();
                           if (ec || w->closed || !self) return;
                           ares_process_fd(self->channel_, w->fd, ARES_SOCKET_BAD);
                           if (!w->closed) self->arm(w);
                           self->rearm_timer();
                         });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_write,
                         [weak, w](boost::system::error_code ec) {
                           w->writing = false;
                           auto self = weak.lock();
                           if (ec || w->closed || !self) return;
                           ares_process_fd(self->channel_, ARES_SOCKET_BAD, w->fd);
                           if (!w->closed) self->arm(w);
                           self->rearm_timer();
                         });
    }
  }

  asio::any_io_executor ex_;
  ares_channel channel_ = nullptr;
  asio::steady_timer timer_;
  std::map<int, std::shared_ptr<Watch>> watches_;
  bool destroying_ = false;
};

// A pending operation completes once: by c-ares' callback or by its deadline timer.
template <typename T>
struct Pending {
  explicit Pending(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  std::function<void(T)> complete;
  bool done = false;
  void finish(T value) {
    if (done) return;
    done = true;
    timer.cancel();
    auto fn = std::move(complete);
    fn(std::move(value));
  }
};

}  // namespace

std::optional<asio::ip::address> parse_ip(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  auto a = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

struct Resolver::Impl {
  struct CacheEntry {
    ResolveResult result;
    Clock::time_point expires;
    std::list<std::string>::iterator lru;
  };

  Impl(asio::any_io_executor e, ResolverOptions o) : ex(e), opts(std::move(o)) {
    main = std::make_shared<Channel>(ex, opts, opts.servers);
  }

  std::shared_ptr<Channel> channel_for(const std::vector<std::string>& servers) {
    if (servers.empty()) return main;
    std::string key;
    for (const auto& s : servers) key += s + ",";
    auto it = overrides.find(key);
    if (it != overrides.end()) return it->second;
    if (overrides.size() > 64) overrides.clear();  // bounded: lists come from config
    auto ch = std::make_shared<Channel>(ex, opts, servers);
    overrides.emplace(key, ch);
    return ch;
  }

  void cache_put(const std::string& key, const ResolveResult& r, std::chrono::seconds ttl) {
    if (ttl.count() <= 0 || opts.cache_max_entries == 0) return;
    auto it = cache.find(key);
    if (it != cache.end()) {
      lru.erase(it->second.lru);
      cache.erase(it);
    }
    while (cache.size() >= opts.cache_max_entries && !lru.empty()) {
      cache.erase(lru.back());
      lru.pop_back();
    }
    lru.push_front(key);
    cache.emplace(key, CacheEntry{r, Clock::now() + ttl, lru.begin()});
  }

  asio::any_io_executor ex;
  ResolverOptions opts;
  std::shared_ptr<Channel> main;
  std::map<std::string, std::shared_ptr<Channel>> overrides;
  std::unordered_map<std::string, CacheEntry> cache;
  std::list<std::string> lru;
  std::atomic<uint64_t> hits{0}, misses{0};
};

Resolver::Resolver(asio::any_io_executor executor, ResolverOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(options))) {}

Resolver::~Resolver() = default;

ResolverStats Resolver::stats() const { return {impl_->hits.load(), impl_->misses.load()}; }
const ResolverOptions& Resolver::options() const { return impl_->opts; }

namespace {

// A call does not own its channel: the channel belongs to the resolver, and destroying it
// (ares_destroy) completes every pending call with ARES_EDESTRUCTION, which frees the call.
struct GaiCall {
  std::shared_ptr<Pending<ResolveResult>> pending;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
  std::unique_ptr<GaiCall> call(static_cast<GaiCall*>(arg));
  ResolveResult r;
  if (status == ARES_SUCCESS && res) {
    int min_ttl = -1;
    for (auto* n = res->nodes; n; n = n->ai_next) {
      if (n->ai_family == AF_INET) {
        auto* sa = reinterpret_cast<sockaddr_in*>(n->ai_addr);
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), &sa->sin_addr, 4);
        r.addresses.emplace_back(asio::ip::address_v4(b));
      } else if (n->ai_family == AF_INET6) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(n->ai_addr);
        asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), &sa->sin6_addr, 16);
        r.addresses.emplace_back(asio::ip::address_v6(b));
      }
      if (min_ttl < 0 || n->ai_ttl < min_ttl) min_ttl = n->ai_ttl;
    }
    r.ttl_seconds = std::max(0, min_ttl);
    r.ok = !r.addresses.empty();
    if (!r.ok) r.error = "no addresses";
  } else {
    r.error = ares_error_text(status);
    r.timed_out = status == ARES_ETIMEOUT;
  }
  if (res) ares_freeaddrinfo(res);
  call->pending->finish(std::move(r));
}

struct QueryCall {
  std::shared_ptr<Pending<DnsAnswer>> pending;
};

void on_query(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  std::unique_ptr<QueryCall> call(static_cast<QueryCall*>(arg));
  DnsAnswer a;
  a.ares_status = status;
  a.timed_out = status == ARES_ETIMEOUT;
  if (abuf && alen > 0) {
    a.raw.assign(abuf, abuf + alen);
    if (alen >= 4) a.rcode = abuf[3] & 0x0f;
  }
  if (status != ARES_SUCCESS) a.error = ares_error_text(status);
  call->pending->finish(std::move(a));
}

}  // namespace

asio::awaitable<ResolveResult> Resolver::resolve(std::string host, AddressFamily family,
                                                 Clock::time_point deadline) {
  if (auto ip = parse_ip(host)) {
    ResolveResult r;
    r.ok = true;
    r.addresses.push_back(*ip);
    co_return r;
  }
  auto impl = impl_;
  std::string key = host + (family == AddressFamily::v4 ? "|4" : family == AddressFamily::v6 ? "|6" : "|*");
  auto it = impl->cache.find(key);
  if (it != impl->cache.end()) {
    if (it->second.expires > Clock::now()) {
      impl->hits++;
      impl->lru.splice(impl->lru.begin(), impl->lru, it->second.lru);
      ResolveResult r = it->second.result;
      r.from_cache = true;
      co_return r;
    }
    impl->lru.erase(it->second.lru);
    impl->cache.erase(it);
  }
  impl->misses++;

  auto channel = impl->main;
  auto pending = std::make_shared<Pending<ResolveResult>>(impl->ex);
  ResolveResult result = co_await asio::async_initiate<decltype(asio::use_awaitable),
                                                       void(ResolveResult)>(
      [&](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto ex = impl->ex;
        pending->complete = [h, ex](ResolveResult r) {
          asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
        };
        pending->timer.expires_at(deadline);
        pending->timer.async_wait([pending](boost::system::error_code ec) {
          if (ec) return;
          ResolveResult r;
          r.timed_out = true;
          r.error = "timeout";
          pending->finish(std::move(r));
        });
        ares_addrinfo_hints hints{};
        hints.ai_family = family == AddressFamily::v4 ? AF_INET
                          : family == AddressFamily::v6 ? AF_INET6 : AF_UNSPEC;
        hints.ai_flags = ARES_AI_NOSORT;
        auto* call = new GaiCall{pending};
        ares_getaddrinfo(channel->get(), host.c_str(), nullptr, &hints, &on_addrinfo, call);
        channel->rearm_timer();
      },
      asio::use_awaitable);
  if (result.ok) {
    impl->cache_put(key, result,
                    std::min<std::chrono::seconds>(impl->opts.max_ttl,
                                                   std::chrono::seconds(result.ttl_seconds)));
  } else if (result.error == "NXDOMAIN") {
    impl->cache_put(key, result, impl->opts.negative_ttl);
  }
  co_return result;
}

asio::awaitable<DnsAnswer> Resolver::query(std::string name, int type, Clock::time_point deadline,
                                           std::vector<std::string> servers) {
  auto impl = impl_;
  std::shared_ptr<Channel> channel;
  try {
    channel = impl->channel_for(servers);
  } catch (const std::exception& e) {
    DnsAnswer a;
    a.ares_status = ARES_EBADSTR;
    a.error = e.what();
    co_return a;
  }
  auto pending = std::make_shared<Pending<DnsAnswer>>(impl->ex);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(DnsAnswer)>(
      [&](auto handler) {
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto ex = impl->ex;
        pending->complete = [h, ex](DnsAnswer a) {
          asio::post(ex, [h, a = std::move(a)]() mutable { (*h)(std::move(a)); });
        };
        pending->timer.expires_at(deadline);
        pending->timer.async_wait([pending](boost::system::error_code ec) {
          if (ec) return;
          DnsAnswer a;
          a.ares_status = ARES_ETIMEOUT;
          a.timed_out = true;
          a.error = "timeout";
          pending->finish(std::move(a));
        });
        ares_query(channel->get(), name.c_str(), ns_c_in, type, &on_query,
                   new QueryCall{pending});
        channel->rearm_timer();
      },
      asio::use_awaitable);
}

}  // namespace lookout::net
