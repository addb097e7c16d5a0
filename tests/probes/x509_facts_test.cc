#include "net/x509_facts.h"
#include "probes/tls_verdict.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include "tests/estate/cert_factory.h"

namespace lookout::probes {
using namespace lookout::net;
namespace {

using estate::CertSpec;
using estate::Certificate;
using estate::make_certificate;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::system_clock;

std::string der_of(X509* cert) {
  unsigned char* buf = nullptr;
  int n = i2d_X509(cert, &buf);
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(std::max(n, 0)));
  OPENSSL_free(buf);
  return out;
}

// Re-signs a copy of `c` after `edit` changed it: for fields CertSpec cannot express
// (dates beyond what system_clock holds).
Certificate edited(const Certificate& c, const std::function<void(X509*)>& edit) {
  Certificate out = c;
  out.cert.reset(X509_dup(c.cert.get()), estate::X509Free{});
  edit(out.cert.get());
  EXPECT_GT(X509_sign(out.cert.get(), c.key.get(), EVP_sha256()), 0);
  return out;
}

void set_time(X509* x, const char* text, bool before) {
  ASN1_TIME* t = ASN1_TIME_new();
  ASSERT_EQ(ASN1_TIME_set_string_X509(t, text), 1) << text;
  ASSERT_EQ(before ? X509_set1_notBefore(x, t) : X509_set1_notAfter(x, t), 1);
  ASN1_TIME_free(t);
}

CertSpec leaf(const std::string& host) {
  CertSpec s = estate::leaf_spec(host);
  return s;
}

class X509FactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    CertSpec ca;
    ca.common_name = "Facts Test CA";
    ca.is_ca = true;
    ca.key_type = estate::KeyType::rsa;
    root_ = new Certificate(make_certificate(ca, nullptr));
  }
  static void TearDownTestSuite() { delete root_; }
  static Certificate* root_;
  system_clock::time_point now_ = system_clock::now();
};
Certificate* X509FactsTest::root_ = nullptr;

TEST_F(X509FactsTest, ExtractsTheUsualFields) {
  CertSpec s = leaf("shop.example.net");
  s.dns_names.push_back("www.shop.example.net");
  s.ip_addresses = {"127.0.0.1", "::1"};
  s.serial_hex = "03A1";
  s.key_type = estate::KeyType::rsa;
  s.rsa_bits = 2048;
  s.not_before = now_ - days(10);
  s.not_after = now_ + days(80);
  Certificate c = make_certificate(s, root_);
  CertFacts f = extract_cert_facts(c.cert.get());

  EXPECT_EQ(f.subject, "CN=shop.example.net,O=Lookout Estate");
  EXPECT_EQ(f.issuer, "CN=Facts Test CA,O=Lookout Estate");
  EXPECT_EQ(f.common_name, "shop.example.net");
  EXPECT_EQ(f.dns_names, (std::vector<std::string>{"shop.example.net", "www.shop.example.net"}));
  EXPECT_EQ(f.ip_addresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(f.san_count, 4u);
  EXPECT_EQ(f.serial, "03a1");  // two digits per byte: the leading zero nibble stays
  EXPECT_EQ(f.signature_algorithm, "sha256WithRSAEncryption");
  EXPECT_EQ(f.key_type, "RSA");
  EXPECT_EQ(f.key_bits, 2048);
  ASSERT_TRUE(f.not_after && f.not_before);
  EXPECT_NEAR(*f.days_left(now_), 80.0, 0.01);
  EXPECT_NEAR(*f.lifetime_days(), 90.0, 0.01);
  EXPECT_EQ(f.fingerprint_sha256.size(), 64u);
  EXPECT_FALSE(f.is_ca);
  EXPECT_FALSE(f.self_signed);
  EXPECT_FALSE(is_weak_key(f));
  EXPECT_FALSE(is_weak_signature(f));

  CertFacts ca = extract_cert_facts(root_->cert.get());
  EXPECT_TRUE(ca.is_ca);
  EXPECT_TRUE(ca.self_signed);
}

TEST_F(X509FactsTest, EcKeyAndEcdsaSignature) {
  CertSpec s = leaf("ec.example");
  Certificate c = make_certificate(s, nullptr);  // self-signed EC P-256
  CertFacts f = extract_cert_facts(c.cert.get());
  EXPECT_EQ(f.key_type, "EC");
  EXPECT_EQ(f.key_bits, 256);
  EXPECT_EQ(f.signature_algorithm, "ecdsa-with-SHA256");
  EXPECT_TRUE(f.self_signed);
  EXPECT_EQ(f.subject, f.issuer);
}

TEST_F(X509FactsTest, WeakKeyAndSha1AreFlagged) {
  CertSpec s = leaf("weak.example");
  s.key_type = estate::KeyType::rsa;
  s.rsa_bits = 1024;
  s.digest = estate::Digest::sha1;
  Certificate c = make_certificate(s, root_);
  CertFacts f = extract_cert_facts(c.cert.get());
  EXPECT_EQ(f.key_bits, 1024);
  EXPECT_EQ(f.signature_algorithm, "sha1WithRSAEncryption");
  EXPECT_TRUE(is_weak_key(f));
  EXPECT_TRUE(is_weak_signature(f));

  TlsObservation obs;
  obs.served = {f};
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::critical);
  EXPECT_TRUE(v.has(TlsFinding::weak_key));
  EXPECT_TRUE(v.has(TlsFinding::weak_signature));
  EXPECT_EQ(v.findings_json(), nlohmann::json::parse(R"(["weak_key","weak_signature"])"));
}

TEST_F(X509FactsTest, CertificateWithoutCommonName) {
  CertSpec s;
  s.common_name.reset();
  s.organization = "No CN Inc";
  s.dns_names = {"nocn.example"};
  Certificate c = make_certificate(s, root_);
  CertFacts f = extract_cert_facts(c.cert.get());
  EXPECT_EQ(f.common_name, "");
  EXPECT_EQ(f.subject, "O=No CN Inc");
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "nocn.example"));
  EXPECT_FALSE(cert_matches_host(c.cert.get(), "other.example"));
  TlsObservation obs;
  obs.served = {f};
  obs.host = "nocn.example";
  obs.host_matches = true;
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::ok);
  EXPECT_NE(v.summary.find("O=No CN Inc"), std::string::npos) << v.summary;
}

TEST_F(X509FactsTest, FiveHundredSansAreCountedButCapped) {
  CertSpec s = leaf("san0.example");
  for (int i = 1; i < 500; ++i) s.dns_names.push_back("san" + std::to_string(i) + ".example");
  Certificate c = make_certificate(s, root_);
  CertFacts f = extract_cert_facts(c.cert.get());
  EXPECT_EQ(f.san_count, 500u);
  EXPECT_EQ(f.dns_names.size(), CertFacts::kMaxSans);
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "san499.example"));  // the check sees them all
  auto j = cert_facts_json(f, now_);
  EXPECT_EQ(j["san_count"], 500);
  EXPECT_EQ(j["sans"].size(), CertFacts::kMaxSans);

  TlsObservation obs;
  obs.served = {f};
  obs.host = "nope.example";
  obs.host_matches = cert_matches_host(c.cert.get(), obs.host);
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::hostname_mismatch});
  EXPECT_NE(v.summary.find("500 in all"), std::string::npos) << v.summary;
  EXPECT_LT(v.summary.size(), 400u);
}

TEST_F(X509FactsTest, NegativeAndOddSerials) {
  CertSpec s = leaf("serial.example");
  s.serial_hex = "-1F";
  CertFacts neg = extract_cert_facts(make_certificate(s, root_).cert.get());
  EXPECT_EQ(neg.serial, "-1f");
  s.serial_hex = "FF00";  // DER needs a leading zero byte; the minimal form does not
  EXPECT_EQ(extract_cert_facts(make_certificate(s, root_).cert.get()).serial, "ff00");
  s.serial_hex = "0";
  EXPECT_EQ(extract_cert_facts(make_certificate(s, root_).cert.get()).serial, "00");
  s.serial_hex = std::string(40, 'A');  // 20 bytes, the RFC 5280 maximum
  EXPECT_EQ(extract_cert_facts(make_certificate(s, root_).cert.get()).serial,
            std::string(40, 'a'));
}

TEST_F(X509FactsTest, DatesIn1950And9999) {
  Certificate c = edited(make_certificate(leaf("old.example"), root_), [](X509* x) {
    set_time(x, "500101000000Z", true);        // UTCTime: 1950
    set_time(x, "99991231235959Z", false);     // GeneralizedTime: 9999
  });
  CertFacts f = extract_cert_facts(c.cert.get());
  ASSERT_TRUE(f.not_before && f.not_after);
  EXPECT_EQ(iso8601_utc(*f.not_before), "1950-01-01T00:00:00Z");
  EXPECT_EQ(iso8601_utc(*f.not_after), "9999-12-31T23:59:59Z");
  EXPECT_GT(*f.days_left(now_), 2'800'000.0);
  auto j = cert_facts_json(f, now_);
  EXPECT_EQ(j["not_before"], "1950-01-01T00:00:00Z");
  TlsObservation obs;
  obs.served = {f};
  EXPECT_EQ(classify_tls(obs, {}, now_).status, Status::ok);

  // Expired in 1951: expired, and days_left is still reported (negative).
  Certificate old = edited(c, [](X509* x) { set_time(x, "510101000000Z", false); });
  obs.served = {extract_cert_facts(old.cert.get())};
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::expired});
  ASSERT_TRUE(v.days_left);
  EXPECT_LT(*v.days_left, -27'000.0);
  EXPECT_NE(v.summary.find("expired"), std::string::npos);
}

TEST_F(X509FactsTest, NotAfterBeforeNotBeforeIsNotACrash) {
  Certificate c = edited(make_certificate(leaf("inverted.example"), root_), [](X509* x) {
    set_time(x, "20300101000000Z", true);
    set_time(x, "20200101000000Z", false);
  });
  CertFacts f = extract_cert_facts(c.cert.get());
  EXPECT_EQ(*f.lifetime_days(), 0.0);
  TlsObservation obs;
  obs.served = {f};
  EXPECT_TRUE(classify_tls(obs, {}, now_).has(TlsFinding::expired));
}

TEST_F(X509FactsTest, NonAsciiBytesAreEscaped) {
  CertSpec s = leaf("x.example");
  s.common_name = "caf\xc3\xa9 \x01";
  s.organization = "Org \"quoted\", with comma";
  Certificate c = make_certificate(s, root_);
  CertFacts f = extract_cert_facts(c.cert.get());
  for (char ch : f.common_name + f.subject)
    EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << f.subject;
  EXPECT_NO_THROW(cert_facts_json(f, now_).dump());
}

TEST_F(X509FactsTest, GarbageDerIsRejected) {
  EXPECT_FALSE(cert_facts_from_der(""));
  EXPECT_FALSE(cert_facts_from_der("\x30\x82\xff\xff garbage"));
  std::string der = der_of(root_->cert.get());
  EXPECT_FALSE(cert_facts_from_der(der.substr(0, der.size() / 2)));
  auto f = cert_facts_from_der(der);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->common_name, "Facts Test CA");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

std::string ocsp_der(OCSP_RESPONSE* resp) {
  unsigned char* der = nullptr;
  int n = i2d_OCSP_RESPONSE(resp, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(std::max(n, 0)));
  OPENSSL_free(der);
  OCSP_RESPONSE_free(resp);
  return out;
}

std::string ocsp_for(const Certificate& leaf, const Certificate& issuer, int status) {
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), leaf.cert.get(), issuer.cert.get());
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  ASN1_TIME* now = X509_gmtime_adj(nullptr, 0);
  OCSP_basic_add1_status(basic, id, status, status == V_OCSP_CERTSTATUS_REVOKED ? 1 : 0,
                         status == V_OCSP_CERTSTATUS_REVOKED ? now : nullptr, now, nullptr);
  OCSP_basic_sign(basic, issuer.cert.get(), issuer.key.get(), EVP_sha256(), nullptr, 0);
  std::string der = ocsp_der(OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic));
  ASN1_TIME_free(now);
  OCSP_BASICRESP_free(basic);
  OCSP_CERTID_free(id);
  return der;
}

TEST_F(X509FactsTest, OcspStapleStatus) {
  Certificate leaf_cert = make_certificate(leaf("ocsp.example"), root_);
  Certificate other = make_certificate(leaf("other.example"), root_);
  X509* l = leaf_cert.cert.get();
  X509* issuer = root_->cert.get();
  EXPECT_EQ(ocsp_staple_status(ocsp_for(leaf_cert, *root_, V_OCSP_CERTSTATUS_GOOD), l, issuer),
            "good");
  EXPECT_EQ(ocsp_staple_status(ocsp_for(leaf_cert, *root_, V_OCSP_CERTSTATUS_REVOKED), l, issuer),
            "revoked");
  EXPECT_EQ(ocsp_staple_status(ocsp_for(leaf_cert, *root_, V_OCSP_CERTSTATUS_UNKNOWN), l, issuer),
            "unknown");
  EXPECT_EQ(ocsp_staple_status(ocsp_for(other, *root_, V_OCSP_CERTSTATUS_GOOD), l, issuer),
            "no_status");
  EXPECT_EQ(ocsp_staple_status(ocsp_for(leaf_cert, *root_, V_OCSP_CERTSTATUS_GOOD), l, nullptr),
            "no_status");
  EXPECT_EQ(ocsp_staple_status(ocsp_der(OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr)),
                               l, issuer),
            "unsuccessful");
  EXPECT_EQ(ocsp_staple_status("\x30\x03garbage", l, issuer), "malformed");
  EXPECT_EQ(ocsp_staple_status("", l, issuer), "malformed");
  EXPECT_EQ(ERR_peek_error(), 0u);

  TlsObservation obs;
  obs.served = {extract_cert_facts(l)};
  obs.ocsp_revoked = true;
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::untrusted});
  EXPECT_NE(v.summary.find("revoked"), std::string::npos);
}

// ---- thresholds ----

CertFacts dated(system_clock::time_point now, double lifetime_days, double days_left) {
  CertFacts f;
  f.common_name = "t.example";
  auto secs = [](auto tp) {
    return std::chrono::duration_cast<std::chrono::seconds>(tp.time_since_epoch()).count();
  };
  auto left = std::chrono::duration_cast<system_clock::duration>(
      std::chrono::duration<double, std::ratio<86400>>(days_left));
  auto life = std::chrono::duration_cast<system_clock::duration>(
      std::chrono::duration<double, std::ratio<86400>>(lifetime_days));
  f.not_after = secs(now + left);
  f.not_before = secs(now + left - life);
  f.key_type = "EC";
  f.key_bits = 256;
  return f;
}

Status verdict(system_clock::time_point now, double lifetime, double left,
               ExpiryPolicy p = {}) {
  TlsObservation obs;
  obs.served = {dated(now, lifetime, left)};
  return classify_tls(obs, p, now).status;
}

TEST_F(X509FactsTest, DefaultThresholdsFollowTheLifetime) {
  // 90-day certificate: warning below 22.5 days, so a renewal at 30 days left never warns.
  EXPECT_EQ(verdict(now_, 90, 30), Status::ok);
  EXPECT_EQ(verdict(now_, 90, 23), Status::ok);
  EXPECT_EQ(verdict(now_, 90, 22), Status::warning);
  EXPECT_EQ(verdict(now_, 90, 7.5), Status::warning);
  EXPECT_EQ(verdict(now_, 90, 7), Status::critical);
  EXPECT_EQ(verdict(now_, 90, 0.1), Status::critical);
  // One-year certificate: capped at 30 days.
  EXPECT_EQ(verdict(now_, 365, 31), Status::ok);
  EXPECT_EQ(verdict(now_, 365, 29), Status::warning);
  // 45-day certificate: warning below 11.25 days.
  EXPECT_EQ(verdict(now_, 45, 12), Status::ok);
  EXPECT_EQ(verdict(now_, 45, 11), Status::warning);
}

TEST_F(X509FactsTest, ConfiguredThresholds) {
  ExpiryPolicy days_only;
  days_only.warn_days = 45;
  days_only.crit_days = 10;
  EXPECT_EQ(verdict(now_, 90, 44, days_only), Status::warning);
  EXPECT_EQ(verdict(now_, 90, 46, days_only), Status::ok);
  EXPECT_EQ(verdict(now_, 90, 9, days_only), Status::critical);
  ExpiryPolicy fraction;
  fraction.warn_fraction = 0.5;
  fraction.crit_fraction = 0.1;
  EXPECT_EQ(verdict(now_, 6, 2.9, fraction), Status::warning);  // short-lived certificate
  EXPECT_EQ(verdict(now_, 6, 3.1, fraction), Status::ok);
  EXPECT_EQ(verdict(now_, 6, 0.5, fraction), Status::critical);
  ExpiryPolicy both;
  both.warn_days = 30;
  both.warn_fraction = 0.5;
  EXPECT_EQ(verdict(now_, 365, 31, both), Status::ok);
  EXPECT_EQ(verdict(now_, 20, 11, both), Status::ok);
  EXPECT_EQ(verdict(now_, 20, 9, both), Status::warning);
}

TEST_F(X509FactsTest, IntermediateExpiringFirstIsReported) {
  TlsObservation obs;
  obs.served = {dated(now_, 90, 60), dated(now_, 1825, 3)};
  obs.served[1].is_ca = true;
  obs.served[1].common_name = "Old Intermediate";
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::critical);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::expiring});
  EXPECT_NEAR(*v.days_left, 3, 0.01);
  EXPECT_NEAR(*v.leaf_days_left, 60, 0.01);
  EXPECT_NEAR(*v.intermediate_days_left, 3, 0.01);
  EXPECT_NE(v.summary.find("intermediate certificate 'Old Intermediate'"), std::string::npos)
      << v.summary;
}

TEST_F(X509FactsTest, VerifyErrorsMapToFindings) {
  auto classify = [&](std::vector<VerifyError> errors, size_t served = 1) {
    TlsObservation obs;
    obs.served.assign(served, dated(now_, 90, 60));
    if (served > 1) obs.served[1].is_ca = true;
    obs.verify_errors = std::move(errors);
    return classify_tls(obs, {}, now_).findings;
  };
  using F = TlsFinding;
  EXPECT_EQ(classify({{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0}}),
            std::vector<F>{F::chain_incomplete});
  EXPECT_EQ(classify({{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 1}}, 2),
            std::vector<F>{F::untrusted});
  EXPECT_EQ(classify({{X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0}}), std::vector<F>{F::self_signed});
  EXPECT_EQ(classify({{X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 1}}, 2), std::vector<F>{F::untrusted});
  EXPECT_EQ(classify({{X509_V_ERR_CERT_SIGNATURE_FAILURE, 0}}), std::vector<F>{F::untrusted});
  EXPECT_EQ(classify({{X509_V_ERR_CA_MD_TOO_WEAK, 1}}, 2), std::vector<F>{F::weak_signature});
  EXPECT_EQ(classify({{X509_V_ERR_EE_KEY_TOO_SMALL, 0}}), std::vector<F>{F::weak_key});
  EXPECT_EQ(classify({{X509_V_ERR_HOSTNAME_MISMATCH, 0}}), std::vector<F>{F::hostname_mismatch});
  EXPECT_EQ(classify({}), std::vector<F>{});
}

TEST_F(X509FactsTest, LegacyProtocolIsCritical) {
  TlsObservation obs;
  obs.served = {dated(now_, 90, 60)};
  obs.legacy_accepted = true;
  obs.legacy_version = "TLS 1.0";
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::critical);
  EXPECT_EQ(v.summary, "server still accepts TLS 1.0");
}

TEST_F(X509FactsTest, HostMatchingUsesTheSansOnly) {
  CertSpec s = leaf("shop.example.net");
  s.dns_names = {"shop.example.net", "*.cdn.example.net"};
  Certificate c = make_certificate(s, root_);
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "shop.example.net"));
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "SHOP.example.NET"));
  // A fully qualified name with its root dot is the same name.
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "shop.example.net."));
  EXPECT_TRUE(cert_matches_host(c.cert.get(), "a.cdn.example.net"));
  EXPECT_FALSE(cert_matches_host(c.cert.get(), "a.b.cdn.example.net"));
  EXPECT_FALSE(cert_matches_host(c.cert.get(), "cdn.example.net"));

  // No subjectAltName at all: browsers and Go (so blackbox_exporter) ignore the CN since 2017.
  CertSpec cn_only = leaf("legacy.example.net");
  cn_only.dns_names.clear();
  cn_only.ip_addresses.clear();
  Certificate legacy = make_certificate(cn_only, root_);
  EXPECT_FALSE(cert_matches_host(legacy.cert.get(), "legacy.example.net"));
  TlsObservation obs;
  obs.served = {extract_cert_facts(legacy.cert.get())};
  obs.host = "legacy.example.net";
  obs.host_matches = false;
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::hostname_mismatch});
  EXPECT_NE(v.summary.find("no subjectAltName"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("legacy.example.net"), std::string::npos) << v.summary;
}

TEST_F(X509FactsTest, WrongIntermediateIsAnIncompleteChain) {
  // The server sends an intermediate, but not the one that issued the leaf (a stale file
  // after the CA switched intermediates).
  TlsObservation obs;
  obs.served = {dated(now_, 90, 60), dated(now_, 1825, 900)};
  obs.served[0].issuer = "CN=E5,O=Let's Encrypt";
  obs.served[1].subject = "CN=R3,O=Let's Encrypt";
  obs.served[1].common_name = "R3";
  obs.served[1].is_ca = true;
  obs.verify_errors = {{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0}};
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::chain_incomplete});
  EXPECT_NE(v.summary.find("CN=E5"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("'R3'"), std::string::npos) << v.summary;
  // The right intermediate was sent and its own issuer is unknown: an untrusted root.
  obs.served[1].subject = "CN=E5,O=Let's Encrypt";
  obs.verify_errors = {{X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 1}};
  EXPECT_EQ(classify_tls(obs, {}, now_).findings, std::vector<TlsFinding>{TlsFinding::untrusted});
}

TEST_F(X509FactsTest, OkSummaryNamesAnEarlierIntermediate) {
  TlsObservation obs;
  obs.served = {dated(now_, 90, 60), dated(now_, 1825, 40)};
  obs.served[0].common_name = "shop.example.net";
  obs.served[1].common_name = "Old Intermediate";
  obs.served[1].is_ca = true;
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::ok);
  EXPECT_NEAR(*v.days_left, 40, 0.01);
  // The leaf's own days and date, then the intermediate that runs out first.
  EXPECT_NE(v.summary.find("certificate 'shop.example.net' valid for 60.0 more days"),
            std::string::npos)
      << v.summary;
  EXPECT_NE(v.summary.find("intermediate 'Old Intermediate' expires in 40.0 days"),
            std::string::npos)
      << v.summary;
  obs.served[1] = dated(now_, 1825, 900);
  EXPECT_EQ(classify_tls(obs, {}, now_).summary.find("intermediate"), std::string::npos);
}

TEST_F(X509FactsTest, LegacyOnlyServerSaysSo) {
  TlsObservation obs;
  obs.served = {dated(now_, 90, 60)};
  obs.legacy_accepted = true;
  obs.legacy_only = true;
  obs.legacy_version = "TLS 1.0";
  TlsVerdict v = classify_tls(obs, {}, now_);
  EXPECT_EQ(v.status, Status::critical);
  EXPECT_EQ(v.findings, std::vector<TlsFinding>{TlsFinding::legacy_protocol});
  EXPECT_EQ(v.summary, "server speaks only TLS 1.0, no TLS 1.2 or 1.3");
}

TEST(X509FactsNames, FindingNames) {
  EXPECT_EQ(to_string(TlsFinding::expired), "expired");
  EXPECT_EQ(to_string(TlsFinding::chain_incomplete), "chain_incomplete");
  EXPECT_EQ(to_string(TlsFinding::unreachable), "unreachable");
  EXPECT_EQ(tls_version_label(TLS1_3_VERSION), "TLS 1.3");
  EXPECT_EQ(tls_version_label(TLS1_VERSION), "TLS 1.0");
}

}  // namespace
}  // namespace lookout::net
