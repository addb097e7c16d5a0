// probes::tls_verdict: from what a TLS handshake showed (net::x509_facts) to a verdict: status,
// findings in report order and a summary a person can act on. Pure functions (no sockets).
//
//   TlsObservation obs{.served = {leaf, intermediate}, .verify_errors = {...}, ...};
//   TlsVerdict v = classify_tls(obs, ExpiryPolicy{}, now);  // status + findings + days_left
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/x509_facts.h"
#include "probes/result.h"

namespace lookout::probes {

using net::CertFacts;

/// The fixed set of TLS findings, in report order.
enum class TlsFinding {
  expired,
  not_yet_valid,
  expiring,
  untrusted,
  self_signed,
  hostname_mismatch,
  chain_incomplete,
  weak_key,
  weak_signature,
  legacy_protocol,
  unreachable,
};
std::string_view to_string(TlsFinding f);

/// When an expiry becomes a warning or critical. Without explicit settings: warning when less
/// than a quarter of the certificate's lifetime remains, at most 30 days before expiry;
/// critical at <= 7 days. A value set in days alone or as a fraction alone is used alone;
/// both set: whichever is nearer the expiry.
struct ExpiryPolicy {
  std::optional<double> warn_days;
  std::optional<double> warn_fraction;
  std::optional<double> crit_days;
  std::optional<double> crit_fraction;

  static constexpr double kDefaultWarnDays = 30;
  static constexpr double kDefaultWarnFraction = 0.25;
  static constexpr double kDefaultCritDays = 7;

  /// Days left below which a certificate with this lifetime is a warning (strictly less).
  double warn_threshold(std::optional<double> lifetime_days) const;
  /// Days left at or below which it is critical.
  double crit_threshold(std::optional<double> lifetime_days) const;
};

/// One certificate verification error as the verify callback saw it.
struct VerifyError {
  int code = 0;   // X509_V_ERR_*
  int depth = 0;  // 0 = leaf
};

/// Everything a handshake (or two) told us; input to classify_tls.
struct TlsObservation {
  std::vector<CertFacts> served;  // what the server sent, leaf first
  std::vector<VerifyError> verify_errors;
  /// The name or IP the certificate must cover ("" = no hostname check).
  std::string host;
  std::optional<bool> host_matches;  // result of cert_matches_host on the leaf
  bool ocsp_revoked = false;         // a stapled OCSP response says "revoked"
  bool legacy_accepted = false;      // a TLS < 1.2 handshake succeeded
  bool legacy_only = false;          // ... and TLS 1.2+ was refused
  std::string legacy_version;        // "TLS 1.0" when it did
};

struct TlsVerdict {
  Status status = Status::ok;
  std::vector<TlsFinding> findings;  // report order, no duplicates
  std::optional<double> days_left;   // earliest over the served chain
  std::optional<double> leaf_days_left;
  std::optional<double> intermediate_days_left;  // earliest over the certificates after the leaf
  std::string summary;               // one line a person can act on
  bool has(TlsFinding f) const;
  nlohmann::json findings_json() const;  // ["expired", ...]
};

TlsVerdict classify_tls(const TlsObservation& obs, const ExpiryPolicy& policy,
                        std::chrono::system_clock::time_point now);
}  // namespace lookout::probes
