// DNS wire format (RFC 1035): a bounds-checked parser for replies and a small writer for
// queries and answers (used by the estate's DNS server and the tests). The parser never trusts
// a length or a pointer from the packet: every read is checked, compression pointers must point
// strictly backwards and are counted, names are capped at 255 octets. It is a fuzz target.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace lookout::net {

namespace dns_type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kOpt = 41;
}  // namespace dns_type

namespace dns_rcode {
inline constexpr int kNoError = 0;
inline constexpr int kFormErr = 1;
inline constexpr int kServFail = 2;
inline constexpr int kNxDomain = 3;
inline constexpr int kNotImp = 4;
inline constexpr int kRefused = 5;
}  // namespace dns_rcode

/// "A", "MX", ... ; "TYPE65" for types without a mnemonic.
std::string dns_type_name(uint16_t type);
/// Case-insensitive; accepts "TYPEnnn". nullopt when unknown.
std::optional<uint16_t> dns_type_from_name(std::string_view name);
/// "NOERROR", "NXDOMAIN", ... ; "RCODE11" otherwise.
std::string dns_rcode_name(int rcode);
std::optional<int> dns_rcode_from_name(std::string_view name);

struct DnsSoa {
  std::string mname, rname;
  uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

struct DnsRecord {
  std::string name;  // owner, lower-case, no trailing dot ("" = root)
  uint16_t type = 0;
  uint16_t klass = 1;
  uint32_t ttl = 0;
  // Typed data; which fields are set depends on `type`.
  std::optional<boost::asio::ip::address> address;  // A, AAAA
  std::string target;                               // CNAME, NS, PTR, MX exchange
  uint16_t preference = 0;                          // MX
  std::vector<std::string> txt;                     // TXT character-strings, in order
  DnsSoa soa;                                       // SOA
  size_t rdlength = 0;
  /// Presentation form of the data: "192.0.2.1", "10 mail.example.com", the TXT strings
  /// concatenated (as SPF/DMARC readers do), "mname rname serial refresh retry expire min".
  std::string value() const;
};

struct DnsQuestion {
  std::string name;
  uint16_t type = 0;
  uint16_t klass = 1;
};

struct DnsMessage {
  uint16_t id = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  int opcode = 0;
  int rcode = 0;
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authority, additional;
  /// EDNS UDP payload size from an OPT record in the additional section (0 = no EDNS).
  uint16_t edns_udp_size = 0;

  /// Answer records of `type` (in order).
  std::vector<const DnsRecord*> answers_of(uint16_t type) const;
};

/// Parses a whole message. On failure returns nullopt and says why in `error`
/// ("truncated answer section", "compression loop", ...).
std::optional<DnsMessage> parse_dns_message(std::span<const uint8_t> data,
                                            std::string* error = nullptr);

/// Record data as safe text for facts, summaries and logs (valid ASCII, so JSON can carry it):
/// bytes outside printable ASCII become \DDD, as dig prints them; a backslash becomes "\\".
std::string dns_printable(std::string_view data);

/// Lower-cases and strips one trailing dot: the canonical form names are compared in.
std::string canonical_dns_name(std::string_view name);

/// Builds DNS messages. Names are written uncompressed; invalid names (label > 63 octets,
/// name > 255) make ok() false.
class DnsWriter {
 public:
  struct Header {
    uint16_t id = 0;
    bool qr = false, aa = false, tc = false, rd = true, ra = false;
    int opcode = 0;
    int rcode = 0;
  };
  explicit DnsWriter(const Header& header);

  void question(std::string_view name, uint16_t type, uint16_t klass = 1);
  // Records go to the section currently open: answer, then authority, then additional.
  void begin_authority() { section_ = 2; }
  void begin_additional() { section_ = 3; }
  void a(std::string_view name, uint32_t ttl, const boost::asio::ip::address_v4& address);
  void aaaa(std::string_view name, uint32_t ttl, const boost::asio::ip::address_v6& address);
  /// CNAME, NS, PTR: one domain name as the data.
  void name_record(std::string_view name, uint16_t type, uint32_t ttl, std::string_view target);
  void mx(std::string_view name, uint32_t ttl, uint16_t preference, std::string_view exchange);
  /// Each string is one character-string (must be <= 255 octets, else ok() turns false).
  void txt(std::string_view name, uint32_t ttl, const std::vector<std::string>& strings);
  void soa(std::string_view name, uint32_t ttl, const DnsSoa& soa);
  /// Any record with raw data.
  void raw_record(std::string_view name, uint16_t type, uint32_t ttl,
                  std::span<const uint8_t> rdata);
  /// An OPT pseudo-record announcing `udp_size` (goes to the additional section).
  void edns(uint16_t udp_size);

  bool ok() const { return ok_; }
  /// The message so far (counts patched into the header).
  std::vector<uint8_t> finish() const;

 private:
  void put16(uint16_t v);
  void put32(uint32_t v);
  void put_name(std::string_view name);
  void begin_record(std::string_view name, uint16_t type, uint16_t klass, uint32_t ttl);
  void end_record();
  void count_record();

  std::vector<uint8_t> buf_;
  uint16_t counts_[4] = {0, 0, 0, 0};
  int section_ = 1;
  size_t rdlength_at_ = 0;
  bool ok_ = true;
};

struct DnsAnswer;  // resolver.h

/// What a resolver's raw answer amounts to: a parsed reply, or why there is none.
struct DnsOutcome {
  enum Kind { reply, timeout, malformed, failed } kind = failed;
  /// From the reply header, or implied by the resolver's status (c-ares reports SERVFAIL and
  /// REFUSED without the reply); -1 when unknown.
  int rcode = -1;
  std::optional<DnsMessage> message;  // set for `reply`
  std::string error;                  // why, for timeout/malformed/failed
};
DnsOutcome read_dns_answer(const DnsAnswer& answer);

/// A query message: one question, RD set, optional EDNS payload size (0 = no OPT record).
std::vector<uint8_t> build_dns_query(uint16_t id, std::string_view name, uint16_t type,
                                     uint16_t edns_udp_size = 0);

}  // namespace lookout::net
