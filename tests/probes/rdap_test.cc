#include "probes/rdap.h"

#include <gtest/gtest.h>

namespace lookout::probes::rdap {
namespace {

using namespace std::chrono;

// Shaped like a real gTLD registry reply (Verisign's for example.com), trimmed.
constexpr std::string_view kExampleCom = R"json({
  "objectClassName": "domain",
  "handle": "2336799_DOMAIN_COM-VRSN",
  "ldhName": "EXAMPLE.COM",
  "links": [{"value": "https://rdap.verisign.com/com/v1/domain/EXAMPLE.COM",
             "rel": "self", "href": "https://rdap.verisign.com/com/v1/domain/EXAMPLE.COM",
             "type": "application/rdap+json"}],
  "status": ["client delete prohibited", "client transfer prohibited",
             "client update prohibited"],
  "entities": [{
    "objectClassName": "entity", "handle": "376", "roles": ["registrar"],
    "publicIds": [{"type": "IANA Registrar ID", "identifier": "376"}],
    "vcardArray": ["vcard", [["version", {}, "text", "4.0"],
                             ["fn", {}, "text", "RESERVED-Internet Assigned Numbers Authority"]]],
    "entities": [{"objectClassName": "entity", "roles": ["abuse"],
                  "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", ""]]]}]
  }],
  "events": [
    {"eventAction": "registration", "eventDate": "1995-08-14T04:00:00Z"},
    {"eventAction": "expiration", "eventDate": "2026-08-13T04:00:00Z"},
    {"eventAction": "last changed", "eventDate": "2025-08-14T07:01:39Z"},
    {"eventAction": "last update of RDAP database", "eventDate": "2026-11-22T15:00:00Z"}
  ],
  "secureDNS": {"delegationSigned": true},
  "nameservers": [{"objectClassName": "nameserver", "ldhName": "A.IANA-SERVERS.NET"}],
  "rdapConformance": ["rdap_level_0", "icann_rdap_technical_implementation_guide_0"],
  "notices": [{"title": "Terms of Use", "description": ["Service subject to Terms of Use."]}]
})json";

sys_seconds utc(int y, int m, int d, int h = 0, int mi = 0, int s = 0) {
  return sys_days(year{y} / m / d) + hours(h) + minutes(mi) + seconds(s);
}

TEST(RdapTest, ParsesARealisticDomainObject) {
  auto p = parse_domain(kExampleCom);
  ASSERT_TRUE(p.domain) << p.error;
  const auto& d = *p.domain;
  EXPECT_EQ(d.ldh_name, "EXAMPLE.COM");
  ASSERT_TRUE(d.expires);
  EXPECT_EQ(*d.expires, utc(2026, 8, 13, 4));
  EXPECT_EQ(*d.registered, utc(1995, 8, 14, 4));
  EXPECT_EQ(*d.last_changed, utc(2025, 8, 14, 7, 1, 39));
  EXPECT_EQ(d.registrar, "RESERVED-Internet Assigned Numbers Authority");
  EXPECT_EQ(d.registrar_iana_id, "376");
  EXPECT_EQ(d.status, (std::vector<std::string>{"client delete prohibited",
                                                "client transfer prohibited",
                                                "client update prohibited"}));
}

TEST(RdapTest, MissingPartsAreEmptyNotErrors) {
  auto p = parse_domain(R"({"objectClassName":"domain","ldhName":"example.nl"})");
  ASSERT_TRUE(p.domain) << p.error;
  EXPECT_FALSE(p.domain->expires);
  EXPECT_TRUE(p.domain->registrar.empty());
  EXPECT_TRUE(p.domain->status.empty());
}

TEST(RdapTest, WrongTypesAreSkipped) {
  auto p = parse_domain(R"({"objectClassName":"domain","events":[1,"x",{"eventAction":7},
      {"eventAction":"expiration","eventDate":"not a date"},
      {"eventAction":"expiration","eventDate":"2030-01-01T00:00:00Z"}],
      "status":"active","entities":{"roles":"registrar"}})");
  ASSERT_TRUE(p.domain) << p.error;
  EXPECT_EQ(*p.domain->expires, utc(2030, 1, 1));
  EXPECT_TRUE(p.domain->status.empty());
}

TEST(RdapTest, LatestExpirationWins) {
  auto p = parse_domain(R"({"objectClassName":"domain","events":[
      {"eventAction":"expiration","eventDate":"2027-01-01T00:00:00Z"},
      {"eventAction":"expiration","eventDate":"2026-01-01T00:00:00Z"}]})");
  ASSERT_TRUE(p.domain);
  EXPECT_EQ(*p.domain->expires, utc(2027, 1, 1));
}

TEST(RdapTest, RegistrarExpirationWhenTheRegistryGivesNone) {
  // ICANN's registrar RDAP profile names it "registrar expiration".
  auto p = parse_domain(R"({"objectClassName":"domain","events":[
      {"eventAction":"registrar expiration","eventDate":"2027-03-01T00:00:00Z"}]})");
  ASSERT_TRUE(p.domain);
  ASSERT_TRUE(p.domain->expires);
  EXPECT_EQ(*p.domain->expires, utc(2027, 3, 1));
  // The registry's own date wins when both are there.
  auto both = parse_domain(R"({"objectClassName":"domain","events":[
      {"eventAction":"registrar expiration","eventDate":"2027-03-01T00:00:00Z"},
      {"eventAction":"expiration","eventDate":"2027-02-01T00:00:00Z"}]})");
  ASSERT_TRUE(both.domain);
  EXPECT_EQ(*both.domain->expires, utc(2027, 2, 1));
}

TEST(RdapTest, RegistrarHandleWhenNoVcard) {
  auto p = parse_domain(R"({"objectClassName":"domain","entities":[
      {"roles":["technical"],"handle":"T1"},{"roles":["Registrar"],"handle":"REG-42"}]})");
  ASSERT_TRUE(p.domain);
  EXPECT_EQ(p.domain->registrar, "REG-42");
}

TEST(RdapTest, RejectsWhatIsNotADomain) {
  EXPECT_EQ(parse_domain("<html>busy</html>").error, "reply is not JSON");
  EXPECT_EQ(parse_domain("[1,2]").error, "reply is not a JSON object");
  EXPECT_EQ(parse_domain(R"({"objectClassName":"entity"})").error,
            "reply is an RDAP 'entity' object, not a domain");
  EXPECT_EQ(parse_domain(R"({"errorCode":404,"title":"Not Found","description":["No such domain"]})")
                .error,
            "RDAP error: Not Found: No such domain");
  EXPECT_FALSE(parse_domain("").domain);
  EXPECT_FALSE(parse_domain(std::string(1000, '[')).domain);
}

TEST(RdapTest, ErrorText) {
  EXPECT_EQ(error_text(R"({"errorCode":429,"title":"Too many requests"})"), "Too many requests");
  EXPECT_EQ(error_text(R"({"title":"no code"})"), "");
  EXPECT_EQ(error_text("garbage"), "");
}

TEST(RdapTest, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("2026-08-13T04:00:00Z"), utc(2026, 8, 13, 4));
  EXPECT_EQ(parse_rfc3339("2026-08-13t04:00:00z"), utc(2026, 8, 13, 4));
  EXPECT_EQ(parse_rfc3339("2026-08-13T06:00:00+02:00"), utc(2026, 8, 13, 4));
  EXPECT_EQ(parse_rfc3339("2026-08-12T23:30:00-04:30"), utc(2026, 8, 13, 4));
  EXPECT_EQ(parse_rfc3339("2026-08-13T04:00:00"), utc(2026, 8, 13, 4));  // zone-less: UTC
  EXPECT_EQ(parse_rfc3339("2026-08-13T04:00:00.5Z"), utc(2026, 8, 13, 4) + milliseconds(500));
  EXPECT_EQ(parse_rfc3339("2200-12-31T23:59:59Z"), utc(2200, 12, 31, 23, 59, 59));
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59Z"));  // beyond system_clock's range
  EXPECT_FALSE(parse_rfc3339("1066-10-14T09:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-08-13"));
  EXPECT_FALSE(parse_rfc3339("2026-08-13T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-08-13T04:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2026-08-13T04:00:00+0200"));
  EXPECT_FALSE(parse_rfc3339("2026-08-13T04:00:00Z trailing"));
  EXPECT_FALSE(parse_rfc3339(""));
}

constexpr std::string_view kBootstrap = R"json({
  "version": "1.0",
  "publication": "2026-11-01T00:00:00Z",
  "description": "RDAP bootstrap file for Domain Name System registrations",
  "services": [
    [["com", "net"], ["http://rdap.example/com/", "https://rdap.example/com/"]],
    [["uk"], ["https://rdap.nominet.example/uk/"]],
    [["co.uk"], ["https://rdap.nominet.example/co.uk/"]],
    [["org"], ["https://rdap.org.example/"]]
  ]
})json";

TEST(RdapTest, BootstrapPicksLongestMatchAndHttps) {
  std::string err;
  auto b = parse_bootstrap(kBootstrap, err);
  ASSERT_TRUE(b) << err;
  EXPECT_EQ(b->publication, "2026-11-01T00:00:00Z");
  EXPECT_EQ(b->services.size(), 4u);
  EXPECT_EQ(base_url_for(*b, "example.com"), "https://rdap.example/com/");
  EXPECT_EQ(base_url_for(*b, "Example.NET."), "https://rdap.example/com/");
  EXPECT_EQ(base_url_for(*b, "shop.co.uk"), "https://rdap.nominet.example/co.uk/");
  EXPECT_EQ(base_url_for(*b, "example.uk"), "https://rdap.nominet.example/uk/");
  EXPECT_FALSE(base_url_for(*b, "example.dev"));
  EXPECT_FALSE(base_url_for(*b, "examplecom"));
}

TEST(RdapTest, BootstrapErrors) {
  std::string err;
  EXPECT_FALSE(parse_bootstrap("nope", err));
  EXPECT_EQ(err, "not a JSON object");
  EXPECT_FALSE(parse_bootstrap(R"({"version":"1.0"})", err));
  EXPECT_FALSE(parse_bootstrap(R"({"services":[["com"]]})", err));
  EXPECT_EQ(err, "services[0] is not [[labels...], [urls...]]");
}

TEST(RdapTest, QueryUrlAndNames) {
  EXPECT_EQ(domain_query_url("https://r.example/v1/", "a.com"), "https://r.example/v1/domain/a.com");
  EXPECT_EQ(domain_query_url("https://r.example/v1", "a.com"), "https://r.example/v1/domain/a.com");
  EXPECT_EQ(normalize_domain("Example.COM."), "example.com");
  EXPECT_EQ(normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(normalize_domain("com"), "");
  EXPECT_EQ(normalize_domain("a..com"), "");
  EXPECT_EQ(normalize_domain("-a.com"), "");
  EXPECT_EQ(normalize_domain("a.com/../x"), "");
  EXPECT_EQ(normalize_domain("a b.com"), "");
  EXPECT_EQ(normalize_domain(std::string(64, 'a') + ".com"), "");
}

}  // namespace
}  // namespace lookout::probes::rdap
