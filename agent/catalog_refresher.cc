#include "agent/catalog_refresher.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

#include <spdlog/spdlog.h>

#include "agent/metric_families.h"
#include "agent/metrics.h"
#include "probes/catalog.h"

namespace lookout::agent {
namespace {

std::string plural_sites(size_t n) { return std::to_string(n) + (n == 1 ? " site" : " sites"); }

}  // namespace

std::vector<std::string> describe_catalog_change(const probes::ProductCatalog* before,
                                                 const probes::ProductCatalog& after,
                                                 const std::vector<InstalledVersion>& installed,
                                                 const std::string& today) {
  using probes::PatchStatus;
  std::vector<std::string> lines;
  const std::string name = after.name.empty() ? after.product : after.name;
  // Security releases that are new: a branch whose latest_security moved (or appeared).
  std::optional<probes::Version> new_security;
  for (const auto& b : after.branches) {
    if (!b.latest_security) continue;
    const probes::CatalogBranch* old = nullptr;
    if (before)
      for (const auto& ob : before->branches)
        if (ob.name == b.name) old = &ob;
    if (old && old->latest_security && *old->latest_security >= *b.latest_security) continue;
    if (before && !old && before->branches.empty() == false) {
      // A branch new to the catalogue: its security release is news only if it is its latest.
    }
    if (!new_security || *b.latest_security > *new_security) new_security = b.latest_security;
  }
  auto latest_after = after.latest_release();
  auto latest_before = before ? before->latest_release() : std::nullopt;
  const bool new_latest = latest_after && (!latest_before || *latest_after > *latest_before);

  size_t now_insecure = 0, now_outdated = 0;
  for (const auto& iv : installed) {
    if (iv.product != after.product) continue;
    auto v = probes::Version::parse(iv.version);
    if (!v) continue;
    auto was = before ? probes::assess(before, *v, iv.exact, today).status : PatchStatus::unknown;
    auto is = probes::assess(&after, *v, iv.exact, today).status;
    if (is == PatchStatus::insecure && was != PatchStatus::insecure) ++now_insecure;
    else if (is == PatchStatus::outdated && was == PatchStatus::current) ++now_outdated;
  }
  if (!before) {
    lines.push_back(name + " release data loaded (latest " +
                    (latest_after ? latest_after->text() : std::string("?")) + ")");
    return lines;
  }
  if (new_security && (!latest_before || *new_security > *latest_before)) {
    lines.push_back(name + " " + new_security->text() + " is a security release: " +
                    plural_sites(now_insecure) + " now insecure");
    if (now_outdated) lines.back() += ", " + plural_sites(now_outdated) + " now outdated";
  } else if (new_latest) {
    lines.push_back(name + " " + latest_after->text() + " released: " +
                    plural_sites(now_outdated) + " now outdated");
    if (now_insecure) lines.back() += ", " + plural_sites(now_insecure) + " now insecure";
  } else if (now_insecure || now_outdated) {
    lines.push_back(name + " release data changed: " + plural_sites(now_insecure) +
                    " now insecure, " + plural_sites(now_outdated) + " now outdated");
  }
  return lines;
}

CatalogRefresher::CatalogRefresher(Options options, const Clock& clock, InstalledFn installed)
    : options_(std::move(options)), clock_(clock), installed_(std::move(installed)) {
  // The age metric is there from the start, from the files as they are.
  std::vector<std::string> errors;
  auto catalog = probes::Catalog::load(options_.dir, errors);
  for (const auto& [name, pc] : catalog.products()) products_[name] = Product{pc.name, pc.as_of};
}

CatalogRefresher::~CatalogRefresher() { stop(); }

CatalogRefresher::Options CatalogRefresher::options_for(const config::CatalogSettings& s) {
  Options o;
  o.dir = probes::Catalog::default_path();
  if (s.mirror.starts_with("http://") || s.mirror.starts_with("https://"))
    o.feeds.mirror_url = s.mirror;
  else if (!s.mirror.empty())
    o.feeds.from_dir = s.mirror;
  else
    o.feeds.official = true;
  return o;
}

std::vector<std::string> CatalogRefresher::refresh_once() {
  std::vector<std::string> lines;
  const auto now = clock_.now();
  const std::string today = probes::iso_date(now);
  auto result = update_catalog(options_.feeds, options_.dir, options_.timeout, options_.ca_file, today);
  if (!result.written.empty()) probes::Catalog::bump_generation();
  if (result.failures > 0) {
    failures_.fetch_add(static_cast<uint64_t>(result.failures));
    for (const auto& e : result.errors) {
      lines.push_back("catalogue refresh: " + e + " (last good data kept)");
      spdlog::warn("{}", lines.back());
    }
  }
  std::vector<InstalledVersion> installed;
  if (installed_ && !result.after.empty()) installed = installed_();
  for (const auto& [name, pc] : result.after) {
    auto it = result.before.find(name);
    for (auto& line : describe_catalog_change(it == result.before.end() ? nullptr : &it->second, pc,
                                              installed, today)) {
      spdlog::info("catalogue refresh: {}", line);
      lines.push_back(std::move(line));
    }
  }
  if (result.rdap_written) {
    lines.push_back("RDAP bootstrap refreshed (publication " + result.rdap_publication + ")");
    spdlog::info("catalogue refresh: {}", lines.back());
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, pc] : result.after) products_[name] = Product{pc.name, pc.as_of};
    last_errors_ = result.errors;
  }
  check_staleness();
  return lines;
}

std::vector<CatalogStaleness> CatalogRefresher::staleness() const {
  const auto now = clock_.now();
  const auto max_age = probes::catalog_max_age();
  std::vector<CatalogStaleness> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [product, p] : products_) {
      CatalogStaleness s;
      s.product = product;
      s.name = p.name.empty() ? product : p.name;
      s.as_of = p.as_of;
      s.max_age = max_age;
      probes::ProductCatalog pc;
      pc.as_of = p.as_of;
      s.age_days = probes::catalog_age_days(pc, now);
      // The patch probe's rule (probes/patch_probe.cc): whole days older than max_age.
      s.stale = s.age_days && std::chrono::days(*s.age_days) > max_age;
      for (const auto& e : last_errors_)
        if (e.find(product) != std::string::npos) s.refresh_errors.push_back(e);
      out.push_back(std::move(s));
    }
  }
  if (installed_) {
    auto installed = installed_();
    for (auto& s : out)
      for (const auto& iv : installed)
        if (iv.product == s.product) ++s.sites;
  }
  return out;
}

void CatalogRefresher::set_staleness_listener(
    std::function<void(const std::vector<CatalogStaleness>&)> fn) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(fn);
}

std::vector<CatalogStaleness> CatalogRefresher::check_staleness() {
  auto s = staleness();
  std::function<void(const std::vector<CatalogStaleness>&)> fn;
  {
    std::lock_guard lock(mutex_);
    fn = listener_;
  }
  if (fn) fn(s);
  return s;
}

void sync_catalog_incidents(alerting::AlertingService& service,
                            const std::vector<CatalogStaleness>& stale) {
  std::set<std::string> known;
  for (const auto& s : stale) {
    known.insert(s.product);
    const std::string max_days =
        std::to_string(std::chrono::duration_cast<std::chrono::days>(s.max_age).count()) + "d";
    const std::string age = s.age_days ? std::to_string(*s.age_days) : std::string("?");
    if (!s.stale) {
      if (service.resolve_agency("catalog", s.product,
                                 s.name + " release data is fresh again: as of " + s.as_of + ", " +
                                     age + " days old, within catalog.max_age " + max_days))
        spdlog::info("catalogue: {} release data is fresh again (as of {})", s.name, s.as_of);
      continue;
    }
    if (s.sites == 0) continue;  // no verdict is made on it
    alerting::AlertingService::AgencyCondition c;
    c.site = "catalog";
    c.check = s.product;
    c.type = "catalog";
    c.priority = alerting::Priority::P3;
    c.summary = s.name + " release data is stale: as of " + s.as_of + ", " + age +
                " days old, older than catalog.max_age " + max_days + "; patch verdicts on " +
                std::to_string(s.sites) + (s.sites == 1 ? " site" : " sites") +
                " may miss a security release";
    if (!s.refresh_errors.empty()) c.summary += "; last refresh: " + s.refresh_errors.front();
    c.facts = {{"product", s.product},
               {"as_of", s.as_of},
               {"age_days", s.age_days ? nlohmann::json(*s.age_days) : nlohmann::json()},
               {"max_age_days", std::chrono::duration_cast<std::chrono::days>(s.max_age).count()},
               {"sites", s.sites},
               {"refresh_errors", s.refresh_errors}};
    service.raise_agency(c);
  }
  for (const auto& product : service.open_agency("catalog"))
    if (!known.count(product))
      service.resolve_agency("catalog", product, product + " is no longer in the release catalogue");
}

void CatalogRefresher::start(std::optional<std::chrono::milliseconds> interval,
                             std::chrono::milliseconds first_delay,
                             std::chrono::milliseconds check_every) {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, interval, first_delay, check_every] {
    using steady = std::chrono::steady_clock;
    std::unique_lock lock(mutex_);
    // Waiting is on the steady clock: the wall clock is only the data's timestamp (and the
    // staleness check reads the injected clock).
    std::optional<steady::time_point> next_refresh;
    if (interval) next_refresh = steady::now() + first_delay;
    // The first staleness check comes with the first refresh (or when it would have come, with
    // `refresh: off`): by then the sites' first patch results say which products are in use.
    auto next_check = steady::now() + std::min(first_delay, check_every);
    for (;;) {
      auto until = next_check;
      if (next_refresh && *next_refresh < until) until = *next_refresh;
      if (wake_.wait_until(lock, until, [this] { return stopping_; })) return;
      lock.unlock();
      try {
        next_check = steady::now() + check_every;
        if (next_refresh && steady::now() >= *next_refresh) {
          next_refresh = steady::now() + *interval;
          refresh_once();  // checks staleness too
        } else {
          check_staleness();
        }
      } catch (const std::exception& e) {
        failures_.fetch_add(1);
        spdlog::error("catalogue refresh failed: {}", e.what());
      }
      lock.lock();
    }
  });
}

void CatalogRefresher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string CatalogRefresher::metrics_text() const {
  auto header = [](std::string_view name) {
    const MetricFamily* f = find_metric_family(name);
    return "# HELP " + std::string(name) + " " + std::string(f ? f->help : "") + "\n# TYPE " +
           std::string(name) + " " + std::string(f ? type_name(f->type) : "gauge") + "\n";
  };
  std::string out = header("lookout_catalog_age_seconds");
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    for (const auto& [product, p] : products_) {
      const std::string& as_of = p.as_of;
      probes::ProductCatalog pc;
      pc.as_of = as_of;
      auto days = probes::catalog_age_days(pc, now);
      if (!days) continue;
      int y = 0, m = 0, d = 0;
      std::sscanf(as_of.c_str(), "%4d-%2d-%2d", &y, &m, &d);
      auto then = std::chrono::sys_days(std::chrono::year(y) / m / d);
      double age = std::chrono::duration<double>(now - then).count();
      out += "lookout_catalog_age_seconds{product=\"" + escape_label_value(product) + "\"} " +
             format_sample_value(std::floor(age)) + "\n";
    }
  }
  out += header("lookout_catalog_refresh_failures_total") +
         "lookout_catalog_refresh_failures_total " +
      format_sample_value(static_cast<double>(failures_.load())) + "\n";
  return out;
}

}  // namespace lookout::agent
