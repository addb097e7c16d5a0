// estate::CertFactory: X.509 certificates made in-process with OpenSSL 3, for the estate's HTTPS
// sites, the TLS fault endpoints and the tests (expired, not yet valid, wrong SAN, self-signed,
// weak key, SHA-1, incomplete chain, odd serials).
//
// Typical use:
//   CertFactory certs(work_dir);                       // root + intermediate made on first use
//   CertSpec spec;
//   spec.common_name = "localhost";
//   spec.dns_names = {"localhost"};
//   spec.ip_addresses = {"127.0.0.1"};
//   spec.not_after = std::chrono::system_clock::now() + std::chrono::days(5);  // expiring soon
//   Certificate leaf = certs.issue(spec, Signer::intermediate);
//   CertFiles files = certs.write(leaf, "expiring");  // work_dir/expiring.{crt,key,chain,...}
//   configure_server_context(ssl_ctx, leaf);          // serve it (sends leaf + intermediate)
//   certs.ca_file();                                  // work_dir/ca.pem: trust anchor for clients
//
// Thread-safety: a CertFactory is not thread-safe (build certificates at setup time). A
// Certificate is an immutable value once made; copies share the OpenSSL objects.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace boost::asio::ssl {
class context;
}

namespace lookout::estate {

enum class KeyType { rsa, ec_p256 };
enum class Digest { sha256, sha1 };
/// Who signs a new certificate.
enum class Signer { self, root, intermediate };

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

/// Everything a certificate can vary in. Defaults give a valid EC P-256 server certificate
/// valid from one hour ago for 90 days, with no names (set common_name / SANs).
struct CertSpec {
  /// Subject CN; nullopt = a subject without CN (only O), as modern certificates may have.
  std::optional<std::string> common_name;
  std::string organization = "Lookout Estate";
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries, v4 or v6 text
  /// Absolute validity window; defaults to [now - 1 h, now + 90 days].
  std::optional<std::chrono::system_clock::time_point> not_before;
  std::optional<std::chrono::system_clock::time_point> not_after;
  KeyType key_type = KeyType::ec_p256;
  int rsa_bits = 2048;  // for KeyType::rsa; 1024 is allowed (weak-key endpoints)
  Digest digest = Digest::sha256;
  /// Serial number as hex ("0A1B", "-1F" for a negative one, "FF..." for one whose DER
  /// encoding needs a leading zero byte). Empty = 16 random bytes.
  std::string serial_hex;
  /// CA certificate (basicConstraints CA:TRUE, keyCertSign); path_len < 0 = unlimited.
  bool is_ca = false;
  int path_len = -1;
  /// Leaf certificates get extendedKeyUsage serverAuth (and clientAuth) unless false.
  bool server_auth = true;
};

/// A certificate, its private key and the issuers needed to verify it.
struct Certificate {
  std::shared_ptr<X509> cert;
  std::shared_ptr<EVP_PKEY> key;
  /// Intermediate CAs between this certificate and the root, nearest first (the root itself
  /// is not in here). Empty for self-signed certificates and those signed by the root.
  std::vector<std::shared_ptr<X509>> chain;
  /// The self-signed root this chains to (null when self-signed).
  std::shared_ptr<X509> root;

  std::string cert_pem() const;
  std::string key_pem() const;        // PKCS#8, unencrypted
  std::string chain_pem() const;      // the intermediates, nearest first
  std::string fullchain_pem() const;  // cert + intermediates (what a server sends)
};

/// Where CertFactory::write put the PEM files. chain/ca are empty when there is none.
struct CertFiles {
  std::string cert;       // leaf only
  std::string key;
  std::string chain;      // intermediates only
  std::string fullchain;  // leaf + intermediates
  std::string ca;         // the root (trust anchor) to give clients
};

/// Makes a key and a certificate for `spec`, signed by `issuer` (nullptr = self-signed).
/// The issuer must be a CA with a key. Throws std::runtime_error on OpenSSL failures.
Certificate make_certificate(const CertSpec& spec, const Certificate* issuer);

/// Loads a certificate chain and key into a server context: the certificate, then its chain
/// unless `send_chain` is false (an "incomplete chain" server).
void configure_server_context(boost::asio::ssl::context& ctx, const Certificate& cert,
                              bool send_chain = true);

class CertFactory {
 public:
  /// `dir` receives the PEM files; created if missing.
  explicit CertFactory(std::string dir);

  /// "Lookout Estate Root CA" (RSA 2048, 10 years), made on first use. When dir already holds
  /// ca.pem and ca.key from an earlier run (and the root is still valid), that root is reused,
  /// so a long-running agent keeps trusting an estate that restarted with the same work dir.
  const Certificate& root_ca();
  /// "Lookout Estate Intermediate CA", signed by root_ca(), made on first use.
  const Certificate& intermediate_ca();
  /// A new certificate signed as asked (Signer::self = self-signed).
  Certificate issue(const CertSpec& spec, Signer signer = Signer::intermediate);

  /// Writes dir/<name>.crt, .key, -chain.pem, -fullchain.pem (and the root as the CA file)
  /// and returns the paths.
  CertFiles write(const Certificate& cert, const std::string& name) const;
  /// dir/ca.pem holding the root CA certificate (its key is in dir/ca.key).
  std::string ca_file();
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::optional<Certificate> root_;
  std::optional<Certificate> intermediate_;
};

/// A convenience spec: a leaf for `host` (CN + DNS SAN, or IP SAN when host is an address).
CertSpec leaf_spec(const std::string& host);
/// A leaf valid for the estate's sites: CN/SAN "localhost", IP SANs 127.0.0.1 and ::1, plus
/// `listen_address` when it is another specific address.
CertSpec loopback_leaf_spec(const std::string& listen_address);

}  // namespace lookout::estate
