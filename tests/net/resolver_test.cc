// The c-ares resolver on Asio against the estate's DNS server: answers, TTL cache, NXDOMAIN,
// timeouts; and the HTTP probe's every-address option through it.
#include "net/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "agent/oneshot.h"
#include "tests/estate/estate.h"

namespace asio = boost::asio;
using lookout::net::AddressFamily;
using lookout::net::Resolver;
using lookout::net::ResolveResult;
using lookout::net::ResolverOptions;
using namespace std::chrono_literals;

namespace {

class ResolverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    estate_ = new lookout::estate::Estate(lookout::estate::EstateOptions{});
    estate_->start();
  }
  static void TearDownTestSuite() {
    delete estate_;
    estate_ = nullptr;
  }

  ResolveResult resolve(Resolver& r, const std::string& host, std::chrono::milliseconds budget = 3s) {
    ResolveResult out;
    asio::co_spawn(io_, r.resolve(host, AddressFamily::any, std::chrono::steady_clock::now() + budget),
                   [&](std::exception_ptr, ResolveResult res) {
                     out = std::move(res);
                     io_.stop();  // c-ares keeps idle sockets watched: the io never runs dry
                   });
    io_.restart();
    io_.run_for(10s);
    return out;
  }

  static lookout::estate::Estate* estate_;
  asio::io_context io_;
};
lookout::estate::Estate* ResolverTest::estate_ = nullptr;

TEST_F(ResolverTest, ResolvesAndCachesForTheTtl) {
  ResolverOptions o;
  o.servers = {estate_->endpoint("dns")};
  Resolver r(io_.get_executor(), o);
  auto first = resolve(r, "estate.test");
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_FALSE(first.from_cache);
  EXPECT_GT(first.ttl_seconds, 0);
  std::vector<std::string> got;
  for (const auto& a : first.addresses) got.push_back(a.to_string());
  EXPECT_THAT(got, ::testing::UnorderedElementsAre("127.0.0.1", "::1"));
  auto second = resolve(r, "estate.test");
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(second.from_cache);
  EXPECT_EQ(r.stats().cache_hits, 1u);
  EXPECT_EQ(r.stats().cache_misses, 1u);
}

TEST_F(ResolverTest, NxdomainIsADefiniteAnswerAndCachedBriefly) {
  ResolverOptions o;
  o.servers = {estate_->endpoint("dns")};
  Resolver r(io_.get_executor(), o);
  auto a = resolve(r, "no-such-host.estate.test");
  EXPECT_FALSE(a.ok);
  EXPECT_FALSE(a.timed_out);
  EXPECT_EQ(a.error, "NXDOMAIN");
  auto b = resolve(r, "no-such-host.estate.test");
  EXPECT_TRUE(b.from_cache);
}

TEST_F(ResolverTest, ASilentServerTimesOutByTheDeadline) {
  asio::ip::udp::socket silent(io_, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  ResolverOptions o;
  o.servers = {"127.0.0.1:" + std::to_string(silent.local_endpoint().port())};
  o.query_timeout = 5s;  // longer than the deadline: the deadline must win
  Resolver r(io_.get_executor(), o);
  auto t0 = std::chrono::steady_clock::now();
  auto a = resolve(r, "estate.test", 300ms);
  EXPECT_FALSE(a.ok);
  EXPECT_TRUE(a.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_F(ResolverTest, IpLiteralsNeedNoLookup) {
  Resolver r(io_.get_executor(), {});
  auto a = resolve(r, "::1");
  ASSERT_TRUE(a.ok);
  EXPECT_EQ(a.addresses.at(0).to_string(), "::1");
  EXPECT_EQ(r.stats().cache_misses, 0u);
}

TEST_F(ResolverTest, HttpAllAddressesReportsTheAddressThatIsDown) {
  // estate.test has 127.0.0.1 and ::1; the estate's HTTP site listens on 127.0.0.1 only.
  std::string http = estate_->endpoint("http");  // http://127.0.0.1:PORT
  std::string port = http.substr(http.rfind(':') + 1);
  lookout::agent::OneShotRequest req;
  req.type = "http";
  req.target = "http://estate.test:" + port + "/ok";
  req.resolver_servers = {estate_->endpoint("dns")};
  req.timeout = 5s;
  req.options["all_addresses"] = {"true"};
  auto out = lookout::agent::run_one_check(req);
  ASSERT_TRUE(out.valid) << out.errors.to_string();
  EXPECT_EQ(out.result.status, lookout::probes::Status::critical);
  EXPECT_THAT(out.result.summary, ::testing::StartsWith("down on 1 of 2 addresses: "));
  EXPECT_THAT(out.result.summary, ::testing::HasSubstr("[::1]:" + port));
  ASSERT_EQ(out.result.facts["addresses"].size(), 2u);

  req.options.clear();  // without the option the first reachable address decides
  out = lookout::agent::run_one_check(req);
  EXPECT_EQ(out.result.status, lookout::probes::Status::ok) << out.result.summary;
}

}  // namespace
