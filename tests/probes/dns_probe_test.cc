// The DNS probe against the estate's DNS server (tests/estate/dns_server.cc), through the real
// c-ares resolver: records, assertions, rcodes, and the hostile names (silent, wrong id,
// malformed, cut-off, truncated -> TCP, huge TXT).
#include "probes/dns_probe.h"

#include <gtest/gtest.h>

#include "net/dns_message.h"
#include "tests/probes/dns_test_support.h"

namespace lookout::probes {
namespace {

using namespace std::chrono_literals;

using testing::dns_estate;

testing::ProbeRun run_dns(const std::string& target, const std::string& options_yaml,
                          std::chrono::milliseconds timeout = 3s) {
  return testing::run_probe(dns_probe_kind(), target, options_yaml, timeout, 500ms);
}

TEST(DnsProbe, ARecordOk) {
  auto run = run_dns("estate.test", "");
  ASSERT_TRUE(run.built) << run.errors;
  const auto& r = run.result;
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_EQ(r.facts["rcode"], "NOERROR");
  EXPECT_EQ(r.facts["answers"], nlohmann::json::array({"127.0.0.1"}));
  EXPECT_TRUE(r.facts["latency_seconds"].is_number());
  EXPECT_NE(r.summary.find("127.0.0.1"), std::string::npos) << r.summary;
}

TEST(DnsProbe, UrlTargetMeansItsHost) {
  auto run = run_dns("https://www.estate.test/shop", "");
  ASSERT_TRUE(run.built) << run.errors;
  EXPECT_EQ(run.result.facts["name"], "www.estate.test");
  EXPECT_EQ(run.result.status, Status::ok) << run.result.summary;
  EXPECT_EQ(host_of_target("http://[::1]:8080/"), "::1");
  EXPECT_EQ(host_of_target("estate.test"), "estate.test");
}

TEST(DnsProbe, ExpectContainsAndExact) {
  auto ok = run_dns("estate.test", "{record: MX, expect: [mail.estate.test.]}");
  EXPECT_EQ(ok.result.status, Status::ok) << ok.result.summary << ok.errors;
  auto pref = run_dns("estate.test", "{record: MX, expect: ['20 mx2.estate.test']}");
  EXPECT_EQ(pref.result.status, Status::ok) << pref.result.summary;
  auto wrong_pref = run_dns("estate.test", "{record: MX, expect: ['30 mx2.estate.test']}");
  EXPECT_EQ(wrong_pref.result.status, Status::critical);
  EXPECT_EQ(wrong_pref.result.failure, FailureKind::assertion);

  auto exact = run_dns("estate.test",
                       "{record: NS, expect_exact: [ns2.estate.test, NS1.estate.test]}");
  EXPECT_EQ(exact.result.status, Status::ok) << exact.result.summary;
  auto moved = run_dns("estate.test", "{record: NS, expect_exact: [ns1.estate.test]}");
  EXPECT_EQ(moved.result.status, Status::critical);
  EXPECT_NE(moved.result.summary.find("expected exactly"), std::string::npos)
      << moved.result.summary;

  auto changed = run_dns("estate.test", "{expect: [192.0.2.1]}");
  EXPECT_EQ(changed.result.status, Status::critical);
  EXPECT_EQ(changed.result.failure, FailureKind::assertion);
  EXPECT_NE(changed.result.summary.find("192.0.2.1"), std::string::npos);

  auto v6 = run_dns("estate.test", "{record: AAAA, expect: ['0:0:0:0:0:0:0:1']}");
  EXPECT_EQ(v6.result.status, Status::ok) << v6.result.summary;
}

TEST(DnsProbe, CnameIsFollowedAndReported) {
  auto a = run_dns("www.estate.test", "");
  EXPECT_EQ(a.result.status, Status::ok);
  EXPECT_EQ(a.result.facts["answers"], nlohmann::json::array({"127.0.0.1"}));
  EXPECT_EQ(a.result.facts["records"][0]["type"], "CNAME");
  auto c = run_dns("www.estate.test", "{record: CNAME, expect: [estate.test]}");
  EXPECT_EQ(c.result.status, Status::ok) << c.result.summary;
}

TEST(DnsProbe, MxPresentAndTxtContains) {
  auto mx = run_dns("estate.test", "{mx_present: true}");
  EXPECT_EQ(mx.result.status, Status::ok) << mx.result.summary;
  auto no_mx = run_dns("mail.estate.test", "{mx_present: true}");
  EXPECT_EQ(no_mx.result.status, Status::critical);
  EXPECT_EQ(no_mx.result.failure, FailureKind::assertion);

  auto spf = run_dns("estate.test", "{txt_contains: 'v=spf1'}");
  EXPECT_EQ(spf.result.status, Status::ok) << spf.result.summary;
  EXPECT_EQ(spf.result.facts["record"], "TXT");
  auto dmarc = run_dns("estate.test", "{txt_contains: 'v=DMARC1'}");
  EXPECT_EQ(dmarc.result.status, Status::critical);
}

TEST(DnsProbe, SoaAndRcodes) {
  auto soa = run_dns("estate.test", "{record: SOA, expect: [ns1.estate.test]}");
  EXPECT_EQ(soa.result.status, Status::ok) << soa.result.summary;

  auto nx = run_dns("nope.estate.test", "");
  EXPECT_EQ(nx.result.status, Status::critical);
  EXPECT_EQ(nx.result.failure, FailureKind::dns);
  EXPECT_EQ(nx.result.facts["rcode"], "NXDOMAIN");
  EXPECT_NE(nx.result.summary.find("NXDOMAIN"), std::string::npos);

  auto expected_nx = run_dns("nope.estate.test", "{expect_rcode: NXDOMAIN}");
  EXPECT_EQ(expected_nx.result.status, Status::ok) << expected_nx.result.summary;

  auto nodata = run_dns("mail.estate.test", "{record: AAAA}");
  EXPECT_EQ(nodata.result.status, Status::critical);
  auto nodata_ok = run_dns("mail.estate.test", "{record: AAAA, allow_empty: true}");
  EXPECT_EQ(nodata_ok.result.status, Status::ok);

  // c-ares 1.18 hides the rcode of SERVFAIL/REFUSED replies (it reports "connection refused"
  // after trying every server) unless the channel sets ARES_FLAG_NOCHECKRESP: either way the
  // verdict is a critical DNS failure.
  auto servfail = run_dns("servfail.estate.test", "");
  EXPECT_EQ(servfail.result.status, Status::critical);
  EXPECT_EQ(servfail.result.failure, FailureKind::dns) << servfail.result.summary;
  auto refused = run_dns("example.com", "");  // not the estate's zone
  EXPECT_EQ(refused.result.status, Status::critical);
  EXPECT_EQ(refused.result.failure, FailureKind::dns) << refused.result.summary;
}

TEST(DnsProbe, HostileServers) {
  auto silent = run_dns("silent.estate.test", "", 1200ms);
  EXPECT_EQ(silent.result.status, Status::critical);
  EXPECT_EQ(silent.result.failure, FailureKind::timeout);
  EXPECT_LT(silent.result.duration_seconds, 3.0);

  auto wrong_id = run_dns("wrongid.estate.test", "", 1200ms);
  EXPECT_EQ(wrong_id.result.status, Status::critical);
  EXPECT_EQ(wrong_id.result.failure, FailureKind::timeout);

  auto malformed = run_dns("malformed.estate.test", "");
  EXPECT_EQ(malformed.result.status, Status::critical);
  EXPECT_EQ(malformed.result.failure, FailureKind::protocol);
  EXPECT_NE(malformed.result.summary.find("malformed"), std::string::npos)
      << malformed.result.summary;

  auto cutoff = run_dns("cutoff.estate.test", "");
  EXPECT_EQ(cutoff.result.status, Status::critical);
  EXPECT_EQ(cutoff.result.failure, FailureKind::protocol) << cutoff.result.summary;

  auto truncated = run_dns("truncated.estate.test", "");  // TC over UDP: c-ares retries on TCP
  EXPECT_EQ(truncated.result.status, Status::ok) << truncated.result.summary;

  auto huge = run_dns("hugetxt.estate.test", "{record: TXT}");
  EXPECT_EQ(huge.result.status, Status::ok) << huge.result.summary;
  EXPECT_EQ(huge.result.facts["answers"][0].get<std::string>().size(), 200u * 255u);
  EXPECT_LT(huge.result.summary.size(), 300u);  // the summary stays one readable line
}

TEST(DnsProbe, OptionErrors) {
  auto bad_record = run_dns("estate.test", "{record: BOGUS}");
  EXPECT_FALSE(bad_record.built);
  EXPECT_NE(bad_record.errors.find("checks[0].record"), std::string::npos) << bad_record.errors;
  auto bad_expect = run_dns("estate.test", "{expect: [not-an-ip]}");
  EXPECT_FALSE(bad_expect.built);
  auto bad_server = run_dns("estate.test", "{servers: ['ns.example.com']}");
  EXPECT_FALSE(bad_server.built);
  EXPECT_NE(bad_server.errors.find("IP address"), std::string::npos) << bad_server.errors;
  auto mismatch = run_dns("estate.test", "{record: A, mx_present: true}");
  EXPECT_FALSE(mismatch.built);
  auto unknown = run_dns("estate.test", "{recrod: A}");
  EXPECT_FALSE(unknown.built);
  auto bad_rcode = run_dns("estate.test", "{expect_rcode: MAYBE}");
  EXPECT_FALSE(bad_rcode.built);
}

TEST(DnsProbe, ServersOptionOverridesTheResolver) {
  // A server that does not exist: the per-check server list is really used.
  auto r = run_dns("estate.test", "{servers: ['127.0.0.1:9']}", 1500ms);
  EXPECT_EQ(r.result.status, Status::critical);
  auto ok = run_dns("estate.test", "{servers: ['" + dns_estate().server() + "']}");
  EXPECT_EQ(ok.result.status, Status::ok) << ok.result.summary;
}

TEST(DnsProbe, ValueMatching) {
  using namespace net::dns_type;
  EXPECT_TRUE(dns_value_matches(kAaaa, "2001:DB8::1", "2001:db8:0:0::1"));
  EXPECT_FALSE(dns_value_matches(kA, "192.0.2.1", "192.0.2.10"));
  EXPECT_TRUE(dns_value_matches(kNs, "NS1.Example.com.", "ns1.example.com"));
  EXPECT_TRUE(dns_value_matches(kMx, "mail.example.com", "10 mail.example.com"));
  EXPECT_FALSE(dns_value_matches(kMx, "20 mail.example.com", "10 mail.example.com"));
  EXPECT_TRUE(dns_value_matches(kMx, "0 .", "0 ."));  // null MX (RFC 7505)
  EXPECT_FALSE(dns_value_matches(kMx, "10 ", "10 mail.example.com"));
  EXPECT_TRUE(dns_value_matches(kTxt, "v=spf1 -all", "v=spf1 -all"));
  EXPECT_FALSE(dns_value_matches(kTxt, "v=spf1", "v=spf1 -all"));
}

TEST(DnsProbe, EvaluateWithoutNetwork) {
  DnsCheck c;
  c.name = "x.test";
  net::DnsAnswer timeout;
  timeout.timed_out = true;
  timeout.ares_status = 12;  // ARES_ETIMEOUT
  EXPECT_EQ(evaluate_dns_answer(c, timeout, 1.0).failure, FailureKind::timeout);
  net::DnsAnswer garbage;
  garbage.raw = {1, 2, 3};
  EXPECT_EQ(evaluate_dns_answer(c, garbage, 0.1).failure, FailureKind::protocol);

  // A TXT record with bytes that are not UTF-8 must still give JSON that serialises.
  net::DnsWriter::Header h;
  h.qr = true;
  net::DnsWriter w(h);
  w.question("x.test", net::dns_type::kTxt);
  w.txt("x.test", 60, {std::string("v=spf1 \xff\xfe\x00 -all", 15)});
  net::DnsAnswer binary;
  binary.raw = w.finish();
  c.type = net::dns_type::kTxt;
  c.txt_contains = {"v=spf1"};
  Result r = evaluate_dns_answer(c, binary, 0.01);
  EXPECT_EQ(r.status, Status::ok) << r.summary;
  EXPECT_NO_THROW((void)r.to_json().dump());
  EXPECT_EQ(r.facts["answers"][0], "v=spf1 \\255\\254\\000 -all");
}

}  // namespace
}  // namespace lookout::probes
