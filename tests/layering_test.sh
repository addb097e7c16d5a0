#!/usr/bin/env bash
# The layer rule (docs/architecture.md), checked on every #include "..." of the sources:
#   net <- config <- probes <- store <- alerting <- agent;  store <- reports <- agent
# A layer may include itself and the layers to its left; nothing outside agent/ includes agent/.
# reports/ may use alerting's pure logic only (not the service, outbox or sinks).
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [net]="net"
  [config]="config net"
  [probes]="probes config net"
  [store]="store probes config net"
  [alerting]="alerting store probes config net"
  [reports]="reports alerting store probes config net"
  [agent]="agent reports alerting store probes config net"
)
bad=0
for layer in "${!allowed[@]}"; do
  [ -d "$layer" ] || continue
  while IFS= read -r line; do
    file=${line%%:*}
    inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
    top=${inc%%/*}
    [ "$top" = "$inc" ] && continue  # a generated header in the build tree (version.h)
    ok=0
    for a in ${allowed[$layer]}; do [ "$top" = "$a" ] && ok=1; done
    if [ $ok = 0 ]; then
      echo "layering: $file includes $inc ($layer/ may include: ${allowed[$layer]})"
      bad=1
    fi
  done < <(grep -rHE '^\s*#\s*include "' "$layer" --include='*.h' --include='*.cc' || true)
done
# reports/ reads alerting's pure logic (calendar, SLA clock, incident and ticket types, policy),
# never its running parts (the service, the outbox, sinks: threads and sockets).
while IFS= read -r line; do
  echo "layering: ${line%%:*} includes ${line#*#include } (reports/ may use alerting's pure logic only)"
  bad=1
done < <(grep -rHE '^\s*#\s*include "alerting/(alerting_service|outbox|sink|webhook_sink|incident_engine)\.h"' \
           reports --include='*.h' --include='*.cc' 2>/dev/null || true)
if [ $bad = 0 ]; then echo "layering: every include follows the rule"; fi
exit $bad
