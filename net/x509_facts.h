// net::x509_facts: what a TLS probe knows about a served certificate chain, as pure functions
// (no sockets), so the extraction can be unit-tested on odd certificates and fuzzed on DER.
// Every string a CertFacts holds is printable ASCII (other bytes are escaped as \xNN), so facts
// can always be serialised as JSON, whatever the certificate contains.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <openssl/x509.h>



namespace lookout::net {

/// The facts of one certificate.
struct CertFacts {
  std::string subject;  // RFC 2253 ("CN=shop.example.net,O=Example"), "" when empty
  std::string issuer;
  std::string common_name;              // first CN, "" when the subject has none
  std::vector<std::string> dns_names;   // DNS SANs, at most kMaxSans kept
  std::vector<std::string> ip_addresses;  // IP SANs as text, at most kMaxSans kept
  size_t san_count = 0;                 // all DNS + IP SANs, also those not kept
  /// Lowercase hex, two digits per byte of the minimal big-endian magnitude ("03a1");
  /// a leading "-" for a (malformed) negative serial.
  std::string serial;
  std::string signature_algorithm;  // "sha256WithRSAEncryption", "ecdsa-with-SHA256", ...
  int signature_nid = 0;            // NID_undef when unknown
  std::string key_type;             // "RSA", "RSA-PSS", "EC", "Ed25519", "Ed448", "DSA", ...
  int key_bits = 0;                 // 0 when the key cannot be decoded
  /// Unix seconds; nullopt when the field cannot be parsed.
  std::optional<int64_t> not_before;
  std::optional<int64_t> not_after;
  std::string fingerprint_sha256;  // lowercase hex over the DER
  bool is_ca = false;
  bool self_signed = false;  // issuer == subject and the signature verifies with its own key

  static constexpr size_t kMaxSans = 100;
  /// Lifetime in days (not_after - not_before); nullopt when a date is missing.
  std::optional<double> lifetime_days() const;
  std::optional<double> days_left(std::chrono::system_clock::time_point now) const;
};

/// Reads everything from `cert` (never null). Never fails: unreadable fields stay empty.
CertFacts extract_cert_facts(X509* cert);
/// Parses one DER certificate; nullopt when it is not one (trailing bytes are allowed).
std::optional<CertFacts> cert_facts_from_der(std::string_view der);

/// An ASN1_TIME as Unix seconds; nullopt when null or malformed.
std::optional<int64_t> asn1_time_to_unix(const ASN1_TIME* t);

/// "2026-03-01T12:00:00Z" (years 0..9999; outside that, the number of seconds).
std::string iso8601_utc(int64_t unix_seconds);

/// SHA-1/MD5/MD4/MD2-based signature.
bool is_weak_signature(const CertFacts& facts);
/// RSA or DSA below 2048 bits, EC below 224 bits.
bool is_weak_key(const CertFacts& facts);
/// X509_check_host / X509_check_ip_asc: does the certificate cover `host` (name or IP)?
/// Names are matched against the DNS SANs only (as browsers and Go do since 2017: a CN is
/// never consulted); a trailing root dot is ignored.
bool cert_matches_host(X509* cert, const std::string& host);

/// The status a stapled OCSP response gives `leaf` (issued by `issuer`, may be null):
/// "good", "revoked", "unknown" (the responder does not know it), "no_status" (no entry for
/// this certificate, or no issuer to match it), "unsuccessful" (tryLater, internalError, ...),
/// "malformed". The response's signature is not verified here.
std::string ocsp_staple_status(std::string_view der, X509* leaf, X509* issuer);


/// Facts of one certificate as JSON (subject, issuer, sans, serial, signature_algorithm,
/// key_type, key_bits, not_before, not_after, days_left, fingerprint_sha256).
nlohmann::json cert_facts_json(const CertFacts& facts, std::chrono::system_clock::time_point now);

/// "TLS 1.3" etc. from an OpenSSL protocol version number (SSL_version), blackbox spelling.
std::string tls_version_label(int version);

}  // namespace lookout::net
