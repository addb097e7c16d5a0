// Names of the facts that mean the same thing in several probes' results: one list, so an
// HTTP status is `status_code` whichever probe fetched it. docs/facts.md documents every fact.
#pragma once

namespace lookout::probes::fact {

inline constexpr const char* kStatusCode = "status_code";  // HTTP status of the last response
inline constexpr const char* kUrl = "url";                 // the URL fetched last
inline constexpr const char* kAddress = "address";         // the peer address used
inline constexpr const char* kTlsVersion = "tls_version";  // "TLS 1.3"
inline constexpr const char* kTlsCipher = "tls_cipher";    // IANA cipher suite name
inline constexpr const char* kDaysLeft = "days_left";      // until an expiry (cert, domain)
inline constexpr const char* kReason = "reason";           // why, in one line, when not ok

}  // namespace lookout::probes::fact
