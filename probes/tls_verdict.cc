#include "probes/tls_verdict.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace lookout::probes {
using net::cert_matches_host;
using net::is_weak_key;
using net::is_weak_signature;
using net::iso8601_utc;
namespace {

std::string days_text(double days) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", std::fabs(days));
  return buf;
}

// How a person recognises a certificate in a summary: its CN, else its subject.
std::string cert_label(const CertFacts& f) {
  std::string name = !f.common_name.empty() ? f.common_name
                     : !f.subject.empty()   ? f.subject
                                            : "serial " + f.serial;
  if (name.size() > 80) name = name.substr(0, 77) + "...";
  return "'" + name + "'";
}

std::string position_label(size_t index) { return index == 0 ? "certificate" : "intermediate certificate"; }
}  // namespace

std::string_view to_string(TlsFinding f) {
  static constexpr std::array<std::string_view, 11> kNames{
      "expired",          "not_yet_valid",  "expiring",       "untrusted",
      "self_signed",      "hostname_mismatch", "chain_incomplete", "weak_key",
      "weak_signature",   "legacy_protocol",   "unreachable"};
  return kNames[static_cast<size_t>(f)];
}

double ExpiryPolicy::warn_threshold(std::optional<double> lifetime) const {
  if (!warn_days && !warn_fraction) {
    double t = kDefaultWarnDays;
    if (lifetime) t = std::min(t, kDefaultWarnFraction * *lifetime);
    return t;
  }
  double t = warn_days.value_or(INFINITY);
  if (warn_fraction) {
    if (lifetime)
      t = std::min(t, *warn_fraction * *lifetime);
    else if (!warn_days)
      t = kDefaultWarnDays;  // no lifetime to take a fraction of
  }
  return t;
}

double ExpiryPolicy::crit_threshold(std::optional<double> lifetime) const {
  if (!crit_days && !crit_fraction) return kDefaultCritDays;
  double t = crit_days.value_or(INFINITY);
  if (crit_fraction) {
    if (lifetime)
      t = std::min(t, *crit_fraction * *lifetime);
    else if (!crit_days)
      t = kDefaultCritDays;
  }
  return t;
}

bool TlsVerdict::has(TlsFinding f) const {
  return std::find(findings.begin(), findings.end(), f) != findings.end();
}

nlohmann::json TlsVerdict::findings_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto f : findings) out.push_back(std::string(to_string(f)));
  return out;
}

TlsVerdict classify_tls(const TlsObservation& obs, const ExpiryPolicy& policy,
                        std::chrono::system_clock::time_point now) {
  TlsVerdict v;
  constexpr size_t kCount = static_cast<size_t>(TlsFinding::unreachable) + 1;
  std::array<bool, kCount> found{};
  std::array<std::string, kCount> why;  // the phrase for the summary, first cause wins
  auto add = [&](TlsFinding f, std::string reason) {
    auto i = static_cast<size_t>(f);
    if (!found[i]) why[i] = std::move(reason);
    found[i] = true;
  };
  Status expiry_status = Status::ok;
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  for (size_t i = 0; i < obs.served.size(); ++i) {
    const CertFacts& c = obs.served[i];
    auto left = c.days_left(now);
    if (left) {
      if (!v.days_left || *left < *v.days_left) v.days_left = left;
      if (i == 0) v.leaf_days_left = left;
      else if (!v.intermediate_days_left || *left < *v.intermediate_days_left)
        v.intermediate_days_left = left;
    }
    const std::string who = position_label(i) + " " + cert_label(c);
    if (left && *left < 0) {
      add(TlsFinding::expired, who + " expired " + days_text(*left) + " days ago (" +
                                   iso8601_utc(*c.not_after) + ")");
    } else if (c.not_before && *c.not_before > now_s) {
      add(TlsFinding::not_yet_valid,
          who + " is not valid before " + iso8601_utc(*c.not_before));
    } else if (left) {
      auto lifetime = c.lifetime_days();
      std::string phrase = who + " expires in " + days_text(*left) + " days (" +
                           iso8601_utc(*c.not_after) + ")";
      Status s = *left <= policy.crit_threshold(lifetime)  ? Status::critical
                 : *left < policy.warn_threshold(lifetime) ? Status::warning
                                                           : Status::ok;
      // The summary names the worst expiring certificate (the first of equals).
      if (s != Status::ok && worst(s, expiry_status) == s && s != expiry_status) {
        why[static_cast<size_t>(TlsFinding::expiring)] = phrase;
        found[static_cast<size_t>(TlsFinding::expiring)] = true;
        expiry_status = s;
      }
    }
    // A served trust anchor's own signature is never checked, so SHA-1 on it is harmless.
    bool anchor = i > 0 && c.self_signed;
    if (!anchor && is_weak_signature(c))
      add(TlsFinding::weak_signature, "weak signature " + c.signature_algorithm + " on " + who);
    if (is_weak_key(c))
      add(TlsFinding::weak_key, "weak key: " + c.key_type + " " + std::to_string(c.key_bits) +
                                    " bits in " + who);
  }

  const CertFacts* leaf = obs.served.empty() ? nullptr : &obs.served.front();
  for (const auto& e : obs.verify_errors) {
    const char* text = X509_verify_cert_error_string(e.code);
    std::string err = text ? text : "verify error " + std::to_string(e.code);
    switch (e.code) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        add(TlsFinding::expired, "a certificate in the chain has expired");
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        add(TlsFinding::not_yet_valid, "a certificate in the chain is not yet valid");
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        add(TlsFinding::self_signed, "certificate " + (leaf ? cert_label(*leaf) + " " : "") +
                                         "is self-signed and not trusted");
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
        // The leaf's issuer is missing: almost always a server that does not send its
        // intermediate. A CA whose issuer is missing means an unknown root.
        // Also when it sends other certificates but not that issuer (a stale intermediate
        // left behind after the CA switched).
        bool issuer_sent = leaf && std::any_of(obs.served.begin() + 1, obs.served.end(),
                                               [&](const CertFacts& c) {
                                                 return !leaf->issuer.empty() &&
                                                        c.subject == leaf->issuer;
                                               });
        bool leaf_issuer_missing = e.depth == 0 && leaf && !leaf->is_ca && !issuer_sent;
        if (leaf_issuer_missing) {
          std::string sent;
          for (size_t i = 1; i < obs.served.size() && i <= 3; ++i)
            sent += (sent.empty() ? "" : ", ") + cert_label(obs.served[i]);
          add(TlsFinding::chain_incomplete,
              "incomplete chain: the server does not send the intermediate certificate that "
              "issued " + cert_label(*leaf) + " (issuer " + leaf->issuer + ")" +
                  (sent.empty() ? "" : "; it sends " + sent + " instead"));
        } else
          add(TlsFinding::untrusted, "certificate chain is not trusted: " + err);
        break;
      }
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        add(TlsFinding::hostname_mismatch, "certificate does not cover " + obs.host);
        break;
      case X509_V_ERR_CA_MD_TOO_WEAK:
        add(TlsFinding::weak_signature, "weak signature in the chain (" + err + ")");
        break;
      case X509_V_ERR_EE_KEY_TOO_SMALL:
      case X509_V_ERR_CA_KEY_TOO_SMALL:
        add(TlsFinding::weak_key, "weak key in the chain (" + err + ")");
        break;
      default:
        add(TlsFinding::untrusted, "certificate chain is not trusted: " + err);
        break;
    }
  }
  // A self-signed leaf that the verifier did not accept is "self_signed" (its own finding),
  // whatever error code the verifier chose for it.
  if (leaf && leaf->self_signed && !obs.verify_errors.empty() && obs.served.size() == 1 &&
      (found[static_cast<size_t>(TlsFinding::untrusted)] ||
       found[static_cast<size_t>(TlsFinding::self_signed)])) {
    found[static_cast<size_t>(TlsFinding::untrusted)] = false;
    add(TlsFinding::self_signed, "certificate " + cert_label(*leaf) + " is self-signed and not trusted");
  }
  if (obs.host_matches && !*obs.host_matches) {
    std::string names;
    if (leaf) {
      size_t shown = 0;
      for (const auto* list : {&leaf->dns_names, &leaf->ip_addresses})
        for (const auto& n : *list) {
          if (shown == 5) break;
          names += (shown++ ? ", " : "") + n;
        }
      if (leaf->san_count > shown) names += ", ... (" + std::to_string(leaf->san_count) + " in all)";
    }
    if (leaf && leaf->san_count == 0 && !leaf->common_name.empty())
      add(TlsFinding::hostname_mismatch,
          "certificate " + cert_label(*leaf) + " does not cover " + obs.host +
              ": it has no subjectAltName, and clients ignore the CN since 2017");
    else
      add(TlsFinding::hostname_mismatch, "certificate does not cover " + obs.host +
                                             (names.empty() ? "" : " (it names " + names + ")"));
  }
  if (obs.ocsp_revoked)
    add(TlsFinding::untrusted, "certificate " + (leaf ? cert_label(*leaf) + " " : "") +
                                   "is revoked (stapled OCSP response)");
  const std::string legacy = obs.legacy_version.empty() ? "TLS < 1.2" : obs.legacy_version;
  if (obs.legacy_only)
    add(TlsFinding::legacy_protocol, "server speaks only " + legacy + ", no TLS 1.2 or 1.3");
  else if (obs.legacy_accepted)
    add(TlsFinding::legacy_protocol, "server still accepts " + legacy);

  for (size_t i = 0; i < kCount; ++i)
    if (found[i]) v.findings.push_back(static_cast<TlsFinding>(i));

  v.status = Status::ok;
  for (auto f : v.findings)
    v.status = worst(v.status, f == TlsFinding::expiring ? expiry_status : Status::critical);

  // The summary leads with the most pressing finding and names the others.
  static constexpr std::array<TlsFinding, 11> kPriority{
      TlsFinding::unreachable,      TlsFinding::expired,        TlsFinding::not_yet_valid,
      TlsFinding::self_signed,      TlsFinding::hostname_mismatch, TlsFinding::chain_incomplete,
      TlsFinding::untrusted,        TlsFinding::weak_signature, TlsFinding::weak_key,
      TlsFinding::legacy_protocol,  TlsFinding::expiring};
  for (auto f : kPriority) {
    if (!found[static_cast<size_t>(f)]) continue;
    v.summary = why[static_cast<size_t>(f)];
    std::string others;
    for (auto g : v.findings)
      if (g != f) others += (others.empty() ? "" : ", ") + std::string(to_string(g));
    if (!others.empty()) v.summary += "; also " + others;
    break;
  }
  if (v.summary.empty() && leaf) {
    if (v.leaf_days_left)
      v.summary = "certificate " + cert_label(*leaf) + " valid for " +
                  days_text(*v.leaf_days_left) + " more days (until " +
                  iso8601_utc(*leaf->not_after) + ")";
    else
      v.summary = "certificate " + cert_label(*leaf) + " has no readable expiry date";
    // days_left is the chain's earliest: say which intermediate that is when it is not the leaf.
    if (v.intermediate_days_left &&
        (!v.leaf_days_left || *v.intermediate_days_left < *v.leaf_days_left)) {
      for (size_t i = 1; i < obs.served.size(); ++i) {
        auto left = obs.served[i].days_left(now);
        if (left && *left == *v.intermediate_days_left) {
          v.summary += ", intermediate " + cert_label(obs.served[i]) + " expires in " +
                       days_text(*left) + " days (" + iso8601_utc(*obs.served[i].not_after) + ")";
          break;
        }
      }
    }
  }
  return v;
}

}  // namespace lookout::probes
