#include "net/dns_message.h"

#include <gtest/gtest.h>

namespace lookout::net {
namespace {

using boost::asio::ip::make_address_v4;
using boost::asio::ip::make_address_v6;

std::vector<uint8_t> sample_reply() {
  DnsWriter::Header h;
  h.id = 0x1234;
  h.qr = true;
  h.aa = true;
  DnsWriter w(h);
  w.question("Example.TEST", dns_type::kA);
  w.name_record("www.example.test", dns_type::kCname, 300, "example.test");
  w.a("example.test", 60, make_address_v4("192.0.2.10"));
  w.aaaa("example.test", 60, make_address_v6("2001:db8::10"));
  w.mx("example.test", 60, 10, "mail.example.test");
  w.txt("example.test", 60, {"v=spf1 ", "-all"});
  w.begin_authority();
  w.soa("example.test", 60, {"ns1.example.test", "hostmaster.example.test", 7, 600, 300, 86400, 60});
  w.name_record("example.test", dns_type::kNs, 60, "ns1.example.test");
  w.begin_additional();
  w.edns(1232);
  EXPECT_TRUE(w.ok());
  return w.finish();
}

TEST(DnsMessage, RoundTripsEveryRecordType) {
  auto bytes = sample_reply();
  std::string error;
  auto msg = parse_dns_message(bytes, &error);
  ASSERT_TRUE(msg) << error;
  EXPECT_EQ(msg->id, 0x1234);
  EXPECT_TRUE(msg->qr);
  EXPECT_TRUE(msg->aa);
  EXPECT_FALSE(msg->tc);
  EXPECT_EQ(msg->rcode, dns_rcode::kNoError);
  ASSERT_EQ(msg->questions.size(), 1u);
  EXPECT_EQ(msg->questions[0].name, "example.test");  // lower-cased
  ASSERT_EQ(msg->answers.size(), 5u);
  EXPECT_EQ(msg->answers[0].value(), "example.test");
  EXPECT_EQ(msg->answers[0].ttl, 300u);
  EXPECT_EQ(msg->answers[1].value(), "192.0.2.10");
  EXPECT_EQ(msg->answers[2].value(), "2001:db8::10");
  EXPECT_EQ(msg->answers[3].value(), "10 mail.example.test");
  EXPECT_EQ(msg->answers[4].txt.size(), 2u);
  EXPECT_EQ(msg->answers[4].value(), "v=spf1 -all");
  ASSERT_EQ(msg->authority.size(), 2u);
  EXPECT_EQ(msg->authority[0].soa.serial, 7u);
  EXPECT_EQ(msg->authority[0].value(),
            "ns1.example.test hostmaster.example.test 7 600 300 86400 60");
  EXPECT_EQ(msg->authority[1].target, "ns1.example.test");
  EXPECT_TRUE(msg->additional.empty());  // OPT is not data
  EXPECT_EQ(msg->edns_udp_size, 1232);
  EXPECT_EQ(msg->answers_of(dns_type::kA).size(), 1u);
}

TEST(DnsMessage, EveryTruncationIsRejectedWithoutCrashing) {
  auto bytes = sample_reply();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    auto msg = parse_dns_message(std::span(bytes.data(), n), &error);
    EXPECT_FALSE(msg) << "prefix of " << n << " bytes parsed";
    EXPECT_FALSE(error.empty());
  }
}

TEST(DnsMessage, FollowsBackwardCompressionPointers) {
  // Header, question "a.example" at offset 12, then an answer whose name is a pointer to 12
  // and a CNAME whose data is "www" + pointer to 12.
  std::vector<uint8_t> m = {0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
                            1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
  auto append = [&](std::initializer_list<uint8_t> b) { m.insert(m.end(), b); };
  append({0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1});
  append({0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'w', 'w', 0xC0, 12});
  std::string error;
  auto msg = parse_dns_message(m, &error);
  ASSERT_TRUE(msg) << error;
  EXPECT_EQ(msg->answers[0].name, "a.example");
  EXPECT_EQ(msg->answers[0].value(), "192.0.2.1");
  EXPECT_EQ(msg->answers[1].target, "www.a.example");
}

std::vector<uint8_t> header_with_one_question() {
  return {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0};
}

TEST(DnsMessage, RejectsCompressionLoops) {
  std::string error;
  // A pointer to itself.
  auto self = header_with_one_question();
  self.insert(self.end(), {0xC0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns_message(self, &error));
  EXPECT_NE(error.find("compression loop"), std::string::npos) << error;

  // A forward pointer.
  auto fwd = header_with_one_question();
  fwd.insert(fwd.end(), {0xC0, 14, 1, 'a', 0, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns_message(fwd, &error));

  // Two names pointing at each other: label at 12 then pointer to 16; at 16 a label then a
  // pointer back to 12.
  auto pair = header_with_one_question();
  pair.insert(pair.end(), {1, 'a', 0xC0, 16, 1, 'b', 0xC0, 12, 0, 1, 0, 1});
  EXPECT_FALSE(parse_dns_message(pair, &error));
  EXPECT_NE(error.find("compression loop"), std::string::npos) << error;
}

TEST(DnsMessage, RejectsOverlongNamesAndBadLabels) {
  auto m = header_with_one_question();
  for (int i = 0; i < 5; ++i) {  // 5 x 64 octets > 255
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  m.insert(m.end(), {0, 0, 1, 0, 1});
  std::string error;
  EXPECT_FALSE(parse_dns_message(m, &error));
  EXPECT_NE(error.find("255"), std::string::npos) << error;

  auto ext = header_with_one_question();
  ext.insert(ext.end(), {0x41, 'a', 0, 0, 1, 0, 1});  // 0x40 extended label type
  EXPECT_FALSE(parse_dns_message(ext, &error));
}

TEST(DnsMessage, RejectsBadRecordData) {
  std::string error;
  auto base = header_with_one_question();
  base[7] = 1;  // one answer
  base.insert(base.end(), {1, 'a', 0, 0, 1, 0, 1});

  auto bad_a = base;  // A with 5 bytes of data
  bad_a.insert(bad_a.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 5, 1, 2, 3, 4, 5});
  EXPECT_FALSE(parse_dns_message(bad_a, &error));

  auto overrun = base;  // rdlength past the end of the message
  overrun.insert(overrun.end(), {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0xFF, 0xFF, 1, 2, 3, 4});
  EXPECT_FALSE(parse_dns_message(overrun, &error));
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;

  auto txt = base;  // TXT string claims 10 bytes inside a 4-byte record
  txt.insert(txt.end(), {0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 1, 0, 4, 10, 'a', 'b', 'c'});
  EXPECT_FALSE(parse_dns_message(txt, &error));

  auto cname = base;  // CNAME whose name runs past its rdlength
  cname.insert(cname.end(), {0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 1, 0, 2, 3, 'a', 'b', 'c', 0});
  EXPECT_FALSE(parse_dns_message(cname, &error));

  auto unknown = base;  // unknown types are skipped, not rejected
  unknown.insert(unknown.end(), {0xC0, 12, 0, 99, 0, 1, 0, 0, 0, 1, 0, 3, 1, 2, 3});
  auto msg = parse_dns_message(unknown, &error);
  ASSERT_TRUE(msg) << error;
  EXPECT_EQ(msg->answers[0].value(), "\\# 3");
}

TEST(DnsMessage, ParsesHugeTxt) {
  DnsWriter::Header h;
  h.qr = true;
  DnsWriter w(h);
  w.question("huge.test", dns_type::kTxt);
  std::vector<std::string> parts(200, std::string(255, 'z'));
  w.txt("huge.test", 1, parts);
  ASSERT_TRUE(w.ok());
  auto bytes = w.finish();
  EXPECT_GT(bytes.size(), 50'000u);
  auto msg = parse_dns_message(bytes);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->answers[0].txt.size(), 200u);
  EXPECT_EQ(msg->answers[0].value().size(), 200u * 255u);
}

TEST(DnsMessage, HugeCountsInHeaderDoNotAllocate) {
  std::vector<uint8_t> m = {0, 1, 0x81, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_FALSE(parse_dns_message(m));
}

TEST(DnsMessage, EscapesOddLabelBytes) {
  auto m = header_with_one_question();
  m.insert(m.end(), {3, 'a', '.', 0x01, 0, 0, 1, 0, 1});
  auto msg = parse_dns_message(m);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->questions[0].name, "a\\046\\001");
}

TEST(DnsMessage, PrintableEscapesBytesJsonCannotCarry) {
  EXPECT_EQ(dns_printable("v=spf1 -all"), "v=spf1 -all");
  EXPECT_EQ(dns_printable(std::string("a\xff\x00" "b\\", 5)), "a\\255\\000b\\\\");
}

TEST(DnsMessage, WriterRejectsBadNames) {
  DnsWriter w({});
  w.question(std::string(64, 'a') + ".test", dns_type::kA);
  EXPECT_FALSE(w.ok());
  DnsWriter w2({});
  w2.question("a..test", dns_type::kA);
  EXPECT_FALSE(w2.ok());
  DnsWriter w3({});
  w3.question("fine.test.", dns_type::kA);
  EXPECT_TRUE(w3.ok());
}

TEST(DnsMessage, QueryBuilder) {
  auto q = build_dns_query(77, "2.0.0.127.zen.spamhaus.org", dns_type::kTxt, 1232);
  auto msg = parse_dns_message(q);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->id, 77);
  EXPECT_FALSE(msg->qr);
  EXPECT_TRUE(msg->rd);
  EXPECT_EQ(msg->questions[0].name, "2.0.0.127.zen.spamhaus.org");
  EXPECT_EQ(msg->questions[0].type, dns_type::kTxt);
  EXPECT_EQ(msg->edns_udp_size, 1232);
}

TEST(DnsMessage, TypeAndRcodeNames) {
  EXPECT_EQ(dns_type_from_name("mx"), dns_type::kMx);
  EXPECT_EQ(dns_type_from_name("AAAA"), dns_type::kAaaa);
  EXPECT_EQ(dns_type_from_name("TYPE99"), 99);
  EXPECT_FALSE(dns_type_from_name("BOGUS"));
  EXPECT_FALSE(dns_type_from_name("TYPE70000"));
  EXPECT_EQ(dns_type_name(dns_type::kSoa), "SOA");
  EXPECT_EQ(dns_type_name(99), "TYPE99");
  EXPECT_EQ(dns_rcode_from_name("nxdomain"), dns_rcode::kNxDomain);
  EXPECT_EQ(dns_rcode_name(dns_rcode::kServFail), "SERVFAIL");
  EXPECT_EQ(dns_rcode_name(11), "RCODE11");
  EXPECT_EQ(canonical_dns_name("Mail.Example.COM."), "mail.example.com");
}

}  // namespace
}  // namespace lookout::net
