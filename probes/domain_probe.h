// Domain-expiry probe: asks the registry over RDAP (RFC 9083 JSON over HTTPS) when the domain's
// registration expires, and reports days left, registrar and EPP status. The registry's base URL
// is configured (rdap_url) or picked by TLD from an RFC 9224 bootstrap file (bootstrap_file).
#pragma once

#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind domain_probe_kind();

}  // namespace lookout::probes
