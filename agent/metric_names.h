// Metric names are a contract with dashboards/: HELP texts for every family the agent exports.
// blackbox_exporter's names are kept where the same thing exists.
#pragma once

#include <string_view>

namespace lookout::agent {

struct MetricHelp {
  std::string_view name;
  std::string_view help;
};

inline constexpr MetricHelp kMetricHelp[] = {
    {"probe_success", "Displays whether or not the probe was a success"},
    {"probe_duration_seconds", "Returns how long the probe took to complete in seconds"},
    {"probe_http_status_code", "Response HTTP status code"},
    {"probe_http_duration_seconds", "Duration of http request by phase, summed over all redirects"},
    {"probe_http_content_length", "Length of http content response"},
    {"probe_http_redirects", "The number of redirects"},
    {"probe_http_ssl", "Indicates if SSL was used for the final redirect"},
    {"probe_failed_due_to_regex", "Indicates if probe failed due to regex"},
    {"probe_ssl_earliest_cert_expiry", "Returns last SSL chain expiry in unixtime"},
    {"probe_ssl_last_chain_expiry_timestamp_seconds", "Returns last SSL chain expiry in timestamp"},
    {"probe_tls_version_info", "Returns the TLS version used or NaN when unknown"},
    {"probe_tls_cipher_info", "Returns the TLS cipher negotiated during handshake"},
    {"lookout_check_status", "Status of the last run: 0 ok, 1 warning, 2 critical, 3 unknown"},
};

}  // namespace lookout::agent
