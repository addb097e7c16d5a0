#include "tests/estate/cert_factory.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace lookout::estate {
namespace {

[[noreturn]] void fail(const std::string& what) {
  unsigned long code = ERR_get_error();
  std::string detail;
  if (code) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    detail = std::string(": ") + buf;
  }
  ERR_clear_error();
  throw std::runtime_error("cert factory: " + what + detail);
}

template <typename T>
T* check(T* p, const std::string& what) {
  if (!p) fail(what);
  return p;
}

void check(int rc, const std::string& what) {
  if (rc <= 0) fail(what);
}

std::shared_ptr<EVP_PKEY> make_key(const CertSpec& spec) {
  EVP_PKEY* key = spec.key_type == KeyType::rsa
                      ? EVP_RSA_gen(static_cast<unsigned>(spec.rsa_bits))
                      : EVP_EC_gen("P-256");
  return {check(key, "key generation"), EvpPkeyFree{}};
}

void set_serial(X509* cert, const std::string& hex) {
  BIGNUM* bn = nullptr;
  if (hex.empty()) {
    unsigned char bytes[16];
    check(RAND_bytes(bytes, sizeof bytes), "random serial");
    bytes[0] &= 0x7f;  // keep it positive and 16 bytes long at most
    bytes[0] |= 0x01;
    bn = check(BN_bin2bn(bytes, sizeof bytes, nullptr), "serial");
  } else if (!BN_hex2bn(&bn, hex.c_str())) {
    fail("bad serial '" + hex + "'");
  }
  ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn, nullptr);
  BN_free(bn);
  check(serial, "serial");
  int rc = X509_set_serialNumber(cert, serial);
  ASN1_INTEGER_free(serial);
  check(rc, "set serial");
}

void set_time(X509* cert, std::chrono::system_clock::time_point tp, bool before) {
  ASN1_TIME* t = check(ASN1_TIME_set(nullptr, std::chrono::system_clock::to_time_t(tp)),
                       "validity time");
  int rc = before ? X509_set1_notBefore(cert, t) : X509_set1_notAfter(cert, t);
  ASN1_TIME_free(t);
  check(rc, "set validity");
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext =
      check(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()), "extension " + value);
  int rc = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(rc, "add extension");
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string pem_of(X509* cert) {
  BIO* bio = check(BIO_new(BIO_s_mem()), "BIO");
  check(PEM_write_bio_X509(bio, cert), "PEM write");
  return bio_string(bio);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cert factory: cannot write " + path);
}

/// A root CA written by an earlier run, if both files parse, match, and the root is valid for
/// at least another 30 days.
std::optional<Certificate> load_root(const std::string& cert_path, const std::string& key_path) {
  if (!std::filesystem::exists(cert_path) || !std::filesystem::exists(key_path)) return {};
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  std::string cert_text = read(cert_path), key_text = read(key_path);
  BIO* cb = BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size()));
  BIO* kb = BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size()));
  std::shared_ptr<X509> cert(cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr,
                             X509Free{});
  std::shared_ptr<EVP_PKEY> key(
      kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr, EvpPkeyFree{});
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  if (!cert || !key || X509_check_private_key(cert.get(), key.get()) != 1) return {};
  time_t soon = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                      std::chrono::days(30));
  if (X509_cmp_time(X509_get0_notAfter(cert.get()), &soon) <= 0) return {};
  if (X509_check_ca(cert.get()) == 0) return {};
  Certificate root;
  root.cert = std::move(cert);
  root.key = std::move(key);
  return root;
}

}  // namespace

Certificate make_certificate(const CertSpec& spec, const Certificate* issuer) {
  if (issuer && (!issuer->cert || !issuer->key))
    throw std::invalid_argument("cert factory: issuer without certificate or key");
  Certificate out;
  out.key = make_key(spec);
  std::shared_ptr<X509> cert(check(X509_new(), "X509_new"), X509Free{});
  X509* x = cert.get();
  check(X509_set_version(x, 2), "version");  // v3
  set_serial(x, spec.serial_hex);
  auto now = std::chrono::system_clock::now();
  set_time(x, spec.not_before.value_or(now - std::chrono::hours(1)), true);
  set_time(x, spec.not_after.value_or(now + std::chrono::days(90)), false);

  X509_NAME* name = X509_get_subject_name(x);
  auto add_entry = [&](const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                     -1, 0),
          std::string("subject ") + field);
  };
  if (!spec.organization.empty()) add_entry("O", spec.organization);
  if (spec.common_name) add_entry("CN", *spec.common_name);
  check(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert.get()) : name),
        "issuer name");
  check(X509_set_pubkey(x, out.key.get()), "public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer->cert.get() : x, x, nullptr, nullptr, 0);
  if (spec.is_ca) {
    std::string bc = "critical,CA:TRUE";
    if (spec.path_len >= 0) bc += ",pathlen:" + std::to_string(spec.path_len);
    add_ext(x, &ctx, NID_basic_constraints, bc);
    add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(x, &ctx, NID_key_usage,
            spec.key_type == KeyType::rsa ? "critical,digitalSignature,keyEncipherment"
                                          : "critical,digitalSignature");
    if (spec.server_auth) add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
  }
  add_ext(x, &ctx, NID_subject_key_identifier, "hash");
  add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& dns : spec.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + dns);
  for (const auto& ip : spec.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) add_ext(x, &ctx, NID_subject_alt_name, san);

  const EVP_MD* md = spec.digest == Digest::sha1 ? EVP_sha1() : EVP_sha256();
  check(X509_sign(x, issuer ? issuer->key.get() : out.key.get(), md), "sign");

  out.cert = std::move(cert);
  if (issuer) {
    // The issuer's own chain, with the issuer itself in front unless it is the root.
    bool issuer_is_root = !issuer->root;
    if (!issuer_is_root) out.chain.push_back(issuer->cert);
    out.chain.insert(out.chain.end(), issuer->chain.begin(), issuer->chain.end());
    out.root = issuer_is_root ? issuer->cert : issuer->root;
  }
  return out;
}

std::string Certificate::cert_pem() const { return pem_of(cert.get()); }

std::string Certificate::key_pem() const {
  BIO* bio = check(BIO_new(BIO_s_mem()), "BIO");
  check(PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr),
        "PEM key");
  return bio_string(bio);
}

std::string Certificate::chain_pem() const {
  std::string out;
  for (const auto& c : chain) out += pem_of(c.get());
  return out;
}

std::string Certificate::fullchain_pem() const { return cert_pem() + chain_pem(); }

void configure_server_context(boost::asio::ssl::context& ctx, const Certificate& cert,
                              bool send_chain) {
  std::string certs = send_chain ? cert.fullchain_pem() : cert.cert_pem();
  ctx.use_certificate_chain(boost::asio::buffer(certs));
  std::string key = cert.key_pem();
  ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
}

CertFactory::CertFactory(std::string dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

const Certificate& CertFactory::root_ca() {
  if (root_) return *root_;
  namespace fs = std::filesystem;
  const std::string cert_path = (fs::path(dir_) / "ca.pem").string();
  const std::string key_path = (fs::path(dir_) / "ca.key").string();
  if (auto reused = load_root(cert_path, key_path)) {
    root_ = std::move(*reused);
    return *root_;
  }
  CertSpec spec;
  spec.common_name = "Lookout Estate Root CA";
  spec.is_ca = true;
  spec.key_type = KeyType::rsa;
  spec.not_before = std::chrono::system_clock::now() - std::chrono::days(1);
  spec.not_after = std::chrono::system_clock::now() + std::chrono::days(3650);
  root_ = make_certificate(spec, nullptr);
  write_file(key_path, root_->key_pem());
  fs::permissions(key_path, fs::perms::owner_read | fs::perms::owner_write);
  write_file(cert_path, root_->cert_pem());
  return *root_;
}

const Certificate& CertFactory::intermediate_ca() {
  if (!intermediate_) {
    CertSpec spec;
    spec.common_name = "Lookout Estate Intermediate CA";
    spec.is_ca = true;
    spec.path_len = 0;
    spec.not_before = std::chrono::system_clock::now() - std::chrono::days(1);
    spec.not_after = std::chrono::system_clock::now() + std::chrono::days(1825);
    intermediate_ = make_certificate(spec, &root_ca());
  }
  return *intermediate_;
}

Certificate CertFactory::issue(const CertSpec& spec, Signer signer) {
  switch (signer) {
    case Signer::self:
      return make_certificate(spec, nullptr);
    case Signer::root:
      return make_certificate(spec, &root_ca());
    case Signer::intermediate:
      break;
  }
  return make_certificate(spec, &intermediate_ca());
}

CertFiles CertFactory::write(const Certificate& cert, const std::string& name) const {
  namespace fs = std::filesystem;
  auto path = [&](const std::string& suffix) { return (fs::path(dir_) / (name + suffix)).string(); };
  CertFiles files;
  files.cert = path(".crt");
  files.key = path(".key");
  files.fullchain = path("-fullchain.pem");
  write_file(files.cert, cert.cert_pem());
  write_file(files.key, cert.key_pem());
  fs::permissions(files.key, fs::perms::owner_read | fs::perms::owner_write);
  write_file(files.fullchain, cert.fullchain_pem());
  if (!cert.chain.empty()) {
    files.chain = path("-chain.pem");
    write_file(files.chain, cert.chain_pem());
  }
  // The trust anchor: the root, or the certificate itself when self-signed.
  files.ca = path("-ca.pem");
  write_file(files.ca, pem_of(cert.root ? cert.root.get() : cert.cert.get()));
  return files;
}

std::string CertFactory::ca_file() {
  root_ca();  // writes dir/ca.pem
  return (std::filesystem::path(dir_) / "ca.pem").string();
}

CertSpec leaf_spec(const std::string& host) {
  CertSpec spec;
  spec.common_name = host;
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec)
    spec.dns_names.push_back(host);
  else
    spec.ip_addresses.push_back(host);
  return spec;
}

CertSpec loopback_leaf_spec(const std::string& listen_address) {
  CertSpec spec = leaf_spec("localhost");
  spec.ip_addresses = {"127.0.0.1", "::1"};
  if (listen_address != "127.0.0.1" && listen_address != "::1" && listen_address != "0.0.0.0" &&
      listen_address != "::" && !listen_address.empty())
    spec.ip_addresses.push_back(listen_address);
  return spec;
}

}  // namespace lookout::estate
