// Every metric family the agent exports, with its type and HELP text: the one list. Metric
// names are a contract with dashboards/; blackbox_exporter's names (and HELP texts) are kept
// where the same thing exists. tests/agent/metrics_test.cc fails when a probe emits a sample
// whose family is not listed here.
#pragma once

#include <string>
#include <string_view>

namespace lookout::agent {

enum class MetricType { gauge, counter, histogram };

struct MetricFamily {
  std::string_view name;
  MetricType type;
  std::string_view help;
};

inline constexpr MetricFamily kMetricFamilies[] = {
    // The agent itself.
    {"lookout_check_runs_total", MetricType::counter, "Checks completed, by resulting status"},
    {"lookout_checks_configured", MetricType::gauge, "Checks in the loaded config"},
    {"lookout_checks_in_flight", MetricType::gauge, "Checks running right now"},
    {"lookout_scheduling_lag_seconds", MetricType::histogram, "Delay between a check's due time and its start"},
    {"lookout_check_missed_runs_total", MetricType::counter, "Runs skipped because the previous run of the check was still going"},
    {"lookout_check_deferred_runs_total", MetricType::counter, "Runs that waited for the global or per-host in-flight limit"},
    {"lookout_resolver_cache_lookups", MetricType::gauge, "DNS cache lookups since start, by result (hit, miss)"},
    {"lookout_config_last_reload_successful", MetricType::gauge, "Whether the last configuration reload attempt was successful"},
    {"lookout_config_last_reload_success_timestamp_seconds", MetricType::gauge, "Timestamp of the last successful configuration reload"},
    {"lookout_build_info", MetricType::gauge, "A metric with a constant '1' value labeled by version and revision of lookout"},
    // Release catalogue refresh (agent/catalog_refresher.cc).
    {"lookout_catalog_age_seconds", MetricType::gauge,
     "Age of the release catalogue data of a product (now minus its as_of date)"},
    {"lookout_catalog_refresh_failures_total", MetricType::counter,
     "Catalogue feeds that failed to refresh (down, garbage, truncated, too large); the last good data was kept"},
    // The process (agent/process_stats.cc): the names and HELP of Prometheus client libraries.
    {"process_cpu_seconds_total", MetricType::counter, "Total user and system CPU time spent in seconds."},
    {"process_resident_memory_bytes", MetricType::gauge, "Resident memory size in bytes."},
    {"process_virtual_memory_bytes", MetricType::gauge, "Virtual memory size in bytes."},
    {"process_start_time_seconds", MetricType::gauge, "Start time of the process since unix epoch in seconds."},
    {"process_open_fds", MetricType::gauge, "Number of open file descriptors."},
    {"process_max_fds", MetricType::gauge, "Maximum number of open file descriptors."},
    // Alerting (agent/alerting_runtime.cc).
    {"lookout_incidents_open", MetricType::gauge, "Open incidents, by client and priority"},
    {"lookout_outbox_pending", MetricType::gauge, "Notifications stored and not yet delivered, by sink"},
    {"lookout_outbox_oldest_pending_seconds", MetricType::gauge,
     "Age of the oldest undelivered notification, by sink (0 when none)"},
    {"lookout_notifications_total", MetricType::counter,
     "Delivery attempts finished, by sink and result (delivered, retried, failed)"},
    {"lookout_connectivity_suspect", MetricType::gauge,
     "Whether the agent suspects its own network (1: every canary failing or a storm of failing checks; new tickets and pages held)"},
    {"lookout_ticket_sla_due_timestamp_seconds", MetricType::gauge,
     "When an open built-in ticket's SLA clock is due (Unix time), by ticket and sla (response, "
     "resolution); absent once met or while on hold"},
    // Per check, for every check type (labels client, site, check, type).
    {"probe_success", MetricType::gauge,
     "Displays whether or not the probe was a success (1 for ok and warning, 0 for critical and "
     "unknown)"},
    {"probe_duration_seconds", MetricType::gauge, "Returns how long the probe took to complete in seconds"},
    {"lookout_check_status", MetricType::gauge,
     "Status of the last run: 0 ok, 1 warning, 2 critical, 3 unknown"},
    {"lookout_check_failures_total", MetricType::counter,
     "Check runs whose verdict was critical or unknown (probe_success 0), by failure kind"},
    // http (blackbox_exporter names)
    {"probe_http_status_code", MetricType::gauge, "Response HTTP status code"},
    {"probe_http_duration_seconds", MetricType::gauge,
     "Duration of http request by phase, summed over all redirects"},
    {"probe_http_content_length", MetricType::gauge, "Length of http content response"},
    {"probe_http_uncompressed_body_length", MetricType::gauge, "Length of uncompressed response body"},
    {"probe_http_redirects", MetricType::gauge, "The number of redirects"},
    {"probe_http_ssl", MetricType::gauge, "Indicates if SSL was used for the final redirect"},
    {"probe_failed_due_to_regex", MetricType::gauge, "Indicates if probe failed due to regex"},
    // tls
    {"probe_ssl_earliest_cert_expiry", MetricType::gauge, "Returns last SSL chain expiry in unixtime"},
    {"probe_ssl_last_chain_expiry_timestamp_seconds", MetricType::gauge,
     "Returns last SSL chain expiry in timestamp"},
    {"probe_tls_version_info", MetricType::gauge, "Returns the TLS version used or NaN when unknown"},
    {"probe_tls_cipher_info", MetricType::gauge, "Returns the TLS cipher negotiated during handshake"},
    {"lookout_tls_cert_not_after_seconds", MetricType::gauge,
     "Expiry (Unix time) of the leaf and of the earliest-expiring intermediate certificate"},
    // dns
    {"probe_dns_lookup_time_seconds", MetricType::gauge, "Returns the time taken for probe dns lookup in seconds"},
    {"probe_dns_answer_rrs", MetricType::gauge, "Returns number of entries in the answer resource record list"},
    {"probe_dns_authority_rrs", MetricType::gauge, "Returns number of entries in the authority resource record list"},
    {"probe_dns_additional_rrs", MetricType::gauge, "Returns number of entries in the additional resource record list"},
    // dnsbl
    {"lookout_dnsbl_listed", MetricType::gauge, "Whether the target is listed on a DNS blacklist (1) or not (0), by list"},
    {"lookout_dnsbl_errors", MetricType::gauge, "Whether querying a blacklist failed in the last run (1) or not (0), by list"},
    // domain
    {"lookout_domain_expiry_timestamp_seconds", MetricType::gauge,
     "Registration expiry of the domain (Unix time), from RDAP"},
    // disk
    {"lookout_disk_used_ratio", MetricType::gauge, "Used fraction of a filesystem (0 to 1), by mount"},
    {"lookout_disk_free_bytes", MetricType::gauge, "Bytes available to unprivileged users, by mount"},
    {"lookout_disk_size_bytes", MetricType::gauge, "Filesystem size in bytes, by mount"},
    {"lookout_disk_inodes_used_ratio", MetricType::gauge, "Used fraction of a filesystem's inodes, by mount"},
    {"lookout_disk_days_to_full", MetricType::gauge,
     "Days until the filesystem is full at the recent growth rate (absent when not growing)"},
    // patch
    {"lookout_patch_status", MetricType::gauge,
     "Patch verdict of the detected CMS: 0 current, 1 outdated, 2 insecure, 3 unknown"},
    {"lookout_patch_components", MetricType::gauge,
     "WordPress plugins and themes of a site, by status (current, outdated, insecure, unknown)"},
    {"lookout_patch_days_exposed", MetricType::gauge,
     "Days since the installed version became insecure (a security release it lacks came out)"},
};

/// The family of a sample name, or nullptr when it is not listed.
constexpr const MetricFamily* find_metric_family(std::string_view name) {
  for (const auto& f : kMetricFamilies)
    if (f.name == name) return &f;
  return nullptr;
}

constexpr std::string_view type_name(MetricType t) {
  return t == MetricType::counter ? "counter" : t == MetricType::histogram ? "histogram" : "gauge";
}

/// "# HELP name ...\n# TYPE name ...\n" from the list (for families written as text).
inline std::string family_header(std::string_view name) {
  const auto* f = find_metric_family(name);
  std::string n(name);
  return "# HELP " + n + " " + std::string(f ? f->help : name) + "\n# TYPE " + n + " " +
         std::string(type_name(f ? f->type : MetricType::gauge)) + "\n";
}

}  // namespace lookout::agent
