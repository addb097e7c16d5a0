// The estate's DNS server: authoritative, UDP and TCP on one port of 127.0.0.1 (endpoint
// "dns" = "127.0.0.1:PORT"). It serves
//  - a fake zone (estate.test, spammy.test): A/AAAA/CNAME/MX/NS/TXT/SOA, NODATA, NXDOMAIN;
//  - hostile names under estate.test: silent (never answers), wrongid (reply with another id),
//    malformed (compression loop in the answer), cutoff (reply cut mid-record, no TC bit),
//    truncated (TC over UDP, the answer over TCP), hugetxt (a ~51 KB TXT, over TCP),
//    servfail, refused;
//  - DNSBL zones (IP lists: the default lists' names, bl.estate.test, bl0..bl9.estate.test;
//    domain lists: dbl.spamhaus.org, dbl.estate.test) with listed codes, several codes for one
//    address, the refusal codes 127.255.255.252/254/255, an answer outside 127/8, SERVFAIL and
//    timeouts, plus whole zones that refuse (refused.bl.estate.test), fail
//    (servfail.bl.estate.test) or never answer (silent.bl.estate.test);
//  - a benchmark range: 198.18.0.0/15 is listed (127.0.0.2) iff its last octet % 10 == 2
//    (see dns_server_bench_listed in estate.h).
// UDP answers honour 512 octets (or the EDNS size) and set TC when larger, like a real server.
// Everything runs on one strand; zone data is immutable after construction.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/dns_message.h"
#include "tests/estate/estate.h"

namespace lookout::estate {
namespace {

namespace asio = boost::asio;

namespace type = net::dns_type;
using asio::ip::address_v4;
using asio::ip::address_v6;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr uint32_t kTtl = 60;
constexpr size_t kMaxTcpConnections = 512;
constexpr auto kTcpIdleTimeout = 10s;

const net::DnsSoa kSoa{"ns1.estate.test", "hostmaster.estate.test", 2026010101, 3600, 600,
                       604800, 60};

struct Rr {
  uint16_t type = 0;
  std::string target;                 // CNAME/NS/MX exchange
  uint16_t preference = 0;            // MX
  std::optional<asio::ip::address> address;
  std::vector<std::string> txt;
};

std::vector<std::string> huge_txt() { return std::vector<std::string>(200, std::string(255, 'h')); }

// A DNSBL answer for one query name.
struct BlAnswer {
  enum Kind { nxdomain, answer, servfail, silent, nodata } kind = nxdomain;
  std::vector<address_v4> codes;
  std::string txt;
};

bool ends_with_label(std::string_view name, std::string_view zone, std::string_view& prefix) {
  if (name == zone) {
    prefix = {};
    return true;
  }
  if (name.size() > zone.size() + 1 && name.ends_with(zone) &&
      name[name.size() - zone.size() - 1] == '.') {
    prefix = name.substr(0, name.size() - zone.size() - 1);
    return true;
  }
  return false;
}

// "99.2.0.192" -> 192.0.2.99; 32 nibbles -> IPv6; else nullopt.
std::optional<asio::ip::address> reversed_ip(std::string_view prefix) {
  std::vector<std::string_view> labels;
  for (size_t start = 0; start <= prefix.size();) {
    size_t dot = prefix.find('.', start);
    if (dot == std::string_view::npos) dot = prefix.size();
    labels.push_back(prefix.substr(start, dot - start));
    start = dot + 1;
  }
  if (labels.size() == 4) {
    std::array<unsigned char, 4> b{};
    for (size_t i = 0; i < 4; ++i) {
      auto l = labels[3 - i];
      if (l.empty() || l.size() > 3) return std::nullopt;
      unsigned v = 0;
      for (char c : l) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (v > 255) return std::nullopt;
      b[i] = static_cast<unsigned char>(v);
    }
    return address_v4(b);
  }
  if (labels.size() == 32) {
    address_v6::bytes_type b{};
    for (size_t i = 0; i < 32; ++i) {
      auto l = labels[31 - i];
      if (l.size() != 1 || !std::isxdigit(static_cast<unsigned char>(l[0]))) return std::nullopt;
      unsigned v = static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(l[0]))
                                             ? l[0] - '0'
                                             : std::tolower(l[0]) - 'a' + 10);
      b[i / 2] = static_cast<unsigned char>(b[i / 2] | (i % 2 == 0 ? v << 4 : v));
    }
    return address_v6(b);
  }
  return std::nullopt;
}

class DnsServer : public std::enable_shared_from_this<DnsServer> {
 public:
  DnsServer(Estate& estate)
      : strand_(asio::make_strand(estate.io())), udp_(strand_), acceptor_(strand_) {
    build_zone();
  }

  void open(const std::string& address, uint16_t port) {
    auto ip = asio::ip::make_address(address);
    // UDP and TCP on the same port: with an ephemeral port, take UDP's and retry on a clash.
    for (int attempt = 0;; ++attempt) {
      boost::system::error_code ec;
      udp_ = udp::socket(strand_);
      udp_.open(ip.is_v4() ? udp::v4() : udp::v6());
      udp_.bind(udp::endpoint(ip, port));
      acceptor_ = tcp::acceptor(strand_);
      acceptor_.open(ip.is_v4() ? tcp::v4() : tcp::v6());
      acceptor_.set_option(tcp::acceptor::reuse_address(true));
      acceptor_.bind(tcp::endpoint(ip, udp_.local_endpoint().port()), ec);
      if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
      if (!ec) break;
      if (port != 0 || attempt >= 20)
        throw std::runtime_error("dns server: cannot listen on TCP port " +
                                 std::to_string(udp_.local_endpoint().port()) + ": " +
                                 ec.message());
    }
    // A deep receive queue so a burst of benchmark queries is not dropped by the kernel.
    int size = 8 << 20;
    setsockopt(udp_.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    setsockopt(udp_.native_handle(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    udp_.non_blocking(true);
  }

  uint16_t port() const { return udp_.local_endpoint().port(); }

  void start() {
    auto self = shared_from_this();
    asio::co_spawn(strand_, [self]() { return self->udp_loop(); }, asio::detached);
    asio::co_spawn(strand_, [self]() { return self->accept_loop(); }, asio::detached);
  }

  void close_all() {
    stopped_ = true;
    boost::system::error_code ec;
    udp_.close(ec);
    acceptor_.close(ec);
    for (auto* s : tcp_) s->close(ec);
  }

  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }

  /// The reply to `query` (nullopt: stay silent).
  std::optional<std::vector<uint8_t>> answer(std::span<const uint8_t> query, bool over_tcp) const;

 private:
  asio::awaitable<void> udp_loop();
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> tcp_session(tcp::socket socket);

  void build_zone();
  void add(const std::string& name, Rr rr) { zone_[name].push_back(std::move(rr)); }
  BlAnswer ip_list_answer(std::string_view zone, std::string_view prefix) const;
  BlAnswer domain_list_answer(std::string_view prefix) const;
  std::optional<std::vector<uint8_t>> dnsbl_reply(const net::DnsWriter::Header& h,
                                                  const net::DnsQuestion& q,
                                                  std::string_view zone, std::string_view prefix,
                                                  bool domain_list) const;

  asio::strand<asio::io_context::executor_type> strand_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  std::set<tcp::socket*> tcp_;
  bool stopped_ = false;
  std::map<std::string, std::vector<Rr>> zone_;
  std::vector<std::string> apexes_ = {"estate.test", "spammy.test"};
  std::vector<std::string> ip_lists_;
  std::vector<std::string> domain_lists_ = {"dbl.spamhaus.org", "dbl.estate.test"};
};

void DnsServer::build_zone() {
  auto a = [](const char* ip) {
    auto addr = asio::ip::make_address(ip);
    return Rr{addr.is_v4() ? type::kA : type::kAaaa, {}, 0, addr, {}};
  };
  auto ns = [](const char* t) { return Rr{type::kNs, t, 0, std::nullopt, {}}; };
  for (const auto& apex : apexes_) {
    add(apex, ns("ns1.estate.test"));
    add(apex, ns("ns2.estate.test"));
  }
  add("estate.test", a("127.0.0.1"));
  add("estate.test", a("::1"));
  add("estate.test", Rr{type::kMx, "mail.estate.test", 10, std::nullopt, {}});
  add("estate.test", Rr{type::kMx, "mx2.estate.test", 20, std::nullopt, {}});
  add("estate.test", Rr{type::kTxt, {}, 0, std::nullopt, {"v=spf1 ip4:127.0.0.0/8 -all"}});
  add("estate.test", Rr{type::kTxt, {}, 0, std::nullopt, {"estate-verification=lookout"}});
  add("www.estate.test", Rr{type::kCname, "estate.test", 0, std::nullopt, {}});
  add("mail.estate.test", a("127.0.0.25"));
  add("mx2.estate.test", a("127.0.0.26"));
  add("ns1.estate.test", a("127.0.0.53"));
  add("ns2.estate.test", a("127.0.0.54"));
  add("listed.estate.test", a("127.0.0.2"));  // RFC 5782 test address: listed everywhere
  add("multi.estate.test", a("192.0.2.99"));   // listed with two codes
  add("hugetxt.estate.test", Rr{type::kTxt, {}, 0, std::nullopt, huge_txt()});
  add("truncated.estate.test", a("127.0.0.1"));
  add("spammy.test", a("127.0.0.1"));  // a domain on the domain lists
  add("www.spammy.test", a("127.0.0.1"));

  ip_lists_ = {"zen.spamhaus.org", "b.barracudacentral.org", "bl.spamcop.net", "psbl.surriel.com",
               "bl.mailspike.net", "bl.estate.test",        "refused.bl.estate.test",
               "servfail.bl.estate.test", "silent.bl.estate.test"};
  for (int i = 0; i < 10; ++i) ip_lists_.push_back("bl" + std::to_string(i) + ".estate.test");
  // Longest zone first, so refused.bl.estate.test is not taken for bl.estate.test.
  std::sort(ip_lists_.begin(), ip_lists_.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

BlAnswer DnsServer::ip_list_answer(std::string_view zone, std::string_view prefix) const {
  BlAnswer out;
  if (zone == "silent.bl.estate.test") return {BlAnswer::silent, {}, {}};
  if (zone == "servfail.bl.estate.test") return {BlAnswer::servfail, {}, {}};
  if (zone == "refused.bl.estate.test")
    return {BlAnswer::answer, {address_v4({127, 255, 255, 254})}, {}};
  auto ip = reversed_ip(prefix);
  if (!ip) return out;
  auto listed = [&](std::vector<address_v4> codes) {
    out.kind = BlAnswer::answer;
    out.codes = std::move(codes);
    out.txt = "Listed by " + std::string(zone) + ", see https://" + std::string(zone) +
              "/query/ip/" + ip->to_string();
    return out;
  };
  if (ip->is_v6()) {
    if (*ip == asio::ip::make_address("2001:db8::99")) return listed({address_v4({127, 0, 0, 2})});
    return out;
  }
  uint32_t v = ip->to_v4().to_uint();
  auto is = [&](const char* text) { return v == asio::ip::make_address_v4(text).to_uint(); };
  if (is("127.0.0.2")) return listed({address_v4({127, 0, 0, 2})});
  if (is("192.0.2.99")) return listed({address_v4({127, 0, 0, 2}), address_v4({127, 0, 0, 4})});
  if (is("192.0.2.4")) return listed({address_v4({127, 0, 0, 4})});
  if (is("192.0.2.10")) return listed({address_v4({127, 0, 0, 10})});
  if (is("198.51.100.252")) return {BlAnswer::answer, {address_v4({127, 255, 255, 252})}, {}};
  if (is("198.51.100.254")) return {BlAnswer::answer, {address_v4({127, 255, 255, 254})}, {}};
  if (is("198.51.100.255")) return {BlAnswer::answer, {address_v4({127, 255, 255, 255})}, {}};
  if (is("198.51.100.1")) return {BlAnswer::answer, {address_v4({203, 0, 113, 1})}, {}};
  if (is("198.51.100.2")) return {BlAnswer::servfail, {}, {}};
  if (is("198.51.100.3")) return {BlAnswer::silent, {}, {}};
  if (is("198.51.100.4")) return {BlAnswer::nodata, {}, {}};
  if (dns_server_bench_listed(ip->to_v4())) return listed({address_v4({127, 0, 0, 2})});
  return out;
}

BlAnswer DnsServer::domain_list_answer(std::string_view prefix) const {
  BlAnswer out;
  if (reversed_ip(prefix) && reversed_ip(prefix)->is_v4())
    return {BlAnswer::answer, {address_v4({127, 0, 1, 255})}, {}};  // IP sent to a domain list
  auto listed = [&](address_v4 code) {
    out.kind = BlAnswer::answer;
    out.codes = {code};
    out.txt = "https://www.spamhaus.org/query/domain/" + std::string(prefix);
    return out;
  };
  std::string_view sub;
  if (prefix == "test" || prefix == "dbltest.com" || ends_with_label(prefix, "spammy.test", sub))
    return listed(address_v4({127, 0, 1, 2}));
  if (prefix == "phish.example") return listed(address_v4({127, 0, 1, 4}));
  return out;
}

std::optional<std::vector<uint8_t>> DnsServer::dnsbl_reply(const net::DnsWriter::Header& base,
                                                           const net::DnsQuestion& q,
                                                           std::string_view zone,
                                                           std::string_view prefix,
                                                           bool domain_list) const {
  auto h = base;
  if (prefix.empty()) {  // the zone apex
    net::DnsWriter w(h);
    w.question(q.name, q.type);
    if (q.type == type::kSoa) w.soa(zone, kTtl, kSoa);
    if (q.type == type::kNs) w.name_record(zone, type::kNs, kTtl, "ns1.estate.test");
    if (q.type != type::kSoa && q.type != type::kNs) {
      w.begin_authority();
      w.soa(zone, kTtl, kSoa);
    }
    return w.finish();
  }
  BlAnswer bl = domain_list ? domain_list_answer(prefix) : ip_list_answer(zone, prefix);
  if (bl.kind == BlAnswer::silent) return std::nullopt;
  if (bl.kind == BlAnswer::servfail) {
    h.rcode = net::dns_rcode::kServFail;
    net::DnsWriter w(h);
    w.question(q.name, q.type);
    return w.finish();
  }
  if (bl.kind == BlAnswer::nxdomain) h.rcode = net::dns_rcode::kNxDomain;
  net::DnsWriter w(h);
  w.question(q.name, q.type);
  bool any = false;
  if (bl.kind == BlAnswer::answer && q.type == type::kA) {
    for (const auto& c : bl.codes) w.a(q.name, kTtl, c);
    any = true;
  }
  if (bl.kind == BlAnswer::answer && q.type == type::kTxt && !bl.txt.empty()) {
    w.txt(q.name, kTtl, {bl.txt});
    any = true;
  }
  if (!any) {
    w.begin_authority();
    w.soa(zone, kTtl, kSoa);
  }
  return w.finish();
}

std::optional<std::vector<uint8_t>> DnsServer::answer(std::span<const uint8_t> query,
                                                      bool over_tcp) const {
  auto msg = net::parse_dns_message(query);
  net::DnsWriter::Header h;
  h.qr = true;
  h.aa = true;
  if (!msg) {
    if (query.size() < 12) return std::nullopt;
    h.id = static_cast<uint16_t>(query[0] << 8 | query[1]);
    h.rcode = net::dns_rcode::kFormErr;
    return net::DnsWriter(h).finish();
  }
  if (msg->qr) return std::nullopt;  // never answer an answer
  h.id = msg->id;
  h.rd = msg->rd;
  h.opcode = msg->opcode;
  if (msg->opcode != 0 || msg->questions.size() != 1) {
    h.rcode = msg->opcode != 0 ? net::dns_rcode::kNotImp : net::dns_rcode::kFormErr;
    return net::DnsWriter(h).finish();
  }
  const auto& q = msg->questions[0];
  const std::string& name = q.name;
  size_t udp_limit = std::clamp<size_t>(msg->edns_udp_size, 512, 4096);

  std::optional<std::vector<uint8_t>> reply;
  std::string_view prefix;
  for (const auto& zone : ip_lists_)
    if (ends_with_label(name, zone, prefix)) {
      reply = dnsbl_reply(h, q, zone, prefix, false);
      if (!reply) return std::nullopt;
      break;
    }
  if (!reply)
    for (const auto& zone : domain_lists_)
      if (ends_with_label(name, zone, prefix)) {
        reply = dnsbl_reply(h, q, zone, prefix, true);
        if (!reply) return std::nullopt;
        break;
      }

  if (!reply) {
    const std::string* apex = nullptr;
    for (const auto& z : apexes_)
      if (ends_with_label(name, z, prefix)) apex = &z;
    if (!apex) {
      h.aa = false;
      h.rcode = net::dns_rcode::kRefused;  // not our zone
      net::DnsWriter w(h);
      w.question(name, q.type);
      return w.finish();
    }
    if (name == "silent.estate.test") return std::nullopt;
    if (name == "servfail.estate.test" || name == "refused.estate.test") {
      h.rcode = name[0] == 's' ? net::dns_rcode::kServFail : net::dns_rcode::kRefused;
      net::DnsWriter w(h);
      w.question(name, q.type);
      return w.finish();
    }
    if (name == "truncated.estate.test" && !over_tcp) {
      h.tc = true;  // the answer is only given over TCP
      net::DnsWriter w(h);
      w.question(name, q.type);
      return w.finish();
    }
    if (name == "wrongid.estate.test") h.id = static_cast<uint16_t>(h.id ^ 0x5a5a);
    if (name == "malformed.estate.test") {
      net::DnsWriter w(h);
      w.question(name, q.type);
      // An answer whose owner name is a compression pointer to itself.
      auto bytes = w.finish();
      uint16_t at = static_cast<uint16_t>(bytes.size());
      bytes.insert(bytes.end(), {static_cast<uint8_t>(0xC0 | at >> 8), static_cast<uint8_t>(at),
                                 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1});
      bytes[7] = 1;  // ANCOUNT
      return bytes;
    }

    auto it = zone_.find(name);
    net::DnsWriter w(h);
    w.question(name, q.type);
    std::string owner = name;
    bool any = false;
    if (name == "cutoff.estate.test") {
      w.a(name, kTtl, address_v4({127, 0, 0, 1}));
      auto bytes = w.finish();
      bytes.resize(bytes.size() - 3);  // cut mid-record, TC not set
      return bytes;
    }
    // Follow one CNAME inside the zone, as an authoritative server does.
    if (it != zone_.end() && q.type != type::kCname && !it->second.empty() &&
        it->second[0].type == type::kCname) {
      w.name_record(name, type::kCname, kTtl, it->second[0].target);
      any = true;
      owner = it->second[0].target;
      it = zone_.find(owner);
    }
    if (it != zone_.end()) {
      for (const auto& rr : it->second) {
        if (rr.type != q.type) continue;
        any = true;
        switch (rr.type) {
          case type::kA: w.a(owner, kTtl, rr.address->to_v4()); break;
          case type::kAaaa: w.aaaa(owner, kTtl, rr.address->to_v6()); break;
          case type::kMx: w.mx(owner, kTtl, rr.preference, rr.target); break;
          case type::kTxt: w.txt(owner, kTtl, rr.txt); break;
          default: w.name_record(owner, rr.type, kTtl, rr.target); break;
        }
      }
    }
    if (q.type == type::kSoa && owner == *apex) {
      w.soa(*apex, kTtl, kSoa);
      any = true;
    }
    bool exists = it != zone_.end() || owner == *apex ||
                  name == "hugetxt.estate.test" || name == "truncated.estate.test";
    if (!any) {
      if (!exists) {
        auto nx = h;
        nx.rcode = net::dns_rcode::kNxDomain;
        net::DnsWriter nw(nx);
        nw.question(name, q.type);
        nw.begin_authority();
        nw.soa(*apex, kTtl, kSoa);
        return nw.finish();
      }
      w.begin_authority();
      w.soa(*apex, kTtl, kSoa);
    }
    reply = w.finish();
  }
  if (!over_tcp && reply->size() > udp_limit) {
    h.tc = true;
    net::DnsWriter w(h);
    w.question(name, q.type);
    return w.finish();
  }
  return reply;
}

asio::awaitable<void> DnsServer::udp_loop() {
  std::vector<uint8_t> buf(65536);
  udp::endpoint from;
  while (!stopped_) {
    auto [ec] = co_await udp_.async_wait(udp::socket::wait_read, kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped_) co_return;
      continue;
    }
    // Drain everything queued before waiting again (cheaper than one wait per datagram).
    for (int i = 0; i < 256; ++i) {
      boost::system::error_code rec;
      size_t n = udp_.receive_from(asio::buffer(buf), from, 0, rec);
      if (rec) break;
      auto reply = answer(std::span(buf.data(), n), false);
      if (reply) udp_.send_to(asio::buffer(*reply), from, 0, rec);  // a full queue drops it
    }
  }
}

asio::awaitable<void> DnsServer::accept_loop() {
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopped_) co_return;
      continue;
    }
    if (tcp_.size() >= kMaxTcpConnections) continue;  // dropped: closes the socket
    auto self = shared_from_this();
    asio::co_spawn(
        strand_, [self, s = std::move(socket)]() mutable { return self->tcp_session(std::move(s)); },
        asio::detached);
  }
}

asio::awaitable<void> DnsServer::tcp_session(tcp::socket socket) {
  tcp_.insert(&socket);
  asio::steady_timer idle(strand_);
  std::vector<uint8_t> msg;
  for (;;) {
    std::array<uint8_t, 2> len{};
    idle.expires_after(kTcpIdleTimeout);
    auto r = co_await (asio::async_read(socket, asio::buffer(len), kUseTuple) ||
                       idle.async_wait(kUseTuple));
    if (r.index() != 0 || std::get<0>(std::get<0>(r))) break;
    msg.resize(static_cast<size_t>(len[0] << 8 | len[1]));
    idle.expires_after(kTcpIdleTimeout);
    auto r2 = co_await (asio::async_read(socket, asio::buffer(msg), kUseTuple) ||
                        idle.async_wait(kUseTuple));
    if (r2.index() != 0 || std::get<0>(std::get<0>(r2))) break;
    auto reply = answer(msg, true);
    if (!reply) continue;  // silent: the client times out
    std::array<uint8_t, 2> out_len{static_cast<uint8_t>(reply->size() >> 8),
                                   static_cast<uint8_t>(reply->size())};
    std::array<asio::const_buffer, 2> bufs{asio::buffer(out_len), asio::buffer(*reply)};
    idle.expires_after(kTcpIdleTimeout);
    auto w = co_await (asio::async_write(socket, bufs, kUseTuple) || idle.async_wait(kUseTuple));
    if (w.index() != 0 || std::get<0>(std::get<0>(w))) break;
  }
  tcp_.erase(&socket);
  boost::system::error_code ec;
  socket.close(ec);
}

}  // namespace

bool dns_server_bench_listed(const boost::asio::ip::address_v4& ip) {
  uint32_t v = ip.to_uint();
  return (v & 0xFFFE0000u) == 0xC6120000u && (v & 0xFF) % 10 == 2;  // 198.18.0.0/15
}

void start_dns_server(Estate& estate) {
  auto server = std::make_shared<DnsServer>(estate);
  server->open(estate.options().address, estate.port(60));
  server->start();
  estate.add_endpoint("dns", estate.host_port(server->port()));
  estate.keep(server);
  estate.close_on_stop(server->strand(), [server] { server->close_all(); });
}

}  // namespace lookout::estate
