#include "net/url.h"

#include <gtest/gtest.h>

using lookout::net::parse_url;
using lookout::net::resolve_location;
using lookout::net::split_host_port;

TEST(UrlTest, ParsesHostsPortsAndTargets) {
  auto u = parse_url("https://Shop.Example.TEST:8443/a/b?x=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "shop.example.test");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?x=1");
  EXPECT_EQ(u->host_header(), "shop.example.test:8443");
  auto v6 = parse_url("http://[::1]/");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(v6->host_is_ip);
  EXPECT_EQ(v6->host_header(), "[::1]");
  EXPECT_EQ(parse_url("http://example.test")->target, "/");
}

TEST(UrlTest, RejectsWhatCannotBeRequested) {
  std::string err;
  EXPECT_FALSE(parse_url("ftp://example.test/", &err));
  EXPECT_EQ(err, "scheme must be http or https");
  EXPECT_FALSE(parse_url("not a url"));
  EXPECT_FALSE(parse_url("http:///path"));
  EXPECT_FALSE(parse_url("http://user:pw@example.test/"));
  // found by the http_response fuzzer: junk in the port must not become part of the path
  EXPECT_FALSE(parse_url("https://[::1]:84=3/x"));
  EXPECT_FALSE(parse_url("https://[::1]43/x"));
  EXPECT_FALSE(parse_url("https://[::1]:84$43/x"));
  EXPECT_FALSE(parse_url("http://example.test:99999/"));
}

TEST(UrlTest, ResolvesRelativeAndAbsoluteLocations) {
  auto base = parse_url("http://127.0.0.1:8080/a/b?q=1");
  ASSERT_TRUE(base);
  EXPECT_EQ(resolve_location(*base, "/c")->to_string(), "http://127.0.0.1:8080/c");
  EXPECT_EQ(resolve_location(*base, "d")->to_string(), "http://127.0.0.1:8080/a/d");
  EXPECT_EQ(resolve_location(*base, "https://other.test/x#f")->to_string(), "https://other.test/x");
  EXPECT_FALSE(resolve_location(*base, "ftp://other.test/"));
  EXPECT_FALSE(resolve_location(*base, "https://[::1]:84=3/x"));
}

TEST(UrlTest, SplitsHostAndPort) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(split_host_port("127.0.0.1:5353", host, port, 53));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 5353);
  ASSERT_TRUE(split_host_port("[::1]:853", host, port, 53));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 853);
  ASSERT_TRUE(split_host_port("::1", host, port, 53));
  EXPECT_EQ(port, 53);
  EXPECT_FALSE(split_host_port("host:0", host, port, 53));
  ASSERT_TRUE(split_host_port("127.0.0.1:0", host, port, 53, /*allow_port_zero=*/true));
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(split_host_port("host:abc", host, port, 53));
}

// RFC 3986 5.4.2: ".." above the root is dropped ("../../../g" -> "/g"); Boost.URL 1.81 kept it,
// and nginx answered the resulting "/../x" with 400.
TEST(UrlTest, DotSegmentsAboveTheRootAreRemoved) {
  auto base = parse_url("http://a/b/c/d;p?q");
  ASSERT_TRUE(base);
  EXPECT_EQ(resolve_location(*base, "../../../g")->to_string(), "http://a/g");
  EXPECT_EQ(resolve_location(*base, "../../../../g")->to_string(), "http://a/g");
  EXPECT_EQ(resolve_location(*base, "/../g")->to_string(), "http://a/g");
  EXPECT_EQ(resolve_location(*base, "/./g")->to_string(), "http://a/g");
  EXPECT_EQ(resolve_location(*base, "../..")->to_string(), "http://a/");
  EXPECT_EQ(resolve_location(*base, "../../..")->to_string(), "http://a/");
  EXPECT_EQ(resolve_location(*parse_url("https://x.test/rel"), "../index.html")->to_string(),
            "https://x.test/index.html");
  EXPECT_EQ(resolve_location(*base, "/..?x=1")->to_string(), "http://a/?x=1");
}

// Servers send raw spaces and UTF-8 in Location; browsers and curl percent-encode them.
TEST(UrlTest, LocationWithSpacesOrUtf8IsEncodedNotRejected) {
  auto base = parse_url("http://a/b");
  ASSERT_TRUE(base);
  auto spaced = resolve_location(*base, "/new page?q=a b");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->to_string(), "http://a/new%20page?q=a%20b");
  auto utf8 = resolve_location(*base, "/caf\xc3\xa9");
  ASSERT_TRUE(utf8);
  EXPECT_EQ(utf8->target, "/caf%C3%A9");
  EXPECT_EQ(resolve_location(*base, "  /trimmed  ")->target, "/trimmed");
  EXPECT_EQ(resolve_location(*base, "/already%20encoded")->target, "/already%20encoded");
  EXPECT_FALSE(resolve_location(*base, "http://bad host/"));
}
