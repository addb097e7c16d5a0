// libFuzzer target: our DNS answer handling — the wire parser (net/dns_message.h) and
// what the DNS and DNSBL probes make of a reply (rcode, answers, assertions, list codes, TXT
// reasons). Whatever the bytes: no crash, no exception, bounded output.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "probes/dns_probe.h"
#include "probes/dnsbl_probe.h"
#include "net/dns_message.h"
#include "net/resolver.h"

using namespace lookout::probes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  std::string error;
  auto msg = net::parse_dns_message(bytes, &error);
  if (msg.has_value() == !error.empty()) std::abort();  // a message or a reason, never both
  if (msg) {
    size_t total = 0;
    for (const auto* section : {&msg->answers, &msg->authority, &msg->additional})
      for (const auto& r : *section) total += r.value().size() + r.name.size();
    // Names expand through compression pointers (at most 255 octets each, ~4 chars per
    // escaped octet); nothing else can grow beyond the input.
    if (total > 64 * size + 4096) std::abort();
  }

  net::DnsAnswer answer;
  answer.raw.assign(data, data + size);
  answer.rcode = size >= 4 ? data[3] & 0xF : -1;

  static const std::vector<uint16_t> kTypes = {
      net::dns_type::kA,   net::dns_type::kAaaa, net::dns_type::kCname, net::dns_type::kMx,
      net::dns_type::kNs,  net::dns_type::kTxt,  net::dns_type::kSoa};
  DnsCheck check;
  check.name = "example.com";
  check.type = kTypes[size % kTypes.size()];
  check.expect = {"192.0.2.1"};
  check.txt_contains = {"v=spf1"};
  Result r = evaluate_dns_answer(check, answer, 0.01);
  if (r.summary.empty() || r.summary.size() > 2000) std::abort();
  (void)r.to_json().dump();

  static const DnsblList zen = dnsbl_list_for_zone("zen.spamhaus.org", false);
  static const DnsblList dbl = dnsbl_list_for_zone("dbl.spamhaus.org", true);
  for (const auto* list : {&zen, &dbl}) {
    DnsblEntry e = classify_dnsbl_answer(*list, "192.0.2.1", answer);
    if (e.codes.size() > 32) std::abort();
    (void)e.to_json().dump();
  }
  if (dnsbl_txt_reason(answer).size() > 400) std::abort();
  return 0;
}
