// HTTP(S) uptime probe: status codes, keyword present/absent, response-time thresholds,
// redirects with loop detection, capped body, TLS verification, optional check of every
// resolved address.
#pragma once

#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind http_probe_kind();

}  // namespace lookout::probes
