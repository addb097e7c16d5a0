#include "agent/cli_catalog.h"

#include <iostream>
#include <memory>

#include "agent/catalog_update.h"
#include "config/duration.h"
#include "probes/catalog.h"

namespace lookout::agent {
namespace {

struct UpdateArgs {
  CatalogFeeds feeds;
  std::string output;
  std::string timeout = "30s";
  std::string ca_file;
};

int run_update(const UpdateArgs& a) {
  auto timeout = config::parse_duration(a.timeout);
  if (!timeout || timeout->count() <= 0) {
    std::cerr << "--timeout: bad duration '" << a.timeout << "'\n";
    return 2;
  }
  if (!has_feeds(a.feeds)) {
    std::cerr << "catalog update: no feeds (give --from-dir DIR, --official or feed URLs)\n";
    return 2;
  }
  std::string out_dir = a.output.empty() ? probes::Catalog::default_path() : a.output;
  auto r = update_catalog(a.feeds, out_dir, *timeout, a.ca_file,
                          probes::iso_date(std::chrono::system_clock::now()));
  for (const auto& e : r.errors) std::cerr << "catalog update: " << e << "\n";
  for (const auto& [name, pc] : r.after) {
    auto latest = pc.latest_release();
    std::cout << name << ": " << pc.branches.size() << " branches, latest "
              << (latest ? latest->text() : "?") << " -> " << pc.file << "\n";
  }
  if (r.rdap_written)
    std::cout << "rdap bootstrap: publication " << r.rdap_publication << " -> " << out_dir
              << "/rdap/dns.json\n";
  return r.failures ? 1 : 0;
}

}  // namespace

void add_catalog_command(CLI::App& app) {
  auto* catalog = app.add_subcommand("catalog", "release catalogue used by patch checks");
  catalog->require_subcommand(1);
  auto* update = catalog->add_subcommand(
      "update", "refresh config/catalog/*.json from the WordPress, Drupal and endoflife.date "
                "feeds, and rdap/dns.json from IANA");
  auto args = std::make_shared<UpdateArgs>();
  update->add_option("--from-dir", args->feeds.from_dir,
                     "read feeds saved in DIR: wordpress-version-check.json, "
                     "wordpress-stable-check.json, drupal-release-history.xml, "
                     "endoflife-<product>[-v1].json, rdap-dns.json");
  update->add_option("--mirror-url", args->feeds.mirror_url,
                     "read the --from-dir files from this URL (<url>/<file name>)");
  update->add_option("--wordpress-url", args->feeds.wordpress_url, "WordPress version-check 1.7 URL");
  update->add_option("--wordpress-stable-url", args->feeds.wordpress_stable_url,
                     "WordPress stable-check 1.0 URL");
  update->add_option("--drupal-url", args->feeds.drupal_url, "Drupal core release-history URL");
  update->add_option("--endoflife-url", args->feeds.endoflife_url,
                     "endoflife.date API base (…/api): <base>/<product>.json is fetched");
  update->add_option("--rdap-bootstrap-url", args->feeds.rdap_bootstrap_url,
                     "IANA's RFC 9224 bootstrap for DNS (dns.json), written to rdap/dns.json");
  update->add_flag("--official", args->feeds.official,
                   "use the official feed URLs (api.wordpress.org, updates.drupal.org, "
                   "endoflife.date, data.iana.org) for any not given");
  update->add_option("--product", args->feeds.products, "only update these products (repeatable)");
  update->add_option("--output", args->output, "catalogue directory to write (default: bundled)");
  update->add_option("--timeout", args->timeout, "per-feed timeout")->capture_default_str();
  update->add_option("--ca-file", args->ca_file, "CA bundle for HTTPS feeds");
  update->callback([args] {
    int rc = run_update(*args);
    if (rc == 0) throw CLI::Success();
    throw CLI::RuntimeError("catalog update failed", rc);
  });
}

}  // namespace lookout::agent
