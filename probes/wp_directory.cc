#include "probes/wp_directory.h"

#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "probes/catalog.h"
#include "probes/version.h"

namespace lookout::probes {

DirectoryAnswer parse_directory_info(std::string_view json) {
  DirectoryAnswer a;
  if (json.size() > (2u << 20)) {
    a.error = "directory answer larger than 2 MiB";
    return a;
  }
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    a.error = "directory answer is not a JSON object";
    return a;
  }
  if (auto e = j.find("error"); e != j.end()) {
    std::string why = e->is_string() ? e->get<std::string>() : std::string("error");
    if (why.size() > 120) why = why.substr(0, 120) + "...";
    for (auto& c : why)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    a.error = "not in the WordPress.org directory (" + why + ")";
    return a;
  }
  auto v = j.find("version");
  if (v == j.end() || !v->is_string()) {
    a.error = "directory answer has no version";
    return a;
  }
  std::string text = v->get<std::string>();
  auto parsed = text.size() <= 32 ? Version::parse(text) : std::nullopt;
  if (!parsed) {
    a.error = "directory answer's version is not a version";
    return a;
  }
  a.latest = parsed->text();
  return a;
}

std::string directory_info_url(std::string_view api_base, std::string_view kind,
                               std::string_view slug) {
  std::string base(api_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  const bool theme = kind == "theme";
  return base + (theme ? "/themes/info/1.2/?action=theme_information"
                       : "/plugins/info/1.2/?action=plugin_information") +
         "&request%5Bslug%5D=" + std::string(slug) +
         (theme ? "&request%5Bfields%5D%5Bsections%5D=0"
                : "&request%5Bfields%5D%5Bsections%5D=0");
}

namespace {
struct Entry {
  DirectoryAnswer answer;
  std::chrono::steady_clock::time_point expires;
  uint64_t generation = 0;
};
std::mutex g_mutex;
std::map<std::string, Entry> g_entries;
}  // namespace

DirectoryCache& DirectoryCache::instance() {
  static DirectoryCache cache;
  return cache;
}

std::optional<DirectoryAnswer> DirectoryCache::get(const std::string& key,
                                                   std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(g_mutex);
  auto it = g_entries.find(key);
  if (it == g_entries.end()) return std::nullopt;
  // Refreshed with the catalogue: a refresh bumps the generation and the answers go.
  if (it->second.expires <= now || it->second.generation != Catalog::generation()) {
    g_entries.erase(it);
    return std::nullopt;
  }
  return it->second.answer;
}

void DirectoryCache::put(const std::string& key, DirectoryAnswer answer,
                         std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(g_mutex);
  if (g_entries.size() >= kMaxEntries) g_entries.clear();
  g_entries[key] = Entry{std::move(answer), now + kTtl, Catalog::generation()};
}

void DirectoryCache::clear() {
  std::lock_guard lock(g_mutex);
  g_entries.clear();
}

}  // namespace lookout::probes
