// Patch-version probe: detects the CMS a site runs and the version it reveals (cms_detector.h)
// with a handful of polite GETs, and judges that version against the release catalogue
// (catalog.h): current -> ok, a newer release -> warning, a newer security release or a branch
// past end of life -> critical, version unknown or too imprecise -> unknown. Records in the
// History when a site first became outdated/insecure and when it became current again, so
// reports can count the days it was exposed.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "probes/probe_registry.h"

namespace lookout::probes {

ProbeKind patch_probe_kind();

/// History fact keys (per check), ISO 8601 UTC timestamps.
inline constexpr const char* kPatchOutdatedSince = "patch_outdated_since";
inline constexpr const char* kPatchInsecureSince = "patch_insecure_since";
inline constexpr const char* kPatchCurrentSince = "patch_current_since";
/// Days the last finished exposure lasted (written when the site becomes current again).
inline constexpr const char* kPatchLastExposureDays = "patch_last_exposure_days";

/// "2026-11-22T15:04:05Z" (as written by net::iso8601_utc) back to a time; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso_timestamp(const std::string& s);

}  // namespace lookout::probes
