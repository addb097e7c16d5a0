#include "net/dns_message.h"

#include <ares.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "net/resolver.h"

namespace lookout::net {
namespace {

struct TypeName {
  uint16_t type;
  std::string_view name;
};
constexpr std::array<TypeName, 9> kTypeNames{{{dns_type::kA, "A"},
                                              {dns_type::kNs, "NS"},
                                              {dns_type::kCname, "CNAME"},
                                              {dns_type::kSoa, "SOA"},
                                              {dns_type::kPtr, "PTR"},
                                              {dns_type::kMx, "MX"},
                                              {dns_type::kTxt, "TXT"},
                                              {dns_type::kAaaa, "AAAA"},
                                              {dns_type::kOpt, "OPT"}}};
constexpr std::array<std::string_view, 6> kRcodeNames{"NOERROR",  "FORMERR", "SERVFAIL",
                                                      "NXDOMAIN", "NOTIMP",  "REFUSED"};

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameLength = 255;  // octets on the wire, RFC 1035 2.3.4
constexpr int kMaxPointerHops = 64;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<uint32_t> parse_suffix_number(std::string_view text, std::string_view prefix) {
  if (text.size() <= prefix.size() || !iequals(text.substr(0, prefix.size()), prefix))
    return std::nullopt;
  uint32_t v = 0;
  auto digits = text.substr(prefix.size());
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// Reads from the message with bounds checks; any failure sets `error` and stays failed.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t pos() const { return pos_; }
  void seek(size_t p) { pos_ = p; }
  size_t size() const { return data_.size(); }

  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }
  bool need(size_t n, std::string_view what) {
    if (failed()) return false;
    if (n > data_.size() || pos_ > data_.size() - n) {
      fail("truncated " + std::string(what));
      return false;
    }
    return true;
  }
  uint8_t u8(std::string_view what) {
    if (!need(1, what)) return 0;
    return data_[pos_++];
  }
  uint16_t u16(std::string_view what) {
    if (!need(2, what)) return 0;
    uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32(std::string_view what) {
    if (!need(4, what)) return 0;
    uint32_t v = uint32_t{data_[pos_]} << 24 | uint32_t{data_[pos_ + 1]} << 16 |
                 uint32_t{data_[pos_ + 2]} << 8 | uint32_t{data_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::span<const uint8_t> bytes(size_t n, std::string_view what) {
    if (!need(n, what)) return {};
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  // A possibly compressed name starting at pos_; pos_ ends after the name's in-place part.
  // Each pointer must point before the previous jump target, so a loop cannot exist, and the
  // hop count is capped as a second guard.
  std::string name(std::string_view what) {
    std::string out;
    if (failed()) return out;
    size_t p = pos_;
    size_t limit = pos_;  // a pointer must point strictly before this
    size_t after = 0;     // where reading continues once the name is done
    bool jumped = false;
    size_t wire_length = 1;  // the root label
    for (int hops = 0;;) {
      if (p >= data_.size()) {
        fail("truncated " + std::string(what));
        return {};
      }
      uint8_t len = data_[p];
      if ((len & 0xC0) == 0xC0) {
        if (p + 1 >= data_.size()) {
          fail("truncated " + std::string(what));
          return {};
        }
        size_t target = static_cast<size_t>(len & 0x3F) << 8 | data_[p + 1];
        if (target >= limit || ++hops > kMaxPointerHops) {
          fail("compression loop in " + std::string(what));
          return {};
        }
        if (!jumped) after = p + 2;
        jumped = true;
        limit = target;
        p = target;
        continue;
      }
      if (len & 0xC0) {
        fail("unsupported label type in " + std::string(what));
        return {};
      }
      if (len == 0) {
        if (!jumped) after = p + 1;
        break;
      }
      if (p + 1 + len > data_.size()) {
        fail("truncated " + std::string(what));
        return {};
      }
      wire_length += 1 + len;
      if (wire_length > kMaxNameLength) {
        fail("name longer than 255 octets in " + std::string(what));
        return {};
      }
      if (!out.empty()) out.push_back('.');
      for (size_t i = 0; i < len; ++i) append_label_char(out, data_[p + 1 + i]);
      p += 1 + len;
    }
    pos_ = after;
    return out;
  }

 private:
  static void append_label_char(std::string& out, uint8_t c) {
    // Lower-case; escape what would make the presentation form ambiguous (dig's \DDD style).
    if (c == '.' || c == '\\' || c <= 0x20 || c >= 0x7f) {
      char buf[5];
      buf[0] = '\\';
      buf[1] = static_cast<char>('0' + c / 100);
      buf[2] = static_cast<char>('0' + c / 10 % 10);
      buf[3] = static_cast<char>('0' + c % 10);
      out.append(buf, 4);
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::string error_;
};

void parse_rdata(Reader& r, DnsRecord& rec, size_t end, std::string_view section) {
  std::string what = std::string(section) + " " + dns_type_name(rec.type) + " record";
  auto name_in_rdata = [&] {
    std::string n = r.name(what);
    if (!r.failed() && r.pos() > end) r.fail(what + " data overruns its length");
    return n;
  };
  switch (rec.type) {
    case dns_type::kA: {
      if (rec.rdlength != 4) return r.fail(what + " has length " + std::to_string(rec.rdlength));
      auto b = r.bytes(4, what);
      if (r.failed()) return;
      boost::asio::ip::address_v4::bytes_type v4;
      std::copy(b.begin(), b.end(), v4.begin());
      rec.address = boost::asio::ip::address_v4(v4);
      break;
    }
    case dns_type::kAaaa: {
      if (rec.rdlength != 16) return r.fail(what + " has length " + std::to_string(rec.rdlength));
      auto b = r.bytes(16, what);
      if (r.failed()) return;
      boost::asio::ip::address_v6::bytes_type v6;
      std::copy(b.begin(), b.end(), v6.begin());
      rec.address = boost::asio::ip::address_v6(v6);
      break;
    }
    case dns_type::kCname:
    case dns_type::kNs:
    case dns_type::kPtr:
      rec.target = name_in_rdata();
      break;
    case dns_type::kMx:
      if (rec.rdlength < 3) return r.fail(what + " too short");
      rec.preference = r.u16(what);
      rec.target = name_in_rdata();
      break;
    case dns_type::kTxt:
      if (rec.rdlength == 0) return r.fail(what + " is empty");
      while (!r.failed() && r.pos() < end) {
        uint8_t len = r.u8(what);
        if (r.pos() + len > end) return r.fail(what + " string overruns the record");
        auto b = r.bytes(len, what);
        rec.txt.emplace_back(b.begin(), b.end());
      }
      break;
    case dns_type::kSoa:
      rec.soa.mname = name_in_rdata();
      rec.soa.rname = name_in_rdata();
      if (r.failed()) return;
      if (end - r.pos() != 20) return r.fail(what + " has a bad length");
      rec.soa.serial = r.u32(what);
      rec.soa.refresh = r.u32(what);
      rec.soa.retry = r.u32(what);
      rec.soa.expire = r.u32(what);
      rec.soa.minimum = r.u32(what);
      break;
    default:
      break;  // skipped below
  }
  if (r.failed()) return;
  if (r.pos() != end) {
    if (rec.type == dns_type::kA || rec.type == dns_type::kAaaa || rec.type == dns_type::kMx ||
        rec.type == dns_type::kCname || rec.type == dns_type::kNs || rec.type == dns_type::kPtr ||
        rec.type == dns_type::kSoa || rec.type == dns_type::kTxt)
      return r.fail(what + " has trailing data");
    r.seek(end);
  }
}

void parse_section(Reader& r, uint16_t count, std::vector<DnsRecord>& out,
                   std::string_view section, DnsMessage& msg) {
  // Each record needs at least 11 octets; never reserve more than the packet could hold.
  out.reserve(std::min<size_t>(count, r.size() / 11));
  for (uint16_t i = 0; i < count && !r.failed(); ++i) {
    DnsRecord rec;
    rec.name = r.name(std::string(section) + " record name");
    rec.type = r.u16(section);
    rec.klass = r.u16(section);
    rec.ttl = r.u32(section);
    rec.rdlength = r.u16(section);
    if (r.failed()) return;
    if (rec.rdlength > r.size() - r.pos()) {
      r.fail("truncated " + std::string(section) + " " + dns_type_name(rec.type) + " record data");
      return;
    }
    size_t end = r.pos() + rec.rdlength;
    if (rec.type == dns_type::kOpt) {
      msg.edns_udp_size = rec.klass;
      r.seek(end);
      continue;  // a pseudo-record: not data
    }
    parse_rdata(r, rec, end, section);
    if (r.failed()) return;
    out.push_back(std::move(rec));
  }
}

}  // namespace

std::string dns_type_name(uint16_t type) {
  for (const auto& t : kTypeNames)
    if (t.type == type) return std::string(t.name);
  return "TYPE" + std::to_string(type);
}

std::optional<uint16_t> dns_type_from_name(std::string_view name) {
  for (const auto& t : kTypeNames)
    if (iequals(t.name, name)) return t.type;
  auto n = parse_suffix_number(name, "TYPE");
  if (n && *n <= 0xFFFF) return static_cast<uint16_t>(*n);
  return std::nullopt;
}

std::string dns_rcode_name(int rcode) {
  if (rcode >= 0 && rcode < static_cast<int>(kRcodeNames.size()))
    return std::string(kRcodeNames[static_cast<size_t>(rcode)]);
  return "RCODE" + std::to_string(rcode);
}

std::optional<int> dns_rcode_from_name(std::string_view name) {
  for (size_t i = 0; i < kRcodeNames.size(); ++i)
    if (iequals(kRcodeNames[i], name)) return static_cast<int>(i);
  auto n = parse_suffix_number(name, "RCODE");
  if (n && *n <= 4095) return static_cast<int>(*n);
  return std::nullopt;
}

std::string dns_printable(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (char ch : data) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c > 0x7e) {
      char buf[5] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                     static_cast<char>('0' + c % 10), 0};
      out += buf;
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string canonical_dns_name(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string DnsRecord::value() const {
  switch (type) {
    case dns_type::kA:
    case dns_type::kAaaa:
      return address ? address->to_string() : std::string();
    case dns_type::kCname:
    case dns_type::kNs:
    case dns_type::kPtr:
      return target.empty() ? "." : target;
    case dns_type::kMx:  // "0 ." is a null MX (RFC 7505): the domain accepts no mail
      return std::to_string(preference) + " " + (target.empty() ? "." : target);
    case dns_type::kTxt: {
      std::string s;
      for (const auto& part : txt) s += part;
      return s;
    }
    case dns_type::kSoa:
      return soa.mname + " " + soa.rname + " " + std::to_string(soa.serial) + " " +
             std::to_string(soa.refresh) + " " + std::to_string(soa.retry) + " " +
             std::to_string(soa.expire) + " " + std::to_string(soa.minimum);
    default:
      return "\\# " + std::to_string(rdlength);
  }
}

std::vector<const DnsRecord*> DnsMessage::answers_of(uint16_t type) const {
  std::vector<const DnsRecord*> out;
  for (const auto& r : answers)
    if (r.type == type) out.push_back(&r);
  return out;
}

std::optional<DnsMessage> parse_dns_message(std::span<const uint8_t> data, std::string* error) {
  auto failed = [&](const std::string& why) -> std::optional<DnsMessage> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (data.size() < kHeaderSize)
    return failed("message shorter than a DNS header (" + std::to_string(data.size()) + " bytes)");
  Reader r(data);
  DnsMessage msg;
  msg.id = r.u16("header");
  uint16_t flags = r.u16("header");
  msg.qr = flags & 0x8000;
  msg.opcode = (flags >> 11) & 0xF;
  msg.aa = flags & 0x0400;
  msg.tc = flags & 0x0200;
  msg.rd = flags & 0x0100;
  msg.ra = flags & 0x0080;
  msg.rcode = flags & 0xF;
  uint16_t qd = r.u16("header"), an = r.u16("header"), ns = r.u16("header"),
           ar = r.u16("header");
  msg.questions.reserve(std::min<size_t>(qd, data.size() / 5));
  for (uint16_t i = 0; i < qd && !r.failed(); ++i) {
    DnsQuestion q;
    q.name = r.name("question name");
    q.type = r.u16("question");
    q.klass = r.u16("question");
    if (!r.failed()) msg.questions.push_back(std::move(q));
  }
  parse_section(r, an, msg.answers, "answer", msg);
  parse_section(r, ns, msg.authority, "authority", msg);
  parse_section(r, ar, msg.additional, "additional", msg);
  if (r.failed()) return failed(r.error());
  return msg;
}

// ---- writer ----

DnsWriter::DnsWriter(const Header& h) {
  buf_.reserve(512);
  put16(h.id);
  uint16_t flags = static_cast<uint16_t>((h.qr ? 0x8000 : 0) | (h.opcode & 0xF) << 11 |
                                         (h.aa ? 0x0400 : 0) | (h.tc ? 0x0200 : 0) |
                                         (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) |
                                         (h.rcode & 0xF));
  put16(flags);
  for (int i = 0; i < 4; ++i) put16(0);
}

void DnsWriter::put16(uint16_t v) {
  buf_.push_back(static_cast<uint8_t>(v >> 8));
  buf_.push_back(static_cast<uint8_t>(v));
}

void DnsWriter::put32(uint32_t v) {
  put16(static_cast<uint16_t>(v >> 16));
  put16(static_cast<uint16_t>(v));
}

void DnsWriter::put_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  size_t wire = 1;
  while (!name.empty()) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      ok_ = false;
      return;
    }
    wire += 1 + label.size();
    buf_.push_back(static_cast<uint8_t>(label.size()));
    buf_.insert(buf_.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
    if (name.empty()) ok_ = false;  // "a..": empty label
  }
  if (wire > kMaxNameLength) ok_ = false;
  buf_.push_back(0);
}

void DnsWriter::question(std::string_view name, uint16_t type, uint16_t klass) {
  put_name(name);
  put16(type);
  put16(klass);
  ++counts_[0];
}

void DnsWriter::count_record() { ++counts_[section_]; }

void DnsWriter::begin_record(std::string_view name, uint16_t type, uint16_t klass, uint32_t ttl) {
  put_name(name);
  put16(type);
  put16(klass);
  put32(ttl);
  rdlength_at_ = buf_.size();
  put16(0);
  count_record();
}

void DnsWriter::end_record() {
  size_t len = buf_.size() - rdlength_at_ - 2;
  if (len > 0xFFFF) {
    ok_ = false;
    return;
  }
  buf_[rdlength_at_] = static_cast<uint8_t>(len >> 8);
  buf_[rdlength_at_ + 1] = static_cast<uint8_t>(len);
}

void DnsWriter::a(std::string_view name, uint32_t ttl, const boost::asio::ip::address_v4& address) {
  begin_record(name, dns_type::kA, 1, ttl);
  auto b = address.to_bytes();
  buf_.insert(buf_.end(), b.begin(), b.end());
  end_record();
}

void DnsWriter::aaaa(std::string_view name, uint32_t ttl,
                     const boost::asio::ip::address_v6& address) {
  begin_record(name, dns_type::kAaaa, 1, ttl);
  auto b = address.to_bytes();
  buf_.insert(buf_.end(), b.begin(), b.end());
  end_record();
}

void DnsWriter::name_record(std::string_view name, uint16_t type, uint32_t ttl,
                            std::string_view target) {
  begin_record(name, type, 1, ttl);
  put_name(target);
  end_record();
}

void DnsWriter::mx(std::string_view name, uint32_t ttl, uint16_t preference,
                   std::string_view exchange) {
  begin_record(name, dns_type::kMx, 1, ttl);
  put16(preference);
  put_name(exchange);
  end_record();
}

void DnsWriter::txt(std::string_view name, uint32_t ttl, const std::vector<std::string>& strings) {
  begin_record(name, dns_type::kTxt, 1, ttl);
  for (const auto& s : strings) {
    if (s.size() > 255) {
      ok_ = false;
      continue;
    }
    buf_.push_back(static_cast<uint8_t>(s.size()));
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  end_record();
}

void DnsWriter::soa(std::string_view name, uint32_t ttl, const DnsSoa& s) {
  begin_record(name, dns_type::kSoa, 1, ttl);
  put_name(s.mname);
  put_name(s.rname);
  put32(s.serial);
  put32(s.refresh);
  put32(s.retry);
  put32(s.expire);
  put32(s.minimum);
  end_record();
}

void DnsWriter::raw_record(std::string_view name, uint16_t type, uint32_t ttl,
                           std::span<const uint8_t> rdata) {
  begin_record(name, type, 1, ttl);
  buf_.insert(buf_.end(), rdata.begin(), rdata.end());
  end_record();
}

void DnsWriter::edns(uint16_t udp_size) {
  int saved = section_;
  section_ = 3;
  begin_record("", dns_type::kOpt, udp_size, 0);
  end_record();
  section_ = saved;
}

std::vector<uint8_t> DnsWriter::finish() const {
  std::vector<uint8_t> out = buf_;
  for (int i = 0; i < 4; ++i) {
    out[4 + 2 * i] = static_cast<uint8_t>(counts_[i] >> 8);
    out[5 + 2 * i] = static_cast<uint8_t>(counts_[i]);
  }
  return out;
}

DnsOutcome read_dns_answer(const DnsAnswer& answer) {
  DnsOutcome out;
  if (!answer.raw.empty()) {
    std::string why;
    out.message = parse_dns_message(answer.raw, &why);
    if (!out.message) {
      out.kind = DnsOutcome::malformed;
      out.error = "malformed DNS reply: " + why;
      return out;
    }
    out.kind = DnsOutcome::reply;
    out.rcode = out.message->rcode;
    return out;
  }
  if (answer.timed_out || answer.ares_status == ARES_ETIMEOUT) {
    out.kind = DnsOutcome::timeout;
    out.error = "timeout";
    return out;
  }
  switch (answer.ares_status) {
    case ARES_ESERVFAIL: out.rcode = dns_rcode::kServFail; break;
    case ARES_EREFUSED: out.rcode = dns_rcode::kRefused; break;
    case ARES_ENOTIMP: out.rcode = dns_rcode::kNotImp; break;
    case ARES_EFORMERR: out.rcode = dns_rcode::kFormErr; break;
    case ARES_ENOTFOUND: out.rcode = dns_rcode::kNxDomain; break;
    case ARES_EBADRESP:
      out.kind = DnsOutcome::malformed;
      out.error = "malformed DNS reply";
      return out;
    default: break;
  }
  out.kind = DnsOutcome::failed;
  out.error = answer.error.empty() ? "DNS query failed" : answer.error;
  if (out.rcode >= 0) out.error = dns_rcode_name(out.rcode);
  return out;
}

std::vector<uint8_t> build_dns_query(uint16_t id, std::string_view name, uint16_t type,
                                     uint16_t edns_udp_size) {
  DnsWriter::Header h;
  h.id = id;
  h.rd = true;
  DnsWriter w(h);
  w.question(name, type);
  if (edns_udp_size) w.edns(edns_udp_size);
  return w.finish();
}

}  // namespace lookout::net
