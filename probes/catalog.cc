#include "probes/catalog.h"

#include <atomic>
#include <cstdio>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <pugixml.hpp>
#include <yaml-cpp/yaml.h>

namespace lookout::probes {
namespace {

constexpr size_t kMaxCatalogFileBytes = 16 << 20;
constexpr const char* kFormat = "lookout-release-catalog/1";

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

bool valid_product_name(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// Plain (unquoted) YAML/JSON scalars true/false are booleans; quoted ones are strings.
std::optional<bool> plain_bool(const YAML::Node& n) {
  if (!n.IsScalar() || n.Tag() == "!") return std::nullopt;
  if (n.Scalar() == "true") return true;
  if (n.Scalar() == "false") return false;
  return std::nullopt;
}

bool read_file_capped(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open";
    return false;
  }
  out.clear();
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxCatalogFileBytes) {
      error = "file larger than 16 MiB";
      return false;
    }
  }
  return true;
}

// Reads `key` of branch/top-level maps as a version.
std::optional<Version> read_version(const YAML::Node& map, const char* key,
                                    const std::string& path, config::Errors& errors,
                                    bool& ok) {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  std::string why;
  std::optional<Version> v;
  if (n.IsScalar()) v = Version::parse(n.Scalar(), &why);
  else why = "expected a version string";
  if (!v) {
    errors.add(n, path + "." + key, "invalid version: " + why);
    ok = false;
  }
  return v;
}

std::optional<std::string> read_string(const YAML::Node& map, const char* key,
                                       const std::string& path, config::Errors& errors,
                                       bool& ok) {
  YAML::Node n = map[key];
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (!n.IsScalar()) {
    errors.add(n, path + "." + key, "expected a string");
    ok = false;
    return std::nullopt;
  }
  return n.Scalar();
}

void check_keys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                const std::string& path, config::Errors& errors, bool& ok) {
  for (const auto& kv : map) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
      errors.add(kv.first, path, "missing or empty key (is this valid JSON?)");
      ok = false;
      continue;
    }
    std::string k = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      errors.add(kv.first, path.empty() ? k : path + "." + k, "unknown key");
      ok = false;
    }
  }
}

bool read_eol(const YAML::Node& n, const std::string& path, config::Errors& errors,
              EndOfLife& eol) {
  if (!n.IsDefined() || n.IsNull()) return true;
  if (auto b = plain_bool(n)) {
    eol.flag = *b;
    return true;
  }
  if (n.IsScalar() && valid_date(n.Scalar())) {
    eol.date = n.Scalar();
    return true;
  }
  errors.add(n, path, "expected true, false or a date YYYY-MM-DD");
  return false;
}

void sort_branches(ProductCatalog& pc) {
  std::sort(pc.branches.begin(), pc.branches.end(),
            [](const CatalogBranch& a, const CatalogBranch& b) {
              int c = compare(a.branch, b.branch);
              if (c != 0) return c > 0;
              return a.branch.components().size() > b.branch.components().size();
            });
}

CatalogBranch& branch_named(ProductCatalog& pc, const std::string& name, const Version& v) {
  for (auto& b : pc.branches)
    if (b.name == name) return b;
  CatalogBranch b;
  b.name = name;
  b.branch = v;
  pc.branches.push_back(std::move(b));
  return pc.branches.back();
}

void raise_latest(std::optional<Version>& slot, const Version& v) {
  if (!slot || *slot < v) slot = v;
}

std::string eol_text(const EndOfLife& e) {
  if (!e.date.empty()) return e.date;
  return e.flag ? "true" : "false";
}

}  // namespace

std::string_view to_string(PatchStatus s) {
  switch (s) {
    case PatchStatus::current: return "current";
    case PatchStatus::outdated: return "outdated";
    case PatchStatus::insecure: return "insecure";
    case PatchStatus::unknown: return "unknown";
  }
  return "unknown";
}

std::optional<PatchStatus> patch_status_from_string(std::string_view s) {
  // "latest" is what WordPress stable-check calls the current release.
  if (s == "current" || s == "latest") return PatchStatus::current;
  if (s == "outdated") return PatchStatus::outdated;
  if (s == "insecure") return PatchStatus::insecure;
  if (s == "unknown") return PatchStatus::unknown;
  return std::nullopt;
}

std::string iso_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// ---------------------------------------------------------------- ProductCatalog

const CatalogBranch* ProductCatalog::branch_of(const Version& v) const {
  const CatalogBranch* best = nullptr;
  for (const auto& b : branches)
    if (v.in_branch(b.branch) &&
        (!best || b.branch.components().size() > best->branch.components().size()))
      best = &b;
  return best;
}

std::optional<Version> ProductCatalog::latest_release() const {
  std::optional<Version> out = latest;
  for (const auto& b : branches)
    if (b.latest && !b.latest->is_prerelease()) raise_latest(out, *b.latest);
  return out;
}

std::optional<PatchStatus> ProductCatalog::version_status(const Version& v) const {
  auto it = versions.find(v);
  if (it == versions.end()) return std::nullopt;
  return it->second;
}

namespace {

nlohmann::ordered_json ordered_json_of(const ProductCatalog& pc) {
  nlohmann::ordered_json j;
  j["format"] = kFormat;
  j["product"] = pc.product;
  j["name"] = pc.name;
  if (!pc.as_of.empty()) j["as_of"] = pc.as_of;
  j["sources"] = pc.sources;
  if (!pc.notes.empty()) j["notes"] = pc.notes;
  if (auto l = pc.latest_release()) j["latest"] = l->text();
  nlohmann::ordered_json bs = nlohmann::ordered_json::array();
  for (const auto& b : pc.branches) {
    nlohmann::ordered_json o;
    o["branch"] = b.name;
    o["latest"] = b.latest ? nlohmann::ordered_json(b.latest->text()) : nullptr;
    o["latest_security"] =
        b.latest_security ? nlohmann::ordered_json(b.latest_security->text()) : nullptr;
    if (!b.eol.date.empty()) o["eol"] = b.eol.date;
    else o["eol"] = b.eol.flag;
    if (!b.released.empty()) o["released"] = b.released;
    bs.push_back(std::move(o));
  }
  j["branches"] = std::move(bs);
  if (!pc.versions.empty()) {
    nlohmann::ordered_json vs = nlohmann::ordered_json::object();
    for (auto it = pc.versions.rbegin(); it != pc.versions.rend(); ++it)  // highest first
      vs[it->first.text()] =
          it->second == PatchStatus::current ? "latest" : std::string(to_string(it->second));
    j["versions"] = std::move(vs);
  }
  return j;
}

}  // namespace

nlohmann::json ProductCatalog::to_json() const {
  return nlohmann::json::parse(ordered_json_of(*this).dump());
}

std::string catalog_file_text(const ProductCatalog& pc) { return ordered_json_of(pc).dump(2) + "\n"; }

// ---------------------------------------------------------------- loading

std::optional<ProductCatalog> Catalog::parse_product(const std::string& text,
                                                     const std::string& file,
                                                     config::Errors& errors) {
  // Strict JSON first (the format is JSON); yaml-cpp then gives every value its line:column.
  try {
    auto strict = nlohmann::json::parse(text);
    (void)strict;
  } catch (const nlohmann::json::parse_error& e) {
    YAML::Mark mark;
    mark.pos = static_cast<int>(e.byte);
    mark.line = 0;
    mark.column = 0;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++mark.line;
        mark.column = 0;
      } else {
        ++mark.column;
      }
    }
    std::string what = e.what();
    if (size_t at = what.find("syntax error"); at != std::string::npos) what = what.substr(at);
    errors.add_at(mark, "", "invalid JSON: " + what);
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    errors.add_at(e.mark, "", "invalid JSON: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsMap()) {
    errors.add(root, "", "expected a JSON object");
    return std::nullopt;
  }
  bool ok = true;
  check_keys(root,
             {"format", "product", "name", "as_of", "sources", "notes", "latest", "branches",
              "versions"},
             "", errors, ok);
  ProductCatalog pc;
  pc.file = file;
  if (auto f = read_string(root, "format", "", errors, ok); f && *f != kFormat) {
    errors.add(root["format"], "format", "unsupported format \"" + *f + "\" (expected " +
                                             std::string(kFormat) + ")");
    ok = false;
  }
  auto product = read_string(root, "product", "", errors, ok);
  if (!product) {
    if (ok) errors.add(root, "product", "missing field");
    ok = false;
  } else if (!valid_product_name(*product)) {
    errors.add(root["product"], "product", "product must be lower-case letters, digits, - or _");
    ok = false;
  } else {
    pc.product = *product;
  }
  pc.name = read_string(root, "name", "", errors, ok).value_or(pc.product);
  if (auto a = read_string(root, "as_of", "", errors, ok)) {
    if (!valid_date(*a)) {
      errors.add(root["as_of"], "as_of", "expected a date YYYY-MM-DD");
      ok = false;
    }
    pc.as_of = *a;
  }
  pc.notes = read_string(root, "notes", "", errors, ok).value_or("");
  if (YAML::Node s = root["sources"]; s.IsDefined() && !s.IsNull()) {
    if (!s.IsSequence()) {
      errors.add(s, "sources", "expected a list of URLs");
      ok = false;
    } else {
      for (const auto& item : s)
        if (item.IsScalar()) pc.sources.push_back(item.Scalar());
    }
  }
  pc.latest = read_version(root, "latest", "", errors, ok);

  YAML::Node branches = root["branches"];
  if (!branches.IsDefined() || branches.IsNull()) {
    errors.add(root, "branches", "missing field");
    ok = false;
  } else if (!branches.IsSequence()) {
    errors.add(branches, "branches", "expected a list");
    ok = false;
  } else {
    std::set<std::string> seen;
    for (size_t i = 0; i < branches.size(); ++i) {
      YAML::Node b = branches[i];
      std::string path = "branches[" + std::to_string(i) + "]";
      if (!b.IsMap()) {
        errors.add(b, path, "expected an object");
        ok = false;
        continue;
      }
      check_keys(b, {"branch", "latest", "latest_security", "eol", "released"}, path, errors,
                 ok);
      CatalogBranch cb;
      auto name = read_string(b, "branch", path, errors, ok);
      if (!name) {
        errors.add(b, path + ".branch", "missing field");
        ok = false;
        continue;
      }
      std::string why;
      auto bv = Version::parse(*name, &why);
      if (!bv || bv->stage() != Version::Stage::release) {
        errors.add(b["branch"], path + ".branch",
                   "invalid branch: " + (bv ? std::string("a branch is digits and dots") : why));
        ok = false;
        continue;
      }
      if (!seen.insert(bv->to_string()).second) {
        errors.add(b["branch"], path + ".branch", "duplicate branch " + *name);
        ok = false;
      }
      cb.name = *name;
      cb.branch = *bv;
      cb.latest = read_version(b, "latest", path, errors, ok);
      cb.latest_security = read_version(b, "latest_security", path, errors, ok);
      for (auto* v : {&cb.latest, &cb.latest_security})
        if (*v && !v->value().in_branch(cb.branch)) {
          errors.add(b[v == &cb.latest ? "latest" : "latest_security"],
                     path + (v == &cb.latest ? ".latest" : ".latest_security"),
                     v->value().text() + " is not in branch " + cb.name);
          ok = false;
        }
      if (!read_eol(b["eol"], path + ".eol", errors, cb.eol)) ok = false;
      if (auto r = read_string(b, "released", path, errors, ok)) {
        if (!valid_date(*r)) {
          errors.add(b["released"], path + ".released", "expected a date YYYY-MM-DD");
          ok = false;
        }
        cb.released = *r;
      }
      pc.branches.push_back(std::move(cb));
    }
  }

  if (YAML::Node vs = root["versions"]; vs.IsDefined() && !vs.IsNull()) {
    if (!vs.IsMap()) {
      errors.add(vs, "versions", "expected an object of version: latest|outdated|insecure");
      ok = false;
    } else {
      for (const auto& kv : vs) {
        std::string k = kv.first.Scalar();
        std::string why;
        auto v = Version::parse(k, &why);
        if (!v) {
          errors.add(kv.first, "versions." + k, "invalid version: " + why);
          ok = false;
          continue;
        }
        std::optional<PatchStatus> st;
        if (kv.second.IsScalar()) st = patch_status_from_string(kv.second.Scalar());
        if (!st || *st == PatchStatus::unknown) {
          errors.add(kv.second, "versions." + k, "expected latest, outdated or insecure");
          ok = false;
          continue;
        }
        pc.versions[*v] = *st;
      }
    }
  }
  if (!ok) return std::nullopt;
  sort_branches(pc);
  return pc;
}

Catalog Catalog::load(const std::string& path, std::vector<std::string>& errors) {
  Catalog cat;
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, ec))
      if (entry.path().extension() == ".json") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) errors.push_back(path + ": no *.json catalogue files");
  } else if (std::filesystem::exists(path, ec)) {
    files.push_back(path);
  } else {
    errors.push_back(path + ": no such file or directory");
  }
  for (const auto& f : files) {
    std::string text, why;
    if (!read_file_capped(f, text, why)) {
      errors.push_back(f + ": " + why);
      continue;
    }
    config::Errors ferr(f);
    auto pc = parse_product(text, f, ferr);
    for (const auto& e : ferr.list()) errors.push_back(e.to_string());
    if (!pc) continue;
    if (cat.products_.count(pc->product)) {
      errors.push_back(f + ": product \"" + pc->product + "\" already loaded from " +
                       cat.products_[pc->product].file);
      continue;
    }
    cat.put(std::move(*pc));
  }
  return cat;
}

std::shared_ptr<const Catalog> Catalog::load_shared(const std::string& path,
                                                    std::vector<std::string>& errors) {
  // Thousands of patch checks name the same catalogue: keep one copy per path, reloaded when
  // the newest modification time under it changes.
  struct Entry {
    int64_t stamp = 0;
    std::shared_ptr<const Catalog> catalog;
    std::vector<std::string> errors;
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> cache;
  auto stamp_of = [](const std::string& p) {
    int64_t newest = 0;
    std::error_code ec;
    auto bump = [&](const std::filesystem::path& f) {
      struct stat st {};
      if (::stat(f.c_str(), &st) == 0)
        newest = std::max<int64_t>(newest, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 +
                                               st.st_mtim.tv_nsec);
    };
    bump(p);
    if (std::filesystem::is_directory(p, ec))
      for (const auto& e : std::filesystem::directory_iterator(p, ec)) bump(e.path());
    return newest;
  };
  int64_t stamp = stamp_of(path);
  std::lock_guard lock(mutex);
  auto it = cache.find(path);
  if (it == cache.end() || it->second.stamp != stamp) {
    Entry e;
    e.stamp = stamp;
    e.catalog = std::make_shared<const Catalog>(load(path, e.errors));
    it = cache.insert_or_assign(path, std::move(e)).first;
  }
  errors.insert(errors.end(), it->second.errors.begin(), it->second.errors.end());
  return it->second.catalog;
}

std::string Catalog::default_path() {
  if (const char* env = std::getenv("LOOKOUT_CATALOG_DIR"); env && *env) return env;
  std::error_code ec;
  for (const char* p : {LOOKOUT_SOURCE_DIR "/config/catalog", "/usr/local/share/lookout/catalog",
                        "/usr/share/lookout/catalog", "/etc/lookout/catalog"})
    if (std::filesystem::is_directory(p, ec)) return p;
  return LOOKOUT_SOURCE_DIR "/config/catalog";
}

namespace {
std::atomic<uint64_t> g_generation{0};
std::atomic<int64_t> g_max_age_seconds{7 * 86400};
}  // namespace

uint64_t Catalog::generation() { return g_generation.load(std::memory_order_acquire); }
void Catalog::bump_generation() { g_generation.fetch_add(1, std::memory_order_acq_rel); }

void set_catalog_max_age(std::chrono::seconds age) { g_max_age_seconds.store(age.count()); }
std::chrono::seconds catalog_max_age() { return std::chrono::seconds(g_max_age_seconds.load()); }

std::optional<int> catalog_age_days(const ProductCatalog& pc,
                                    std::chrono::system_clock::time_point now) {
  int y = 0, m = 0, d = 0;
  if (pc.as_of.size() != 10 || std::sscanf(pc.as_of.c_str(), "%4d-%2d-%2d", &y, &m, &d) != 3)
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  auto then = std::chrono::sys_days(ymd);
  auto days = std::chrono::floor<std::chrono::days>(now - then).count();
  return static_cast<int>(days);
}

const ProductCatalog* Catalog::find(std::string_view product) const {
  auto it = products_.find(std::string(product));
  return it == products_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------- assessment

Assessment assess(const ProductCatalog* pc, const Version& v, bool exact, std::string_view today) {
  Assessment a;
  if (!pc) {
    a.reason = "no release catalogue for this product";
    return a;
  }
  auto latest = pc->latest_release();
  if (latest) a.latest = latest->text();
  const bool precise = exact && !v.is_branch_snapshot();
  const std::string shown = v.text();

  const CatalogBranch* b = pc->branch_of(v);
  if (!b) {
    // The version is shorter than the branches ("10" vs 10.4, 10.5) or not listed at all.
    std::vector<const CatalogBranch*> under;
    for (const auto& br : pc->branches)
      if (br.branch.in_branch(v)) under.push_back(&br);
    if (!under.empty()) {
      bool all_eol = std::all_of(under.begin(), under.end(),
                                 [&](const CatalogBranch* x) { return x->eol.past(today); });
      if (all_eol) {
        a.status = PatchStatus::insecure;
        a.reason = pc->name + " " + shown + " is past end of life (every " + shown +
                   ".x branch is unsupported)";
      } else {
        a.reason = "only " + pc->name + " " + shown +
                   " is known; the release can't be pinned down enough to decide";
      }
      return a;
    }
    if (!pc->branches.empty() && v < pc->branches.back().branch) {
      a.status = PatchStatus::insecure;
      a.reason = pc->name + " " + shown + " is older than the oldest catalogued branch " +
                 pc->branches.back().name + " and long unsupported";
      return a;
    }
    a.reason = pc->name + " " + shown + " is not in the release catalogue" +
               (pc->as_of.empty() ? "" : " (as of " + pc->as_of + ")");
    return a;
  }

  a.branch = b->name;
  if (b->latest_security) a.latest_security = b->latest_security->text();
  if (b->eol.known()) a.eol = eol_text(b->eol);
  if (b->eol.past(today)) {
    a.status = PatchStatus::insecure;
    a.reason = pc->name + " " + b->name + " is past end of life" +
               (b->eol.date.empty() ? " (no secure release on this branch)"
                                    : " since " + b->eol.date);
    return a;
  }
  if (!precise) {
    a.reason = "only " + pc->name + " " + shown +
               " is known; the release can't be pinned down enough to decide";
    return a;
  }
  if (pc->version_status(v) == PatchStatus::insecure) {
    a.status = PatchStatus::insecure;
    a.reason = pc->name + " " + shown + " is listed as insecure by the vendor" +
               (b->latest_security ? "; security release " + b->latest_security->text() : "");
    return a;
  }
  if (b->latest_security && v < *b->latest_security) {
    a.status = PatchStatus::insecure;
    a.reason = pc->name + " " + shown + " is older than the security release " +
               b->latest_security->text();
    return a;
  }
  if (b->latest && v < *b->latest) {
    a.status = PatchStatus::outdated;
    a.reason = pc->name + " " + shown + " is older than " + b->latest->text() +
               ", the newest " + b->name + " release";
    return a;
  }
  if (latest && v < *latest) {
    a.status = PatchStatus::outdated;
    a.reason = pc->name + " " + shown + " is on an older branch; " + latest->text() +
               " is the newest release";
    return a;
  }
  a.status = PatchStatus::current;
  a.reason = pc->name + " " + shown + " is the newest release";
  if (latest && *latest < v)
    a.reason = pc->name + " " + shown + " is newer than the catalogue's " + latest->text() +
               (pc->as_of.empty() ? "" : " (as of " + pc->as_of + ")");
  return a;
}

// ---------------------------------------------------------------- updater

bool apply_wordpress_version_check(ProductCatalog& pc, std::string_view json, std::string& error) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "version-check: not a JSON object";
    return false;
  }
  if (!j.contains("offers") || !j["offers"].is_array() || j["offers"].empty() ||
      !j["offers"][0].is_object()) {
    error = "version-check: offers[0] missing";
    return false;
  }
  const auto& offer = j["offers"][0];
  std::string text;
  for (const char* k : {"current", "version"})
    if (offer.contains(k) && offer[k].is_string()) {
      text = offer[k].get<std::string>();
      break;
    }
  std::string why;
  auto v = Version::parse(text, &why);
  if (!v) {
    error = "version-check: offers[0].current: invalid version \"" + text + "\": " + why;
    return false;
  }
  pc.latest = v;
  auto bv = Version::parse(v->prefix(2));
  CatalogBranch& b = branch_named(pc, v->prefix(2), *bv);
  raise_latest(b.latest, *v);
  sort_branches(pc);
  return true;
}

bool apply_wordpress_stable_check(ProductCatalog& pc, std::string_view json, std::string& error) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.empty()) {
    error = "stable-check: not a JSON object of version: status";
    return false;
  }
  std::map<std::string, std::vector<std::pair<Version, PatchStatus>>> by_branch;
  std::optional<Version> latest;
  size_t used = 0;
  for (const auto& [key, value] : j.items()) {
    auto v = Version::parse(key);
    if (!v || !value.is_string()) continue;  // "0.71-gold" and friends: history, not branches
    auto st = patch_status_from_string(value.get<std::string>());
    if (!st || *st == PatchStatus::unknown) {
      error = "stable-check: \"" + key + "\": unknown status";
      return false;
    }
    ++used;
    pc.versions[*v] = *st;
    if (*st == PatchStatus::current) latest = v;
    by_branch[v->prefix(2)].emplace_back(*v, *st);
  }
  if (!used) {
    error = "stable-check: no versions";
    return false;
  }
  for (auto& [name, list] : by_branch) {
    std::sort(list.begin(), list.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    auto bv = Version::parse(name);
    if (!bv) continue;
    CatalogBranch& b = branch_named(pc, name, *bv);
    b.latest = list.back().first;
    // The first release after the last insecure one fixed everything known: that is the
    // branch's latest security release. If the newest release is insecure, the branch gets no
    // more fixes (WordPress 4.1-4.6 since 2025).
    std::optional<size_t> last_insecure;
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i].second == PatchStatus::insecure) last_insecure = i;
    if (last_insecure) {
      if (*last_insecure + 1 < list.size()) {
        b.latest_security = list[*last_insecure + 1].first;
      } else {
        b.latest_security.reset();
        b.eol.flag = true;
      }
    }
  }
  if (latest) pc.latest = latest;
  sort_branches(pc);
  return true;
}

bool apply_drupal_release_history(ProductCatalog& pc, std::string_view xml, std::string& error) {
  pugi::xml_document doc;
  auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res) {
    error = "release-history: XML error at byte " + std::to_string(res.offset) + ": " +
            res.description();
    return false;
  }
  if (auto e = doc.child("error")) {
    error = std::string("release-history: ") + e.text().as_string();
    return false;
  }
  auto project = doc.child("project");
  if (!project) {
    error = "release-history: no <project> element";
    return false;
  }
  std::vector<std::string> supported;
  {
    std::string s = project.child("supported_branches").text().as_string();
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) {
        if (item.back() == '.') item.pop_back();
        supported.push_back(item);
      }
  }
  std::string project_status = project.child("project_status").text().as_string();
  struct Rel {
    Version v;
    bool security = false;
    bool insecure = false;
    int64_t date = 0;
  };
  std::map<std::string, std::vector<Rel>> by_branch;
  size_t used = 0;
  for (auto rel : project.child("releases").children("release")) {
    std::string status = rel.child("status").text().as_string("published");
    if (status != "published") continue;
    auto v = Version::parse(rel.child("version").text().as_string());
    if (!v) continue;
    Rel r{*v, false, false, rel.child("date").text().as_llong(0)};
    for (auto term : rel.child("terms").children("term")) {
      if (std::string_view(term.child("name").text().as_string()) != "Release type") continue;
      std::string_view value = term.child("value").text().as_string();
      if (value == "Security update") r.security = true;
      if (value == "Insecure") r.insecure = true;
    }
    // Drupal 7 and older branch by major; 8+ by major.minor (supported_branches "10.5.").
    std::string branch = v->components()[0] >= 8 ? v->prefix(2) : v->prefix(1);
    if (r.insecure) pc.versions[*v] = PatchStatus::insecure;
    // A dev snapshot or rc is no release line: "11.x-dev" alone made a phantom branch "11"
    // (outside supported_branches, so end of life) that judged every newer 11.x insecure.
    if (v->is_prerelease()) continue;
    by_branch[branch].push_back(r);
    ++used;
  }
  if (!used) {
    error = "release-history: no published releases";
    return false;
  }
  for (auto& [name, rels] : by_branch) {
    auto bv = Version::parse(name);
    if (!bv) continue;
    CatalogBranch& b = branch_named(pc, name, *bv);
    for (const auto& r : rels) {
      if (r.v.is_prerelease()) continue;
      raise_latest(b.latest, r.v);
      if (r.security) raise_latest(b.latest_security, r.v);
      if (r.v.components().size() >= 2 && r.v.components().back() == 0 && r.date > 0 &&
          r.v.prefix(b.branch.components().size()) == b.name &&
          r.v.components().size() == b.branch.components().size() + 1)
        b.released = iso_date(std::chrono::system_clock::from_time_t(r.date));
    }
    bool is_supported =
        std::find(supported.begin(), supported.end(), name) != supported.end();
    if (!supported.empty() && !is_supported && b.eol.date.empty()) b.eol.flag = true;
    if (is_supported) b.eol.flag = false;
    if (project_status == "unsupported" || project_status == "insecure" ||
        project_status == "revoked")
      b.eol.flag = true;
  }
  sort_branches(pc);
  return true;
}

bool apply_endoflife(ProductCatalog& pc, std::string_view json, bool use_eol, std::string& error) {
  // yaml-cpp keeps scalars as written, so cycle 3.10 stays "3.10" (a JSON number parser would
  // make it 3.1).
  YAML::Node root;
  try {
    root = YAML::Load(std::string(json));
  } catch (const YAML::Exception& e) {
    error = "endoflife.date: invalid JSON at line " + std::to_string(e.mark.line + 1) + ": " +
            e.msg;
    return false;
  }
  YAML::Node cycles;
  bool v1 = false;
  if (root.IsSequence()) {
    cycles = root;
  } else if (root.IsMap() && root["result"].IsMap() && root["result"]["releases"].IsSequence()) {
    cycles = root["result"]["releases"];
    v1 = true;
  } else {
    error = "endoflife.date: expected an array of cycles or {result: {releases: [...]}}";
    return false;
  }
  size_t used = 0;
  for (size_t i = 0; i < cycles.size(); ++i) {
    YAML::Node c = cycles[i];
    if (!c.IsMap()) continue;
    YAML::Node name = v1 ? c["name"] : c["cycle"];
    if (!name.IsScalar()) continue;
    auto bv = Version::parse(name.Scalar());
    if (!bv || bv->stage() != Version::Stage::release) continue;
    CatalogBranch& b = branch_named(pc, name.Scalar(), *bv);
    YAML::Node latest = v1 ? c["latest"]["name"] : c["latest"];
    if (latest.IsScalar())
      if (auto lv = Version::parse(latest.Scalar()); lv && lv->in_branch(*bv))
        raise_latest(b.latest, *lv);
    YAML::Node rd = c["releaseDate"];
    if (rd.IsScalar() && valid_date(rd.Scalar())) b.released = rd.Scalar();
    if (use_eol) {
      if (v1) {
        YAML::Node from = c["eolFrom"];
        if (from.IsScalar() && valid_date(from.Scalar())) b.eol.date = from.Scalar();
        else if (auto f = plain_bool(c["isEol"])) b.eol.flag = *f;
      } else {
        YAML::Node e = c["eol"];
        if (auto f = plain_bool(e)) {
          b.eol.flag = *f;
          if (!*f) b.eol.date.clear();
        } else if (e.IsScalar() && valid_date(e.Scalar())) {
          b.eol.date = e.Scalar();
          b.eol.flag = false;
        }
      }
    }
    ++used;
  }
  if (!used) {
    error = "endoflife.date: no usable release cycles";
    return false;
  }
  sort_branches(pc);
  return true;
}

}  // namespace lookout::probes
