// libFuzzer target: the config loader (config::load_config_text) on arbitrary YAML/JSON text.
// Whatever the bytes: no crash, no exception, and either a config or at least one error with
// a printable message, never both.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.h"
#include "probes/probe_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  lookout::config::LoadResult r = lookout::config::load_config_text(text, "fuzz.yaml", lookout::probes::check_types());
  if (r.config.has_value() == !r.errors.empty()) std::abort();
  for (const auto& e : r.errors.list())
    if (e.message.empty() || e.to_string().empty()) std::abort();
  return 0;
}
