// The one table of check types: name -> option parser/factory and its one-shot CLI flags.
// Adding a probe = one file pair + one line in probe_registry.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/check_types.h"
#include "config/errors.h"
#include "config/options.h"
#include "net/url.h"
#include "probes/probe.h"

namespace lookout::probes {

/// A `lookout check` flag that sets one option key (values are parsed by the same option
/// parser as the YAML config, so the CLI and the config can never disagree).
struct CliFlag {
  std::string flag;    // "--expect-status"
  std::string key;     // "expect_status"
  std::string help;
  bool multi = false;      // may be repeated; becomes a list
  bool is_switch = false;  // takes no value; becomes true
  bool duration = false;   // a bare number means seconds on the command line (Nagios style)
};

struct ProbeKind {
  std::string name;  // "http", "tls", ...
  std::string description;
  /// Reads this type's options from `options`, fills defaults (e.g. the target derived from
  /// the site URL, stored back into spec.target), and returns the probe; nullptr after adding
  /// errors when the options are invalid. Must not report unknown keys itself.
  ProbePtr (*build)(CheckSpec& spec, config::OptionMap& options, config::Errors& errors) = nullptr;
  std::vector<CliFlag> cli_flags;
};

const std::vector<ProbeKind>& probe_kinds();
/// The check types as the config loader sees them (config/check_types.h).
const config::CheckTypes& check_types();

/// For probes that fetch the site over HTTP(S): defaults spec.target to the site URL and parses
/// it. A bad site URL is reported once by the config loader (at the site), so it is only
/// reported here when the check set its own target. nullopt when there is no usable URL.
std::optional<net::Url> url_target(CheckSpec& spec, config::OptionMap& options,
                                   config::Errors& errors, const std::string& type);
const ProbeKind* find_probe_kind(std::string_view name);

}  // namespace lookout::probes
