#include "agent/cli_catalog.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "config/duration.h"
#include "probes/catalog.h"
#include "probes/history.h"
#include "net/http_client.h"
#include "net/resolver.h"
#include "net/tls_context.h"

namespace lookout::agent {
namespace {

namespace asio = boost::asio;
using probes::ProductCatalog;

constexpr size_t kMaxFeedBytes = 32 << 20;

struct UpdateArgs {
  std::string from_dir;
  std::string wordpress_url;         // version-check 1.7
  std::string wordpress_stable_url;  // stable-check 1.0
  std::string drupal_url;            // release-history
  std::string endoflife_url;         // base, e.g. https://endoflife.date/api
  bool official = false;
  std::vector<std::string> products;  // limit to these; empty = every product with a feed
  std::string output;
  std::string timeout = "30s";
  std::string ca_file;
};

/// One feed to read: where from, and how to apply it.
struct Feed {
  std::string product;
  std::string source;  // URL or file path
  bool is_url = false;
  enum Kind { wp_version_check, wp_stable_check, drupal_history, endoflife } kind;
};

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  if (out.size() > kMaxFeedBytes) {
    error = path + ": larger than 32 MiB";
    return false;
  }
  return true;
}

/// GETs `url` (redirects followed) with its own io_context; the body or an error.
bool fetch_url(const std::string& url, std::chrono::milliseconds timeout,
               const std::string& ca_file, std::string& out, std::string& error) {
  std::string why;
  auto parsed = net::parse_url(url, &why);
  if (!parsed) {
    error = "bad URL " + url + ": " + why;
    return false;
  }
  asio::io_context io;
  net::Resolver resolver(io.get_executor(), {});
  net::TlsContexts tls;
  net::Context ctx{io.get_executor(), resolver, tls, std::chrono::steady_clock::now() + timeout,
                   timeout};
  net::HttpRequest req;
  req.url = *parsed;
  req.body_limit = kMaxFeedBytes;
  req.ca_file = ca_file;
  req.user_agent = "Lookout/0.1 (release catalogue update)";
  net::FetchChain chain;
  asio::co_spawn(io, net::http_fetch_follow(ctx, req, 5),
                 [&](std::exception_ptr e, net::FetchChain c) {
                   if (!e) chain = std::move(c);
                   else chain.response.error = "internal error";
                 });
  io.run();
  const auto& r = chain.response;
  if (r.failure != net::FailureKind::none || (r.status == 0 && !r.error.empty())) {
    error = url + ": " + r.error;
    return false;
  }
  if (r.status != 200) {
    error = url + ": HTTP " + std::to_string(r.status);
    return false;
  }
  if (r.body_truncated) {
    error = url + ": body larger than 32 MiB";
    return false;
  }
  out = r.body;
  return true;
}

std::vector<Feed> plan(const UpdateArgs& a) {
  std::vector<Feed> feeds;
  auto add_file = [&](const char* product, const std::string& name, Feed::Kind kind) {
    std::string path = (std::filesystem::path(a.from_dir) / name).string();
    if (std::filesystem::exists(path)) feeds.push_back(Feed{product, path, false, kind});
  };
  if (!a.from_dir.empty()) {
    add_file("wordpress", "wordpress-version-check.json", Feed::wp_version_check);
    add_file("wordpress", "wordpress-stable-check.json", Feed::wp_stable_check);
    add_file("drupal", "drupal-release-history.xml", Feed::drupal_history);
    for (const char* p : {"wordpress", "drupal", "joomla", "magento"}) {
      add_file(p, std::string("endoflife-") + p + ".json", Feed::endoflife);
      add_file(p, std::string("endoflife-") + p + "-v1.json", Feed::endoflife);
    }
  }
  std::string wp = a.wordpress_url, wps = a.wordpress_stable_url, dr = a.drupal_url,
              eol = a.endoflife_url;
  if (a.official) {
    if (wp.empty()) wp = "https://api.wordpress.org/core/version-check/1.7/";
    if (wps.empty()) wps = "https://api.wordpress.org/core/stable-check/1.0/";
    if (dr.empty()) dr = "https://updates.drupal.org/release-history/drupal/current";
    if (eol.empty()) eol = "https://endoflife.date/api";
  }
  if (!wp.empty()) feeds.push_back(Feed{"wordpress", wp, true, Feed::wp_version_check});
  if (!wps.empty()) feeds.push_back(Feed{"wordpress", wps, true, Feed::wp_stable_check});
  if (!dr.empty()) feeds.push_back(Feed{"drupal", dr, true, Feed::drupal_history});
  if (!eol.empty()) {
    while (!eol.empty() && eol.back() == '/') eol.pop_back();
    for (const char* p : {"wordpress", "drupal", "joomla", "magento"})
      feeds.push_back(Feed{p, eol + "/" + p + ".json", true, Feed::endoflife});
  }
  if (!a.products.empty())
    std::erase_if(feeds, [&](const Feed& f) {
      return std::find(a.products.begin(), a.products.end(), f.product) == a.products.end();
    });
  return feeds;
}

const char* display_name(const std::string& p) {
  if (p == "wordpress") return "WordPress";
  if (p == "drupal") return "Drupal";
  if (p == "joomla") return "Joomla!";
  if (p == "magento") return "Magento Open Source";
  return nullptr;
}

int run_update(const UpdateArgs& a) {
  auto timeout = config::parse_duration(a.timeout);
  if (!timeout || timeout->count() <= 0) {
    std::cerr << "--timeout: bad duration '" << a.timeout << "'\n";
    return 2;
  }
  std::string out_dir = a.output.empty() ? probes::Catalog::default_path() : a.output;
  std::vector<Feed> feeds = plan(a);
  if (feeds.empty()) {
    std::cerr << "catalog update: no feeds (give --from-dir DIR, --official or feed URLs)\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);

  // Start from what is there, so hand-kept fields (notes, security releases the feeds don't
  // carry, CKAN) survive an update.
  std::map<std::string, ProductCatalog> products;
  std::map<std::string, std::vector<std::string>> sources;
  int failures = 0;
  for (const auto& f : feeds) {
    if (!products.count(f.product)) {
      ProductCatalog pc;
      std::string path = (std::filesystem::path(out_dir) / (f.product + ".json")).string();
      std::string text, err;
      if (std::filesystem::exists(path) && read_file(path, text, err)) {
        config::Errors errors(path);
        if (auto existing = probes::Catalog::parse_product(text, path, errors)) pc = *existing;
        else std::cerr << "warning: " << errors.to_string() << "  (rebuilding " << path << ")\n";
      }
      pc.product = f.product;
      if (pc.name.empty() || pc.name == f.product)
        if (const char* n = display_name(f.product)) pc.name = n;
      products[f.product] = std::move(pc);
    }
    std::string body, err;
    bool ok = f.is_url ? fetch_url(f.source, *timeout, a.ca_file, body, err)
                       : read_file(f.source, body, err);
    ProductCatalog& pc = products[f.product];
    if (ok) {
      switch (f.kind) {
        case Feed::wp_version_check: ok = probes::apply_wordpress_version_check(pc, body, err); break;
        case Feed::wp_stable_check: ok = probes::apply_wordpress_stable_check(pc, body, err); break;
        case Feed::drupal_history: ok = probes::apply_drupal_release_history(pc, body, err); break;
        case Feed::endoflife:
          // WordPress back-ports security fixes: endoflife.date's EOL dates would call every
          // older branch insecure. Its EOL comes from stable-check instead.
          ok = probes::apply_endoflife(pc, body, f.product != "wordpress", err);
          break;
      }
      if (ok) sources[f.product].push_back(f.source);
      else err = f.source + ": " + err;
    }
    if (!ok) {
      ++failures;
      std::cerr << "catalog update: " << err << "\n";
    }
  }

  std::string today = probes::iso_date(std::chrono::system_clock::now());
  for (auto& [name, pc] : products) {
    if (!sources.count(name)) continue;  // nothing new for it: leave the file alone
    pc.as_of = today;
    for (const auto& s : sources[name])
      if (std::find(pc.sources.begin(), pc.sources.end(), s) == pc.sources.end())
        pc.sources.push_back(s);
    std::string text = probes::catalog_file_text(pc);
    std::string path = (std::filesystem::path(out_dir) / (name + ".json")).string();
    config::Errors check(path);
    if (!probes::Catalog::parse_product(text, path, check)) {
      ++failures;
      std::cerr << "catalog update: " << name << ": result does not load:\n" << check.to_string();
      continue;
    }
    std::string tmp = path + ".tmp";
    {
      std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
      o << text;
      if (!o) {
        ++failures;
        std::cerr << "catalog update: cannot write " << tmp << "\n";
        continue;
      }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
      ++failures;
      std::cerr << "catalog update: cannot replace " << path << ": " << ec.message() << "\n";
      continue;
    }
    auto latest = pc.latest_release();
    std::cout << name << ": " << pc.branches.size() << " branches, latest "
              << (latest ? latest->text() : "?") << " -> " << path << "\n";
  }
  return failures ? 1 : 0;
}

}  // namespace

void add_catalog_command(CLI::App& app) {
  auto* catalog = app.add_subcommand("catalog", "release catalogue used by patch checks");
  catalog->require_subcommand(1);
  auto* update = catalog->add_subcommand(
      "update", "refresh config/catalog/*.json from the WordPress, Drupal and endoflife.date feeds");
  auto args = std::make_shared<UpdateArgs>();
  update->add_option("--from-dir", args->from_dir,
                     "read feeds saved in DIR: wordpress-version-check.json, "
                     "wordpress-stable-check.json, drupal-release-history.xml, "
                     "endoflife-<product>[-v1].json");
  update->add_option("--wordpress-url", args->wordpress_url, "WordPress version-check 1.7 URL");
  update->add_option("--wordpress-stable-url", args->wordpress_stable_url,
                     "WordPress stable-check 1.0 URL");
  update->add_option("--drupal-url", args->drupal_url, "Drupal core release-history URL");
  update->add_option("--endoflife-url", args->endoflife_url,
                     "endoflife.date API base (…/api): <base>/<product>.json is fetched");
  update->add_flag("--official", args->official,
                   "use the official feed URLs (api.wordpress.org, updates.drupal.org, "
                   "endoflife.date) for any not given");
  update->add_option("--product", args->products, "only update these products (repeatable)");
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
