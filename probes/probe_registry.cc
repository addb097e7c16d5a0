#include "probes/probe_registry.h"

#include "probes/disk_probe.h"
#include "probes/dns_probe.h"
#include "probes/dnsbl_probe.h"
#include "probes/domain_probe.h"
#include "probes/http_probe.h"
#include "probes/patch_probe.h"
#include "probes/tls_probe.h"

namespace lookout::probes {

const std::vector<ProbeKind>& probe_kinds() {
  // The one list of check types. Each *_probe.h declares its kind() function.
  static const std::vector<ProbeKind> kinds = {
      http_probe_kind(),
      tls_probe_kind(),
      disk_probe_kind(),
      dns_probe_kind(),
      dnsbl_probe_kind(),
      patch_probe_kind(),
      domain_probe_kind(),
  };
  return kinds;
}

std::optional<net::Url> url_target(CheckSpec& spec, config::OptionMap& options,
                                   config::Errors& errors, const std::string& type) {
  bool explicit_target = !spec.target.empty() && spec.target != spec.site_url;
  if (spec.target.empty()) spec.target = spec.site_url;
  if (spec.target.empty()) {
    options.error("target", "a " + type + " check needs a URL (site url or target)", errors);
    return std::nullopt;
  }
  std::string err;
  auto url = net::parse_url(spec.target, &err);
  if (!url && (explicit_target || spec.site_url.empty()))
    options.error("target", "bad URL '" + spec.target + "': " + err, errors);
  return url;
}

const ProbeKind* find_probe_kind(std::string_view name) {
  for (const auto& k : probe_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

namespace {
class RegistryCheckTypes final : public config::CheckTypes {
 public:
  bool has(std::string_view type) const override { return find_probe_kind(type) != nullptr; }
  std::vector<std::string> names() const override {
    std::vector<std::string> out;
    for (const auto& k : probe_kinds()) out.push_back(k.name);
    return out;
  }
  std::shared_ptr<Probe> build(CheckSpec& spec, config::OptionMap& options,
                               config::Errors& errors) const override {
    const ProbeKind* kind = find_probe_kind(spec.type);
    return kind ? kind->build(spec, options, errors) : nullptr;
  }
};
}  // namespace

const config::CheckTypes& check_types() {
  static const RegistryCheckTypes types;
  return types;
}

}  // namespace lookout::probes
