// The DNSBL list table (codes, query names, config) and the DNSBL probe against the estate's
// DNS server (tests/estate/dns_server.cc) through the real c-ares resolver.
#include "probes/dnsbl_probe.h"

#include <gtest/gtest.h>

#include "net/dns_message.h"
#include "tests/probes/dns_test_support.h"

namespace lookout::probes {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using nlohmann::json;

// ---- the list table ----

DnsblMeaning meaning(const DnsblList& list, const char* code) {
  return classify_dnsbl_code(list, make_address(code)).meaning;
}

TEST(DnsblLists, SpamhausCodes) {
  auto zen = dnsbl_list_for_zone("zen.spamhaus.org", false);
  EXPECT_EQ(meaning(zen, "127.0.0.2"), DnsblMeaning::listed);
  EXPECT_NE(classify_dnsbl_code(zen, make_address("127.0.0.4")).reason.find("XBL"),
            std::string::npos);
  EXPECT_NE(classify_dnsbl_code(zen, make_address("127.0.0.11")).reason.find("PBL"),
            std::string::npos);
  EXPECT_EQ(meaning(zen, "127.0.0.1"), DnsblMeaning::error);
  EXPECT_EQ(meaning(zen, "127.0.1.2"), DnsblMeaning::error);  // not a zen code
  for (const char* refusal :
       {"127.255.255.252", "127.255.255.254", "127.255.255.255", "127.255.255.250", "127.255.255.7"})
    EXPECT_EQ(meaning(zen, refusal), DnsblMeaning::error) << refusal;
  EXPECT_NE(classify_dnsbl_code(zen, make_address("127.255.255.254")).reason.find("public"),
            std::string::npos);
  EXPECT_EQ(meaning(zen, "8.8.8.8"), DnsblMeaning::error);
  EXPECT_EQ(meaning(zen, "::1"), DnsblMeaning::error);

  auto dbl = dnsbl_list_for_zone("dbl.spamhaus.org", true);
  EXPECT_EQ(meaning(dbl, "127.0.1.2"), DnsblMeaning::listed);
  EXPECT_NE(classify_dnsbl_code(dbl, make_address("127.0.1.4")).reason.find("phishing"),
            std::string::npos);
  EXPECT_EQ(meaning(dbl, "127.0.1.255"), DnsblMeaning::error);
  EXPECT_EQ(meaning(dbl, "127.0.0.2"), DnsblMeaning::error);

  auto mailspike = dnsbl_list_for_zone("bl.mailspike.net", false);
  EXPECT_EQ(meaning(mailspike, "127.0.0.10"), DnsblMeaning::listed);
  EXPECT_EQ(meaning(mailspike, "127.0.0.17"), DnsblMeaning::not_listed);
}

TEST(DnsblLists, SpamhausFamilyAndAllowLists) {
  // The single Spamhaus zones and the DQS mirrors (KEY.zen.dq.spamhaus.net) use zen's codes.
  for (const char* zone : {"sbl.spamhaus.org", "xbl.spamhaus.org", "pbl.spamhaus.org",
                           "sbl-xbl.spamhaus.org", "abcdef123.zen.dq.spamhaus.net"}) {
    auto l = dnsbl_list_for_zone(zone, false);
    EXPECT_NE(classify_dnsbl_code(l, make_address("127.0.0.4")).reason.find("XBL"),
              std::string::npos)
        << zone;
    EXPECT_TRUE(l.ipv6) << zone;
  }
  auto dqs_dbl = dnsbl_list_for_zone("abcdef123.dbl.dq.spamhaus.net", true);
  EXPECT_NE(classify_dnsbl_code(dqs_dbl, make_address("127.0.1.4")).reason.find("phishing"),
            std::string::npos);
  auto zrd = dnsbl_list_for_zone("zrd.spamhaus.org", true);
  EXPECT_EQ(meaning(zrd, "127.0.2.5"), DnsblMeaning::listed);
  EXPECT_NE(classify_dnsbl_code(zrd, make_address("127.0.2.5")).reason.find("ZRD"),
            std::string::npos);
  // Allow-lists and reputation zones are never "listed" (a good sender would read critical).
  for (const char* zone : {"list.dnswl.org", "wl.mailspike.net"}) {
    auto l = dnsbl_list_for_zone(zone, false);
    EXPECT_EQ(meaning(l, "127.0.10.0"), DnsblMeaning::not_listed) << zone;
    EXPECT_EQ(meaning(l, "127.0.0.18"), DnsblMeaning::not_listed) << zone;
  }
  EXPECT_EQ(meaning(dnsbl_list_for_zone("list.dnswl.org", false), "127.0.0.255"),
            DnsblMeaning::error);
  auto rep = dnsbl_list_for_zone("rep.mailspike.net", false);
  EXPECT_EQ(meaning(rep, "127.0.0.10"), DnsblMeaning::listed);
  EXPECT_EQ(meaning(rep, "127.0.0.18"), DnsblMeaning::not_listed);
}

TEST(DnsblLists, GenericTableAndDefaults) {
  auto custom = dnsbl_list_for_zone("BL.Example.ORG.", false);
  EXPECT_EQ(custom.zone, "bl.example.org");
  EXPECT_EQ(meaning(custom, "127.0.0.2"), DnsblMeaning::listed);
  EXPECT_EQ(meaning(custom, "127.0.0.200"), DnsblMeaning::listed);
  EXPECT_EQ(meaning(custom, "127.0.0.1"), DnsblMeaning::error);
  EXPECT_EQ(meaning(custom, "127.0.1.2"), DnsblMeaning::error);
  EXPECT_EQ(meaning(custom, "127.255.255.254"), DnsblMeaning::error);

  std::vector<std::string> zones;
  for (const auto& l : default_ip_lists()) zones.push_back(l.zone);
  EXPECT_EQ(zones, (std::vector<std::string>{"zen.spamhaus.org", "b.barracudacentral.org",
                                             "bl.spamcop.net", "psbl.surriel.com",
                                             "bl.mailspike.net"}));
  ASSERT_EQ(default_domain_lists().size(), 1u);
  EXPECT_EQ(default_domain_lists()[0].zone, "dbl.spamhaus.org");
  EXPECT_TRUE(default_domain_lists()[0].domain_list);
}

TEST(DnsblLists, QueryNames) {
  EXPECT_EQ(dnsbl_query_name(make_address("192.0.2.99"), "zen.spamhaus.org"),
            "99.2.0.192.zen.spamhaus.org");
  EXPECT_EQ(dnsbl_query_name(make_address("2001:db8::1"), "zen.spamhaus.org."),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.zen.spamhaus.org");
  EXPECT_EQ(dnsbl_query_name(make_address("::ffff:192.0.2.1"), "bl.test"), "1.2.0.192.bl.test");
  EXPECT_EQ(rhsbl_query_name("Example.COM.", "dbl.spamhaus.org"), "example.com.dbl.spamhaus.org");
}

TEST(DnsblLists, RegisteredDomain) {
  EXPECT_EQ(registered_domain("www.example.com"), "example.com");
  EXPECT_EQ(registered_domain("example.com"), "example.com");
  EXPECT_EQ(registered_domain("shop.client.co.uk"), "client.co.uk");
  EXPECT_EQ(registered_domain("a.b.estate.test"), "estate.test");
  EXPECT_EQ(registered_domain("localhost"), "localhost");
  EXPECT_TRUE(default_dnsbl_domains("192.0.2.1").empty());
  EXPECT_TRUE(default_dnsbl_domains("localhost").empty());
  EXPECT_EQ(default_dnsbl_domains("www.spammy.test"), std::vector<std::string>{"www.spammy.test"});
}

// Which names each kind of domain list is asked about (dnsbl.md section 1).
TEST(DnsblLists, NamesPerListPolicy) {
  using V = std::vector<std::string>;
  DnsblList dbl = dnsbl_list_for_zone("dbl.spamhaus.org", true);
  EXPECT_EQ(dbl.names, DnsblNames::host_and_domain);
  EXPECT_EQ(dnsbl_names_for(dbl, "www.client.co.uk"), (V{"www.client.co.uk", "client.co.uk"}));
  EXPECT_EQ(dnsbl_names_for(dbl, "client.co.uk"), (V{"client.co.uk"}));
  EXPECT_EQ(dnsbl_list_for_zone("KEY.zrd.dq.spamhaus.net", true).names, DnsblNames::host_and_domain);
  DnsblList surbl = dnsbl_list_for_zone("multi.surbl.org", true);
  EXPECT_EQ(surbl.names, DnsblNames::registered_domain);
  EXPECT_EQ(dnsbl_names_for(surbl, "www.shop.client.example"), (V{"client.example"}));
  EXPECT_EQ(dnsbl_list_for_zone("multi.uribl.com", true).names, DnsblNames::registered_domain);
  EXPECT_EQ(dnsbl_list_for_zone("black.uribl.com", true).names, DnsblNames::registered_domain);
  EXPECT_EQ(dnsbl_list_for_zone("notsurbl.org", true).names, DnsblNames::host_and_domain);
  // Unknown policy: both.
  DnsblList other = dnsbl_list_for_zone("rhsbl.example.net", true);
  EXPECT_EQ(dnsbl_names_for(other, "WWW.Client.Example."), (V{"www.client.example", "client.example"}));
  other.names = DnsblNames::host;
  EXPECT_EQ(dnsbl_names_for(other, "www.client.example"), (V{"www.client.example"}));
  EXPECT_TRUE(dnsbl_names_for(surbl, "localhost").empty());
}

// SURBL multi answers a bitmask: each set list bit is named; 127.0.0.1 is a refusal.
TEST(DnsblLists, SurblBitmask) {
  DnsblList surbl = dnsbl_list_for_zone("multi.surbl.org", true);
  auto v = classify_dnsbl_code(surbl, make_address("127.0.0.80"));
  EXPECT_EQ(v.meaning, DnsblMeaning::listed);
  EXPECT_EQ(v.reason, "SURBL: malware, abuse");
  EXPECT_EQ(classify_dnsbl_code(surbl, make_address("127.0.0.8")).reason, "SURBL: phishing");
  EXPECT_EQ(classify_dnsbl_code(surbl, make_address("127.0.0.1")).meaning, DnsblMeaning::error);
  EXPECT_EQ(classify_dnsbl_code(surbl, make_address("127.0.0.4")).meaning, DnsblMeaning::error);
}

TEST(DnsblLists, CodeRanges) {
  uint32_t a = 0, b = 0;
  ASSERT_TRUE(parse_dnsbl_code_range("127.0.0.2", a, b));
  EXPECT_EQ(a, b);
  ASSERT_TRUE(parse_dnsbl_code_range("127.0.0.2-127.0.0.11", a, b));
  EXPECT_EQ(b - a, 9u);
  ASSERT_TRUE(parse_dnsbl_code_range("127.0.1.0/24", a, b));
  EXPECT_EQ(b - a, 255u);
  EXPECT_FALSE(parse_dnsbl_code_range("127.0.0.9-127.0.0.2", a, b));
  EXPECT_FALSE(parse_dnsbl_code_range("127.0.0.0/33", a, b));
  EXPECT_FALSE(parse_dnsbl_code_range("listed", a, b));
}

TEST(DnsblLists, ConfigTable) {
  config::OptionMap opts;
  opts.add_layer(YAML::Load(R"(
lists:
  - zen.spamhaus.org
  - zone: bl.example.org
    severity: warning
    timeout: 500ms
    ipv6: false
    codes:
      "127.0.0.2": spam source
      "127.0.0.3-127.0.0.5": {result: not_listed, reason: allow-listed}
      "127.0.0.9": {result: error, reason: "quota exceeded"}
)"),
                 "checks[0]");
  config::Errors errors("t.yaml");
  auto lists = read_dnsbl_lists(opts, "lists", false, errors);
  ASSERT_TRUE(errors.empty()) << errors.to_string();
  ASSERT_TRUE(lists);
  ASSERT_EQ(lists->size(), 2u);
  const auto& l = (*lists)[1];
  EXPECT_EQ(l.severity, Status::warning);
  EXPECT_EQ(l.timeout, 500ms);
  EXPECT_FALSE(l.ipv6);
  EXPECT_EQ(meaning(l, "127.0.0.2"), DnsblMeaning::listed);
  EXPECT_EQ(classify_dnsbl_code(l, make_address("127.0.0.2")).reason, "spam source");
  EXPECT_EQ(meaning(l, "127.0.0.4"), DnsblMeaning::not_listed);
  EXPECT_EQ(meaning(l, "127.0.0.9"), DnsblMeaning::error);
  EXPECT_EQ(meaning(l, "127.0.0.10"), DnsblMeaning::error);  // outside the table
  // The error range cannot be configured into a listing.
  config::OptionMap evil;
  evil.add_layer(YAML::Load(R"(lists: [{zone: bl.example.org, codes: {"127.0.0.0/8": listed}}])"),
                 "c");
  auto evil_lists = read_dnsbl_lists(evil, "lists", false, errors);
  ASSERT_TRUE(evil_lists && evil_lists->size() == 1);
  EXPECT_EQ(meaning((*evil_lists)[0], "127.255.255.254"), DnsblMeaning::error);

  config::OptionMap bad;
  bad.add_layer(YAML::Load(R"(
lists:
  - zone: bl.example.org
    severity: loud
    colour: red
    codes: {"not-a-code": x, "127.0.0.2": {result: maybe}}
  - {severity: warning}
  - zen.spamhaus.org
  - zen.spamhaus.org
  - "bad..zone"
)"),
                "checks[3]");
  config::Errors bad_errors("t.yaml");
  read_dnsbl_lists(bad, "lists", false, bad_errors);
  std::string text = bad_errors.to_string();
  for (const char* want : {"checks[3].lists[0].severity", "checks[3].lists[0].colour",
                           "not-a-code", "lists[0].codes.127.0.0.2.result", "lists[1].zone",
                           "listed twice", "lists[4]"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
}

// ---- classification without a network ----

net::DnsAnswer reply(int rcode, std::vector<const char*> codes) {
  net::DnsWriter::Header h;
  h.qr = true;
  h.rcode = rcode;
  net::DnsWriter w(h);
  w.question("2.0.0.127.bl.test", net::dns_type::kA);
  for (auto c : codes) w.a("2.0.0.127.bl.test", 60, boost::asio::ip::make_address_v4(c));
  net::DnsAnswer a;
  a.raw = w.finish();
  a.rcode = rcode;
  return a;
}

TEST(DnsblClassify, Answers) {
  auto list = dnsbl_list_for_zone("bl.test", false);
  EXPECT_EQ(classify_dnsbl_answer(list, "x", reply(3, {})).result, DnsblMeaning::not_listed);
  EXPECT_EQ(classify_dnsbl_answer(list, "x", reply(0, {})).result, DnsblMeaning::not_listed);
  auto listed = classify_dnsbl_answer(list, "x", reply(0, {"127.0.0.2", "127.0.0.4"}));
  EXPECT_EQ(listed.result, DnsblMeaning::listed);
  EXPECT_EQ(listed.codes, (std::vector<std::string>{"127.0.0.2", "127.0.0.4"}));
  // One error code spoils the whole answer: never "listed" on a refusal.
  auto mixed = classify_dnsbl_answer(list, "x", reply(0, {"127.0.0.2", "127.255.255.254"}));
  EXPECT_EQ(mixed.result, DnsblMeaning::error);
  EXPECT_EQ(classify_dnsbl_answer(list, "x", reply(2, {})).result, DnsblMeaning::error);
  EXPECT_EQ(classify_dnsbl_answer(list, "x", reply(5, {})).result, DnsblMeaning::error);
  net::DnsAnswer timeout;
  timeout.timed_out = true;
  EXPECT_EQ(classify_dnsbl_answer(list, "x", timeout).result, DnsblMeaning::error);
  net::DnsAnswer garbage;
  garbage.raw = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(classify_dnsbl_answer(list, "x", garbage).result, DnsblMeaning::error);
}

// ---- the probe against the estate ----

using testing::dns_estate;

testing::ProbeRun run_dnsbl(const std::string& target, const std::string& options_yaml,
                            std::chrono::milliseconds timeout = 5s) {
  return testing::run_probe(dnsbl_probe_kind(), target, options_yaml, timeout, 400ms);
}

const json* entry(const Result& r, const std::string& target, const std::string& list) {
  for (const auto& e : r.facts["entries"])
    if (e["target"] == target && e["list"] == list) return &e;
  return nullptr;
}

double sample(const Result& r, const std::string& name, const std::string& list) {
  for (const auto& s : r.samples)
    if (s.name == name && s.labels.size() == 1 && s.labels[0].second == list) return s.value;
  return -1;
}

TEST(DnsblProbe, TestEntryListedOnEveryDefaultList) {
  auto run = run_dnsbl("127.0.0.2", "");
  ASSERT_TRUE(run.built) << run.errors;
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.facts["entries"].size(), 5u);  // an IP: no domain lists
  for (const auto& l : default_ip_lists()) {
    const json* e = entry(r, "127.0.0.2", l.zone);
    ASSERT_TRUE(e) << l.zone;
    EXPECT_EQ((*e)["result"], "listed");
    EXPECT_EQ((*e)["codes"], json::array({"127.0.0.2"}));
    EXPECT_NE((*e)["txt"].get<std::string>().find("Listed by " + l.zone), std::string::npos);
    EXPECT_EQ(sample(r, "lookout_dnsbl_listed", l.zone), 1);
    EXPECT_EQ(sample(r, "lookout_dnsbl_errors", l.zone), 0);
  }
  EXPECT_EQ(sample(r, "lookout_dnsbl_listed", "dbl.spamhaus.org"), 0);
  EXPECT_NE(r.summary.find("127.0.0.2 is listed on zen.spamhaus.org (Spamhaus SBL"),
            std::string::npos)
      << r.summary;
}

TEST(DnsblProbe, CleanAddressIsOk) {
  auto run = run_dnsbl("192.0.2.1", "{lists: [zen.spamhaus.org, bl.estate.test]}");
  ASSERT_TRUE(run.built) << run.errors;
  EXPECT_EQ(run.result.status, Status::ok) << run.result.summary;
  EXPECT_EQ((*entry(run.result, "192.0.2.1", "bl.estate.test"))["result"], "not_listed");
  // RFC 5782: 127.0.0.1 is never listed; NOERROR without an A record is not listed either.
  EXPECT_EQ(run_dnsbl("127.0.0.1", "{lists: [bl.estate.test]}").result.status, Status::ok);
  EXPECT_EQ(run_dnsbl("198.51.100.4", "{lists: [bl.estate.test]}").result.status, Status::ok);
}

TEST(DnsblProbe, SeveralCodesDecodedPerList) {
  auto run = run_dnsbl("192.0.2.99", "{lists: [zen.spamhaus.org]}");
  const json* e = entry(run.result, "192.0.2.99", "zen.spamhaus.org");
  ASSERT_TRUE(e) << run.result.facts.dump();
  EXPECT_EQ((*e)["codes"], json::array({"127.0.0.2", "127.0.0.4"}));
  std::string reason = (*e)["reason"];
  EXPECT_NE(reason.find("SBL"), std::string::npos) << reason;
  EXPECT_NE(reason.find("XBL"), std::string::npos) << reason;
}

TEST(DnsblProbe, RefusalCodesAreNeverListings) {
  for (const char* ip : {"198.51.100.252", "198.51.100.254", "198.51.100.255", "198.51.100.1"}) {
    auto run = run_dnsbl(ip, "{lists: [zen.spamhaus.org, bl.estate.test]}");
    const auto& r = run.result;
    EXPECT_EQ(r.status, Status::unknown) << ip << ": " << r.summary;
    EXPECT_EQ(r.facts["listed_count"], 0) << ip;
    const json* e = entry(r, ip, "zen.spamhaus.org");
    ASSERT_TRUE(e);
    EXPECT_EQ((*e)["result"], "error");
    EXPECT_EQ(sample(r, "lookout_dnsbl_listed", "zen.spamhaus.org"), 0);
    EXPECT_EQ(sample(r, "lookout_dnsbl_errors", "zen.spamhaus.org"), 1);
  }
  auto pub = run_dnsbl("198.51.100.254", "{lists: [zen.spamhaus.org]}");
  EXPECT_NE(pub.result.summary.find("public"), std::string::npos) << pub.result.summary;
  // A whole list that refuses (a public resolver in front of Spamhaus) taints nothing else.
  auto refused = run_dnsbl("127.0.0.2", "{lists: [refused.bl.estate.test, bl.estate.test]}");
  EXPECT_EQ(refused.result.status, Status::critical);
  EXPECT_EQ((*entry(refused.result, "127.0.0.2", "refused.bl.estate.test"))["result"], "error");
  EXPECT_EQ((*entry(refused.result, "127.0.0.2", "bl.estate.test"))["result"], "listed");
}

TEST(DnsblProbe, TimeoutsAndFailuresAreUnknownForThatList) {
  auto run = run_dnsbl("192.0.2.1",
                       "{lists: [silent.bl.estate.test, servfail.bl.estate.test, bl.estate.test],"
                       " list_timeout: 700ms}");
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::unknown) << r.summary;
  EXPECT_EQ(r.failure, FailureKind::dns);
  EXPECT_EQ((*entry(r, "192.0.2.1", "silent.bl.estate.test"))["result"], "error");
  EXPECT_EQ((*entry(r, "192.0.2.1", "servfail.bl.estate.test"))["result"], "error");
  EXPECT_EQ((*entry(r, "192.0.2.1", "bl.estate.test"))["result"], "not_listed");
  EXPECT_LT(run.seconds, 3.0);  // bounded by list_timeout, not by the check timeout
  EXPECT_NE(r.summary.find("silent.bl.estate.test"), std::string::npos) << r.summary;

  // Per-address faults: SERVFAIL and silence for one address on a working list.
  auto servfail = run_dnsbl("198.51.100.2", "{lists: [bl.estate.test]}");
  EXPECT_EQ(servfail.result.status, Status::unknown) << servfail.result.summary;
  auto silent = run_dnsbl("198.51.100.3", "{lists: [bl.estate.test], list_timeout: 300ms}");
  EXPECT_EQ(silent.result.status, Status::unknown) << silent.result.summary;
}

TEST(DnsblProbe, HostNameAddressesAndDomain) {
  // www.spammy.test resolves (through the estate) to 127.0.0.1; its domain is on the DBL.
  auto run = run_dnsbl("www.spammy.test",
                       "{lists: [bl.estate.test], domain_lists: [dbl.estate.test],"
                       " extra_ips: ['2001:db8::99', 192.0.2.4]}");
  ASSERT_TRUE(run.built) << run.errors;
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::critical) << r.summary;
  EXPECT_EQ(r.facts["domains"], json::array({"www.spammy.test", "spammy.test"}));
  EXPECT_EQ((*entry(r, "www.spammy.test", "dbl.estate.test"))["result"], "listed");
  EXPECT_EQ((*entry(r, "127.0.0.1", "bl.estate.test"))["result"], "not_listed");
  EXPECT_EQ((*entry(r, "2001:db8::99", "bl.estate.test"))["result"], "listed");
  EXPECT_EQ((*entry(r, "192.0.2.4", "bl.estate.test"))["result"], "listed");
  const json* d = entry(r, "spammy.test", "dbl.estate.test");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["result"], "listed");
  EXPECT_EQ((*d)["codes"], json::array({"127.0.1.2"}));
  EXPECT_EQ(r.facts["listed_count"], 4);
}

TEST(DnsblProbe, Ipv6OnlyOnListsThatCarryIt) {
  auto run = run_dnsbl("2001:db8::99", "{lists: [zen.spamhaus.org, bl.spamcop.net]}");
  EXPECT_EQ(run.result.facts["entries"].size(), 1u);
  EXPECT_TRUE(entry(run.result, "2001:db8::99", "zen.spamhaus.org"));
  auto off = run_dnsbl("2001:db8::99", "{lists: [zen.spamhaus.org], check_ipv6: false}");
  EXPECT_EQ(off.result.facts["entries"].size(), 0u);
  EXPECT_EQ(off.result.status, Status::unknown);
}

TEST(DnsblProbe, PerListSeverity) {
  auto run = run_dnsbl("127.0.0.2", "{lists: [{zone: bl.estate.test, severity: warning}]}");
  EXPECT_EQ(run.result.status, Status::warning) << run.result.summary;
  auto info = run_dnsbl("127.0.0.2", "{lists: [{zone: bl.estate.test, severity: info}]}");
  EXPECT_EQ(info.result.status, Status::ok) << info.result.summary;
  EXPECT_EQ(sample(info.result, "lookout_dnsbl_listed", "bl.estate.test"), 1);
  auto mixed = run_dnsbl(
      "127.0.0.2", "{lists: [{zone: bl.estate.test, severity: warning}, bl1.estate.test]}");
  EXPECT_EQ(mixed.result.status, Status::critical);
}

TEST(DnsblProbe, UnresolvableHostIsUnknownButDomainsStillChecked) {
  auto run = run_dnsbl("nope.spammy.test", "{lists: [bl.estate.test], domain_lists: [dbl.estate.test]}");
  // The domain is listed, so the verdict is critical even though the host has no address.
  EXPECT_EQ(run.result.status, Status::critical) << run.result.summary;
  EXPECT_TRUE(run.result.facts.contains("resolve_error"));
  auto clean = run_dnsbl("nope.estate.test", "{lists: [bl.estate.test], domain_lists: [dbl.estate.test]}");
  EXPECT_EQ(clean.result.status, Status::unknown) << clean.result.summary;
  EXPECT_NE(clean.result.summary.find("cannot resolve nope.estate.test"), std::string::npos);
}

TEST(DnsblProbe, DedicatedServers) {
  auto run = run_dnsbl("127.0.0.2",
                       "{lists: [bl.estate.test], servers: ['" + dns_estate().server() + "']}");
  EXPECT_EQ(run.result.status, Status::critical) << run.result.summary;
  auto dead = run_dnsbl("127.0.0.2", "{lists: [bl.estate.test], servers: ['127.0.0.1:9'],"
                                     " list_timeout: 500ms}");
  EXPECT_EQ(dead.result.status, Status::unknown) << dead.result.summary;
}

TEST(DnsblProbe, AnswersAreReusedForTheirTtl) {
  // The estate answers with TTL 60 (listings) and an SOA minimum of 60 (NXDOMAIN).
  const std::string opts = "{lists: [bl5.estate.test, bl6.estate.test]}";
  run_dnsbl("192.0.2.4", opts);
  auto again = run_dnsbl("192.0.2.4", opts);
  EXPECT_EQ(again.result.facts["cache_hits"], 2);  // one listing, one NXDOMAIN
  EXPECT_EQ(again.result.status, Status::critical);
  const json* e = entry(again.result, "192.0.2.4", "bl5.estate.test");
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["codes"], json::array({"127.0.0.4"}));
  EXPECT_NE((*e)["txt"].get<std::string>().find("Listed by bl5.estate.test"), std::string::npos);

  auto uncached = run_dnsbl("192.0.2.4", "{lists: [bl5.estate.test], cache_ttl: 0s}");
  EXPECT_EQ(uncached.result.facts["cache_hits"], 0);
  // Errors are never reused: a list that failed is asked again next time.
  const std::string silent = "{lists: [silent.bl.estate.test], list_timeout: 200ms}";
  run_dnsbl("192.0.2.4", silent);
  EXPECT_EQ(run_dnsbl("192.0.2.4", silent).result.facts["cache_hits"], 0);
}

TEST(DnsblProbe, NamedListsReplaceEveryDefault) {
  // `--list bl.test` alone must not also ask the default domain list (through a resolver that
  // only serves bl.test it would be refused, and the check would read UNKNOWN).
  auto ip_only = run_dnsbl("www.spammy.test", "{lists: [bl.estate.test]}");
  ASSERT_TRUE(ip_only.built) << ip_only.errors;
  EXPECT_EQ(ip_only.result.status, Status::ok) << ip_only.result.summary;
  EXPECT_EQ(ip_only.result.facts["entries"].size(), 1u) << ip_only.result.facts.dump();
  EXPECT_FALSE(entry(ip_only.result, "spammy.test", "dbl.spamhaus.org"));
  EXPECT_EQ(ip_only.result.facts["domains"], json::array());
  EXPECT_NE(ip_only.result.summary.find("on 1 list "), std::string::npos) << ip_only.result.summary;
  EXPECT_EQ(sample(ip_only.result, "lookout_dnsbl_listed", "dbl.spamhaus.org"), -1);

  auto domain_only = run_dnsbl("127.0.0.2", "{domain_lists: [dbl.estate.test], domains: [spammy.test]}");
  ASSERT_TRUE(domain_only.built) << domain_only.errors;
  EXPECT_EQ(domain_only.result.facts["entries"].size(), 1u) << domain_only.result.facts.dump();
  EXPECT_FALSE(entry(domain_only.result, "127.0.0.2", "zen.spamhaus.org"));
  EXPECT_EQ(domain_only.result.status, Status::critical) << domain_only.result.summary;

  // Only domain lists: the host is not resolved (no list would use its addresses), so a name
  // the resolver does not know is no reason for UNKNOWN.
  auto unresolvable = run_dnsbl("nope.estate.test", "{domain_lists: [dbl.estate.test]}");
  ASSERT_TRUE(unresolvable.built) << unresolvable.errors;
  EXPECT_EQ(unresolvable.result.status, Status::ok) << unresolvable.result.summary;
  EXPECT_FALSE(unresolvable.result.facts.contains("resolve_error"));
  EXPECT_EQ(unresolvable.result.facts["domains"], json::array({"nope.estate.test", "estate.test"}));
}

TEST(DnsblProbe, UrlTargetMeansItsHost) {
  auto run = run_dnsbl("http://www.spammy.test/", "{lists: [bl.estate.test], domain_lists: [dbl.estate.test]}");
  ASSERT_TRUE(run.built) << run.errors;
  EXPECT_EQ(run.result.facts["addresses"], json::array({"127.0.0.1"})) << run.result.summary;
  EXPECT_EQ(run.result.facts["domains"], json::array({"www.spammy.test", "spammy.test"}));
  EXPECT_EQ(run.result.status, Status::critical) << run.result.summary;
}

TEST(DnsblProbe, GenericListsGiveTheirTxtAsTheReason) {
  // A list without a code table says why only in its TXT record.
  auto run = run_dnsbl("192.0.2.4", "{lists: [bl7.estate.test, zen.spamhaus.org]}");
  const json* e = entry(run.result, "192.0.2.4", "bl7.estate.test");
  ASSERT_TRUE(e) << run.result.facts.dump();
  EXPECT_EQ((*e)["reason"], "Listed by bl7.estate.test, see https://bl7.estate.test/query/ip/192.0.2.4");
  EXPECT_EQ((*e)["txt"], (*e)["reason"]);
  EXPECT_NE(run.result.summary.find("(Listed by bl7.estate.test"), std::string::npos)
      << run.result.summary;
  // A known list keeps the meaning of its code.
  const json* z = entry(run.result, "192.0.2.4", "zen.spamhaus.org");
  ASSERT_TRUE(z);
  EXPECT_EQ((*z)["reason"], "Spamhaus XBL: exploited or infected host");
  // Without TXT fetching the generic reason stays.
  auto no_txt = run_dnsbl("192.0.2.4", "{lists: [bl8.estate.test], fetch_txt: false}");
  EXPECT_EQ((*entry(no_txt.result, "192.0.2.4", "bl8.estate.test"))["reason"], "listed");
}

TEST(DnsblProbe, OptionErrors) {
  EXPECT_FALSE(run_dnsbl("127.0.0.2", "{extra_ips: [not-an-ip]}").built);
  EXPECT_FALSE(run_dnsbl("127.0.0.2", "{domains: [192.0.2.1]}").built);
  EXPECT_FALSE(run_dnsbl("127.0.0.2", "{list_timeout: soon}").built);
  EXPECT_FALSE(run_dnsbl("127.0.0.2", "{servers: [resolver.example]}").built);
  EXPECT_FALSE(run_dnsbl("", "{}").built);
  auto unknown = run_dnsbl("127.0.0.2", "{listz: [a.b]}");
  EXPECT_FALSE(unknown.built);
  EXPECT_NE(unknown.errors.find("listz"), std::string::npos);
}

}  // namespace
}  // namespace lookout::probes
