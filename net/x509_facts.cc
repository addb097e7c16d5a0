#include "net/x509_facts.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <memory>

namespace lookout::net {
namespace {

constexpr size_t kMaxText = 1024;  // one subject, SAN, ... in facts; longer ones are cut
constexpr double kSecondsPerDay = 86400.0;

// Printable ASCII only: certificates may hold any bytes, and facts must serialise as JSON.
std::string printable(std::string_view in) {
  std::string out;
  out.reserve(std::min(in.size(), kMaxText));
  for (unsigned char c : in) {
    if (out.size() >= kMaxText) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string to_hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 0xf];
  }
  return out;
}

std::string asn1_string_text(const ASN1_STRING* s) {
  if (!s) return {};
  return printable(std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                    static_cast<size_t>(std::max(0, ASN1_STRING_length(s)))));
}

std::string name_text(const X509_NAME* name) {
  if (!name) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) return {};
  // RFC 2253 flags escape control and non-ASCII bytes, so the output is ASCII.
  if (X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || !data) return {};
  return printable(std::string_view(data, static_cast<size_t>(len)));
}

std::string common_name(const X509_NAME* name) {
  if (!name) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, idx);
  return e ? asn1_string_text(X509_NAME_ENTRY_get_data(e)) : std::string();
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const unsigned char* p = ASN1_STRING_get0_data(ip);
  int n = ASN1_STRING_length(ip);
  char buf[INET6_ADDRSTRLEN] = {};
  if (n == 4 && inet_ntop(AF_INET, p, buf, sizeof buf)) return buf;
  if (n == 16 && inet_ntop(AF_INET6, p, buf, sizeof buf)) return buf;
  return "invalid:" + to_hex(p, static_cast<size_t>(std::clamp(n, 0, 64)));
}

void read_sans(X509* cert, CertFacts& f) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return;
  int n = sk_GENERAL_NAME_num(names);
  for (int i = 0; i < n; ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      ++f.san_count;
      if (f.dns_names.size() + f.ip_addresses.size() < CertFacts::kMaxSans)
        f.dns_names.push_back(asn1_string_text(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      ++f.san_count;
      if (f.dns_names.size() + f.ip_addresses.size() < CertFacts::kMaxSans)
        f.ip_addresses.push_back(ip_text(gn->d.iPAddress));
    }
  }
  GENERAL_NAMES_free(names);
}

std::string serial_text(const ASN1_INTEGER* serial) {
  if (!serial) return {};
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(ASN1_INTEGER_to_BN(serial, nullptr), &BN_free);
  if (!bn) return {};
  std::vector<unsigned char> bytes(static_cast<size_t>(BN_num_bytes(bn.get())));
  BN_bn2bin(bn.get(), bytes.data());  // magnitude, minimal big-endian
  if (bytes.empty()) return "00";
  return (BN_is_negative(bn.get()) ? "-" : "") + to_hex(bytes.data(), bytes.size());
}

std::string key_type_name(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return "RSA";
    case EVP_PKEY_RSA_PSS: return "RSA-PSS";
    case EVP_PKEY_EC: return "EC";
    case EVP_PKEY_ED25519: return "Ed25519";
    case EVP_PKEY_ED448: return "Ed448";
    case EVP_PKEY_DSA: return "DSA";
    default: break;
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name ? printable(name) : "unknown";
}


}  // namespace

std::optional<double> CertFacts::lifetime_days() const {
  if (!not_before || !not_after) return std::nullopt;
  return std::max(0.0, static_cast<double>(*not_after - *not_before) / kSecondsPerDay);
}

std::optional<double> CertFacts::days_left(std::chrono::system_clock::time_point now) const {
  if (!not_after) return std::nullopt;
  double now_s = std::chrono::duration<double>(now.time_since_epoch()).count();
  return (static_cast<double>(*not_after) - now_s) / kSecondsPerDay;
}

CertFacts extract_cert_facts(X509* cert) {
  CertFacts f;
  f.subject = name_text(X509_get_subject_name(cert));
  f.issuer = name_text(X509_get_issuer_name(cert));
  f.common_name = common_name(X509_get_subject_name(cert));
  read_sans(cert, f);
  f.serial = serial_text(X509_get0_serialNumber(cert));

  f.signature_nid = X509_get_signature_nid(cert);
  if (f.signature_nid != NID_undef) {
    f.signature_algorithm = OBJ_nid2ln(f.signature_nid);
  } else {
    const X509_ALGOR* alg = nullptr;
    X509_get0_signature(nullptr, &alg, cert);
    const ASN1_OBJECT* oid = nullptr;
    if (alg) X509_ALGOR_get0(&oid, nullptr, nullptr, alg);
    char buf[128] = {};
    if (oid && OBJ_obj2txt(buf, sizeof buf, oid, 1) > 0) f.signature_algorithm = printable(buf);
  }

  if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
    f.key_type = key_type_name(key);
    f.key_bits = EVP_PKEY_get_bits(key);
  } else {
    f.key_type = "unknown";
  }

  f.not_before = asn1_time_to_unix(X509_get0_notBefore(cert));
  f.not_after = asn1_time_to_unix(X509_get0_notAfter(cert));

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) f.fingerprint_sha256 = to_hex(md, md_len);

  f.is_ca = X509_check_ca(cert) != 0;
  f.self_signed = X509_self_signed(cert, 1) == 1;
  // Decoding odd certificates leaves errors on the thread's queue; they must not leak into
  // the next TLS operation on this thread.
  ERR_clear_error();
  return f;
}

std::optional<CertFacts> cert_facts_from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!cert) {
    ERR_clear_error();
    return std::nullopt;
  }
  return extract_cert_facts(cert.get());
}

std::optional<int64_t> asn1_time_to_unix(const ASN1_TIME* t) {
  if (!t) return std::nullopt;
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string iso8601_utc(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
    return std::to_string(unix_seconds);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

bool is_weak_signature(const CertFacts& facts) {
  if (facts.signature_nid == NID_undef) return false;
  int md = NID_undef, pk = NID_undef;
  if (!OBJ_find_sigid_algs(facts.signature_nid, &md, &pk)) return false;
  return md == NID_sha1 || md == NID_md5 || md == NID_md4 || md == NID_md2 || md == NID_mdc2 ||
         md == NID_md5_sha1;
}

bool is_weak_key(const CertFacts& facts) {
  if (facts.key_bits <= 0) return false;  // unknown key: not this finding
  if (facts.key_type == "RSA" || facts.key_type == "RSA-PSS" || facts.key_type == "DSA")
    return facts.key_bits < 2048;
  if (facts.key_type == "EC") return facts.key_bits < 224;
  return false;
}

bool cert_matches_host(X509* cert, const std::string& host) {
  if (host.empty()) return true;
  std::string h = host;
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.size() > 1 && h.back() == '.') h.pop_back();  // "example.com." is example.com
  unsigned char buf[16];
  bool is_ip = inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
  int rc = is_ip ? X509_check_ip_asc(cert, h.c_str(), 0)
                 : X509_check_host(cert, h.data(), h.size(),
                                   X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr);
  ERR_clear_error();
  return rc == 1;
}

std::string ocsp_staple_status(std::string_view der, X509* leaf, X509* issuer) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())), &OCSP_RESPONSE_free);
  std::string out;
  if (!resp) {
    out = "malformed";
  } else if (OCSP_response_status(resp.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    out = "unsuccessful";
  } else {
    std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(
        OCSP_response_get1_basic(resp.get()), &OCSP_BASICRESP_free);
    if (!basic) {
      out = "malformed";
    } else if (!leaf || !issuer) {
      out = "no_status";
    } else {
      out = "no_status";
      // Responders identify the certificate with SHA-1 or SHA-256 issuer hashes.
      for (const EVP_MD* md : {EVP_sha1(), EVP_sha256()}) {
        std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)> id(
            OCSP_cert_to_id(md, leaf, issuer), &OCSP_CERTID_free);
        int status = -1, reason = 0;
        if (id && OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, nullptr,
                                        nullptr, nullptr) == 1) {
          out = status == V_OCSP_CERTSTATUS_GOOD      ? "good"
                : status == V_OCSP_CERTSTATUS_REVOKED ? "revoked"
                                                      : "unknown";
          break;
        }
      }
    }
  }
  ERR_clear_error();
  return out;
}

nlohmann::json cert_facts_json(const CertFacts& f, std::chrono::system_clock::time_point now) {
  nlohmann::json sans = nlohmann::json::array();
  for (const auto& n : f.dns_names) sans.push_back(n);
  for (const auto& n : f.ip_addresses) sans.push_back(n);
  auto date = [](const std::optional<int64_t>& t) {
    return t ? nlohmann::json(iso8601_utc(*t)) : nlohmann::json(nullptr);
  };
  auto left = f.days_left(now);
  return {
      {"subject", f.subject},
      {"issuer", f.issuer},
      {"common_name", f.common_name},
      {"sans", sans},
      {"san_count", f.san_count},
      {"serial", f.serial},
      {"signature_algorithm", f.signature_algorithm},
      {"key_type", f.key_type},
      {"key_bits", f.key_bits},
      {"not_before", date(f.not_before)},
      {"not_after", date(f.not_after)},
      {"days_left", left ? nlohmann::json(*left) : nlohmann::json(nullptr)},
      {"fingerprint_sha256", f.fingerprint_sha256},
      {"self_signed", f.self_signed},
      {"is_ca", f.is_ca},
  };
}

std::string tls_version_label(int version) {
  switch (version) {
    case TLS1_3_VERSION: return "TLS 1.3";
    case TLS1_2_VERSION: return "TLS 1.2";
    case TLS1_1_VERSION: return "TLS 1.1";
    case TLS1_VERSION: return "TLS 1.0";
    default: return "unknown";
  }
}

}  // namespace lookout::net
