// CertFactory: certificates parse back with the asked-for names, dates, keys, digests and
// serials, and chains verify with OpenSSL against the generated root.
#include "tests/estate/cert_factory.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace lookout::estate {
namespace {

using std::chrono::system_clock;

std::string temp_dir() {
  std::string templ =
      (std::filesystem::temp_directory_path() / "cert-factory-test-XXXXXX").string();
  EXPECT_NE(mkdtemp(templ.data()), nullptr);
  return templ;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<X509> parse_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return {x, X509Free{}};
}

time_t to_time_t(const ASN1_TIME* t) {
  struct tm tm {};
  EXPECT_EQ(ASN1_TIME_to_tm(t, &tm), 1);
  return timegm(&tm);
}

std::vector<std::string> sans(X509* x, int type) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != type) continue;
    if (type == GEN_DNS) {
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                       ASN1_STRING_length(n->d.dNSName));
    } else if (type == GEN_IPADD) {
      char* text = i2s_ASN1_OCTET_STRING(nullptr, n->d.iPAddress);
      // i2s gives hex bytes; good enough to compare lengths and a known value below.
      out.emplace_back(text);
      OPENSSL_free(text);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string common_name(X509* x) {
  char buf[256] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

/// X509_verify_cert of `cert` with `untrusted` intermediates against `root`, at `when`.
int verify(X509* cert, const std::vector<std::shared_ptr<X509>>& untrusted, X509* root,
           std::optional<time_t> when = std::nullopt) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, root);
  STACK_OF(X509)* chain = sk_X509_new_null();
  for (const auto& c : untrusted) sk_X509_push(chain, c.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, chain);
  if (when) X509_STORE_CTX_set_time(ctx, 0, *when);
  int ok = X509_verify_cert(ctx);
  int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_free(chain);
  X509_STORE_free(store);
  return err;
}

class CertFactoryTest : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_ = temp_dir();
  CertFactory certs_{dir_};
};

TEST_F(CertFactoryTest, LeafSignedByIntermediateVerifiesAgainstRoot) {
  CertSpec spec = leaf_spec("localhost");
  spec.ip_addresses = {"127.0.0.1", "::1"};
  Certificate leaf = certs_.issue(spec);
  ASSERT_EQ(leaf.chain.size(), 1u);
  ASSERT_TRUE(leaf.root);
  EXPECT_EQ(common_name(leaf.cert.get()), "localhost");
  EXPECT_EQ(sans(leaf.cert.get(), GEN_DNS), std::vector<std::string>{"localhost"});
  auto ips = sans(leaf.cert.get(), GEN_IPADD);
  ASSERT_EQ(ips.size(), 2u);
  EXPECT_EQ(ips[0], "7F:00:00:01");
  EXPECT_EQ(X509_check_host(leaf.cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(leaf.cert.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(leaf.cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(leaf.cert.get(), "::1", 0), 1);

  EXPECT_EQ(verify(leaf.cert.get(), leaf.chain, leaf.root.get()), X509_V_OK);
  // Without the intermediate the chain cannot be built: the "incomplete chain" case.
  EXPECT_EQ(verify(leaf.cert.get(), {}, leaf.root.get()),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  // The leaf is not a CA; the intermediate is.
  EXPECT_EQ(X509_check_ca(leaf.cert.get()), 0);
  EXPECT_GT(X509_check_ca(certs_.intermediate_ca().cert.get()), 0);
}

TEST_F(CertFactoryTest, DatesAreExactAndExpiryIsDetected) {
  auto now = system_clock::now();
  CertSpec expired = leaf_spec("expired.test");
  expired.not_before = now - std::chrono::days(30);
  expired.not_after = now - std::chrono::days(1);
  Certificate e = certs_.issue(expired, Signer::root);
  EXPECT_EQ(to_time_t(X509_get0_notAfter(e.cert.get())),
            system_clock::to_time_t(*expired.not_after));
  EXPECT_EQ(to_time_t(X509_get0_notBefore(e.cert.get())),
            system_clock::to_time_t(*expired.not_before));
  EXPECT_TRUE(e.chain.empty());
  EXPECT_EQ(verify(e.cert.get(), e.chain, e.root.get()), X509_V_ERR_CERT_HAS_EXPIRED);

  CertSpec future = leaf_spec("future.test");
  future.not_before = now + std::chrono::days(2);
  future.not_after = now + std::chrono::days(60);
  Certificate f = certs_.issue(future);
  EXPECT_EQ(verify(f.cert.get(), f.chain, f.root.get()), X509_V_ERR_CERT_NOT_YET_VALID);

  CertSpec soon = leaf_spec("soon.test");
  soon.not_after = now + std::chrono::days(5);
  Certificate s = certs_.issue(soon);
  EXPECT_EQ(verify(s.cert.get(), s.chain, s.root.get()), X509_V_OK);
  EXPECT_EQ(to_time_t(X509_get0_notAfter(s.cert.get())),
            system_clock::to_time_t(*soon.not_after));
  // Dates past 2049 need GeneralizedTime; check the round trip still holds.
  CertSpec far = leaf_spec("far.test");
  far.not_after = system_clock::from_time_t(2'600'000'000);  // year 2052
  Certificate fa = certs_.issue(far);
  EXPECT_EQ(to_time_t(X509_get0_notAfter(fa.cert.get())), 2'600'000'000);
}

TEST_F(CertFactoryTest, KeyTypesAndDigests) {
  CertSpec rsa = leaf_spec("weak.test");
  rsa.key_type = KeyType::rsa;
  rsa.rsa_bits = 1024;
  rsa.digest = Digest::sha1;
  Certificate weak = certs_.issue(rsa, Signer::root);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(weak.cert.get())), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(weak.cert.get())), 1024);
  EXPECT_EQ(X509_get_signature_nid(weak.cert.get()), NID_sha1WithRSAEncryption);

  CertSpec ec = leaf_spec("ec.test");
  Certificate good = certs_.issue(ec);
  EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(good.cert.get())), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(good.cert.get())), 256);
  // Signed by the intermediate (EC) with SHA-256.
  EXPECT_EQ(X509_get_signature_nid(good.cert.get()), NID_ecdsa_with_SHA256);

  CertSpec ec1 = leaf_spec("ec-sha1.test");
  ec1.digest = Digest::sha1;
  EXPECT_EQ(X509_get_signature_nid(certs_.issue(ec1).cert.get()), NID_ecdsa_with_SHA1);

  CertSpec rsa2 = leaf_spec("rsa.test");
  rsa2.key_type = KeyType::rsa;
  rsa2.rsa_bits = 3072;
  Certificate big = certs_.issue(rsa2, Signer::root);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(big.cert.get())), 3072);
  EXPECT_EQ(X509_get_signature_nid(big.cert.get()), NID_sha256WithRSAEncryption);
}

TEST_F(CertFactoryTest, SerialsIncludingLargeAndNegative) {
  auto serial_hex = [](const Certificate& c) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(c.cert.get()), nullptr);
    char* hex = BN_bn2hex(bn);
    std::string s(hex);
    OPENSSL_free(hex);
    BN_free(bn);
    return s;
  };
  CertSpec spec = leaf_spec("serial.test");
  spec.serial_hex = "FFEEDDCCBBAA99887766554433221100FFEEDDCC";  // 20 bytes, high bit set
  EXPECT_EQ(serial_hex(certs_.issue(spec)), spec.serial_hex);
  spec.serial_hex = "-1F";
  EXPECT_EQ(serial_hex(certs_.issue(spec)), "-1F");
  spec.serial_hex = "";
  std::string a = serial_hex(certs_.issue(spec)), b = serial_hex(certs_.issue(spec));
  EXPECT_NE(a, b);
  EXPECT_NE(a[0], '-');
  spec.serial_hex = "not hex";
  EXPECT_THROW(certs_.issue(spec), std::runtime_error);
}

TEST_F(CertFactoryTest, SelfSignedAndNoCommonName) {
  CertSpec spec;
  spec.dns_names = {"a.test", "b.test"};  // SAN only, no CN
  Certificate self = certs_.issue(spec, Signer::self);
  EXPECT_EQ(common_name(self.cert.get()), "");
  EXPECT_FALSE(self.root);
  EXPECT_EQ(sans(self.cert.get(), GEN_DNS), (std::vector<std::string>{"a.test", "b.test"}));
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(self.cert.get()),
                          X509_get_subject_name(self.cert.get())),
            0);
  EXPECT_EQ(X509_verify(self.cert.get(), X509_get0_pubkey(self.cert.get())), 1);
  // Trusted only when it is its own anchor; against the estate root it is unknown.
  EXPECT_EQ(verify(self.cert.get(), {}, certs_.root_ca().cert.get()),
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
}

TEST_F(CertFactoryTest, WritesPemFilesThatParseBack) {
  Certificate leaf = certs_.issue(leaf_spec("localhost"));
  CertFiles files = certs_.write(leaf, "site");
  auto cert = parse_pem(read_file(files.cert));
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_cmp(cert.get(), leaf.cert.get()), 0);
  auto chain = parse_pem(read_file(files.chain));
  ASSERT_TRUE(chain);
  EXPECT_EQ(X509_cmp(chain.get(), certs_.intermediate_ca().cert.get()), 0);
  auto ca = parse_pem(read_file(files.ca));
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_cmp(ca.get(), certs_.root_ca().cert.get()), 0);
  EXPECT_EQ(read_file(files.fullchain), leaf.cert_pem() + leaf.chain_pem());
  std::string key = read_file(files.key);
  BIO* bio = BIO_new_mem_buf(key.data(), static_cast<int>(key.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(pkey, nullptr);
  EXPECT_EQ(X509_check_private_key(cert.get(), pkey), 1);
  EVP_PKEY_free(pkey);
  std::string ca_file = certs_.ca_file();
  EXPECT_EQ(ca_file, dir_ + "/ca.pem");
  EXPECT_EQ(read_file(ca_file), certs_.root_ca().cert_pem());
}

TEST_F(CertFactoryTest, RootIsReusedFromTheWorkDirectory) {
  const Certificate& first_root = certs_.root_ca();
  CertFactory again(dir_);
  EXPECT_EQ(X509_cmp(again.root_ca().cert.get(), first_root.cert.get()), 0);
  // A leaf from the second factory verifies with the first one's CA file.
  Certificate leaf = again.issue(leaf_spec("localhost"));
  auto ca = parse_pem(read_file(certs_.ca_file()));
  ASSERT_TRUE(ca);
  EXPECT_EQ(verify(leaf.cert.get(), leaf.chain, ca.get()), X509_V_OK);

  // A damaged CA file is replaced by a new root rather than failing.
  std::ofstream(dir_ + "/ca.pem", std::ios::trunc) << "not a certificate";
  CertFactory fresh(dir_);
  EXPECT_NE(X509_cmp(fresh.root_ca().cert.get(), first_root.cert.get()), 0);
  auto rewritten = parse_pem(read_file(fresh.ca_file()));
  ASSERT_TRUE(rewritten);
  EXPECT_EQ(X509_cmp(rewritten.get(), fresh.root_ca().cert.get()), 0);
}

}  // namespace
}  // namespace lookout::estate
