// TLS certificate probe: handshake with SNI (optionally after SMTP STARTTLS), chain
// verification against the system store or a CA file, hostname check, expiry of every served
// certificate against lifetime-aware thresholds, weak keys and signatures, optionally whether
// TLS < 1.2 is still accepted. Reports why a certificate is bad (findings), not just that it is.
#pragma once

#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind tls_probe_kind();

}  // namespace lookout::probes
