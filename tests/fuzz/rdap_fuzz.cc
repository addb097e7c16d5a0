// libFuzzer target: RDAP reply and bootstrap parsing (probes/rdap.h), the part of the domain
// probe that reads what a registry (or anything pretending to be one) sends. Whatever the bytes:
// no crash, no exception, and a parse result that is either a domain or an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "probes/rdap.h"

using namespace lookout::probes::rdap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  DomainParse p = parse_domain(text);
  if (p.domain.has_value() == !p.error.empty()) std::abort();  // exactly one of the two
  if (p.domain) {
    size_t total = p.domain->registrar.size() + p.domain->ldh_name.size();
    for (const auto& s : p.domain->status) total += s.size();
    if (total > size) std::abort();  // nothing is invented beyond the input
  }
  (void)error_text(text);
  (void)parse_rfc3339(text);

  std::string error;
  if (auto b = parse_bootstrap(text, error)) {
    (void)base_url_for(*b, "www.example.com");
    (void)base_url_for(*b, "example.co.uk.");
    (void)base_url_for(*b, text.substr(0, 64));
  } else if (error.empty()) {
    std::abort();
  }
  std::string name = normalize_domain(text);
  if (!name.empty() && normalize_domain(name) != name) std::abort();  // idempotent
  return 0;
}
