#include "agent/catalog_update.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "net/http_client.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "probes/rdap.h"

namespace lookout::agent {
namespace {

namespace asio = boost::asio;
using probes::ProductCatalog;

// A feed is a few MiB at most (stable-check ~40 KiB, dns.json ~100 KiB): a larger or endless
// body is refused at this size, not read into memory.
constexpr size_t kMaxFeedBytes = 32 << 20;

/// One feed to read: where from, and how to apply it.
struct Feed {
  std::string product;  // empty for the RDAP bootstrap
  std::string source;   // URL or file path
  bool is_url = false;
  enum Kind { wp_version_check, wp_stable_check, drupal_history, endoflife, rdap_bootstrap } kind;
  bool from_mirror = false;  // a mirror may simply not hold this file (404: skipped)
};

bool read_file(const std::string& path, std::string& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return false;
  }
  // Read in pieces and stop past the cap: a 1 GB file, or one that never ends (a FIFO,
  // /dev/zero), costs 32 MiB at most.
  out.clear();
  std::vector<char> chunk(64 * 1024);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
    out.append(chunk.data(), static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxFeedBytes) {
      out.clear();
      out.shrink_to_fit();
      error = path + ": larger than 32 MiB";
      return false;
    }
  }
  return true;
}

/// GETs `url` (redirects followed) with its own io_context; the body or an error.
bool fetch_url(const std::string& url, std::chrono::milliseconds timeout,
               const std::string& ca_file, std::string& out, std::string& error,
               unsigned* status = nullptr) {
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
    if (status) *status = r.status;
    return false;
  }
  if (r.body_truncated) {
    error = url + ": body larger than 32 MiB";
    return false;
  }
  out = r.body;
  return true;
}


std::vector<Feed> plan(const CatalogFeeds& a) {
  std::vector<Feed> feeds;
  // A mirror (directory or URL) holds the feeds under the names `--from-dir` reads.
  auto add_mirror = [&](const char* product, const std::string& name, Feed::Kind kind) {
    if (!a.from_dir.empty()) {
      std::string path = (std::filesystem::path(a.from_dir) / name).string();
      if (std::filesystem::exists(path)) feeds.push_back(Feed{product, path, false, kind});
    }
    if (!a.mirror_url.empty()) {
      std::string base = a.mirror_url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      feeds.push_back(Feed{product, base + "/" + name, true, kind, true});
    }
  };
  if (!a.from_dir.empty() || !a.mirror_url.empty()) {
    add_mirror("wordpress", "wordpress-version-check.json", Feed::wp_version_check);
    add_mirror("wordpress", "wordpress-stable-check.json", Feed::wp_stable_check);
    add_mirror("drupal", "drupal-release-history.xml", Feed::drupal_history);
    for (const char* p : {"wordpress", "drupal", "joomla", "magento"}) {
      if (!a.from_dir.empty()) {
        add_mirror(p, std::string("endoflife-") + p + ".json", Feed::endoflife);
        std::string v1 = (std::filesystem::path(a.from_dir) / (std::string("endoflife-") + p + "-v1.json")).string();
        if (std::filesystem::exists(v1)) feeds.push_back(Feed{p, v1, false, Feed::endoflife});
      } else {
        add_mirror(p, std::string("endoflife-") + p + ".json", Feed::endoflife);
      }
    }
    add_mirror("", kRdapBootstrapFile, Feed::rdap_bootstrap);
  }
  std::string wp = a.wordpress_url, wps = a.wordpress_stable_url, dr = a.drupal_url,
              eol = a.endoflife_url, rdap = a.rdap_bootstrap_url;
  if (a.official) {
    if (wp.empty()) wp = "https://api.wordpress.org/core/version-check/1.7/";
    if (wps.empty()) wps = "https://api.wordpress.org/core/stable-check/1.0/";
    if (dr.empty()) dr = "https://updates.drupal.org/release-history/drupal/current";
    if (eol.empty()) eol = "https://endoflife.date/api";
    if (rdap.empty()) rdap = "https://data.iana.org/rdap/dns.json";
  }
  if (!wp.empty()) feeds.push_back(Feed{"wordpress", wp, true, Feed::wp_version_check});
  if (!wps.empty()) feeds.push_back(Feed{"wordpress", wps, true, Feed::wp_stable_check});
  if (!dr.empty()) feeds.push_back(Feed{"drupal", dr, true, Feed::drupal_history});
  if (!eol.empty()) {
    while (!eol.empty() && eol.back() == '/') eol.pop_back();
    for (const char* p : {"wordpress", "drupal", "joomla", "magento"})
      feeds.push_back(Feed{p, eol + "/" + p + ".json", true, Feed::endoflife});
  }
  if (!rdap.empty()) feeds.push_back(Feed{"", rdap, true, Feed::rdap_bootstrap});
  if (!a.products.empty())
    std::erase_if(feeds, [&](const Feed& f) {
      return !f.product.empty() &&
             std::find(a.products.begin(), a.products.end(), f.product) == a.products.end();
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

/// Writes `text` to `path` through a temporary file in the same directory and a rename.
bool replace_file(const std::string& path, const std::string& text, std::string& error) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << text;
    o.flush();
    if (!o) {
      error = "cannot write " + tmp;
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    error = "cannot replace " + path + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace

bool has_feeds(const CatalogFeeds& feeds) { return !plan(feeds).empty(); }

CatalogUpdate update_catalog(const CatalogFeeds& a, const std::string& out_dir,
                             std::chrono::milliseconds timeout, const std::string& ca_file,
                             const std::string& today) {
  CatalogUpdate result;
  auto fail = [&](std::string line) {
    ++result.failures;
    result.errors.push_back(std::move(line));
  };
  std::vector<Feed> feeds = plan(a);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);

  // Start from what is there, so hand-kept fields (notes, security releases the feeds don't
  // carry, CKAN) survive an update.
  std::map<std::string, ProductCatalog>& products = result.after;
  std::map<std::string, std::vector<std::string>> sources;
  for (const auto& f : feeds) {
    std::string body, err;
    unsigned status = 0;
    bool ok = f.is_url ? fetch_url(f.source, timeout, ca_file, body, err, &status)
                       : read_file(f.source, body, err);
    if (!ok && f.from_mirror && status == 404) continue;  // not mirrored: nothing to apply
    if (f.kind == Feed::rdap_bootstrap) {
      if (!ok) {
        fail("rdap bootstrap: " + err);
        continue;
      }
      auto b = probes::rdap::parse_bootstrap(body, err);
      if (!b || b->services.empty()) {
        fail(f.source + ": not an RDAP bootstrap file" + (err.empty() ? "" : ": " + err));
        continue;
      }
      std::filesystem::create_directories(std::filesystem::path(out_dir) / "rdap", ec);
      std::string path = (std::filesystem::path(out_dir) / "rdap" / "dns.json").string();
      if (!replace_file(path, body, err)) {
        fail(err);
        continue;
      }
      result.rdap_written = true;
      result.rdap_publication = b->publication;
      result.written.push_back(path);
      continue;
    }
    if (!products.count(f.product)) {
      ProductCatalog pc;
      std::string path = (std::filesystem::path(out_dir) / (f.product + ".json")).string();
      std::string text, rerr;
      if (std::filesystem::exists(path) && read_file(path, text, rerr)) {
        config::Errors errors(path);
        if (auto existing = probes::Catalog::parse_product(text, path, errors)) {
          pc = *existing;
          result.before[f.product] = *existing;
        } else {
          result.errors.push_back("warning: " + errors.to_string() + "  (rebuilding " + path + ")");
        }
      }
      pc.product = f.product;
      if (pc.name.empty() || pc.name == f.product)
        if (const char* n = display_name(f.product)) pc.name = n;
      products[f.product] = std::move(pc);
    }
    // Apply to a copy: a feed that fails half-way must not leave half its data behind.
    ProductCatalog attempt = products[f.product];
    if (ok) {
      switch (f.kind) {
        case Feed::wp_version_check: ok = probes::apply_wordpress_version_check(attempt, body, err); break;
        case Feed::wp_stable_check: ok = probes::apply_wordpress_stable_check(attempt, body, err); break;
        case Feed::drupal_history: ok = probes::apply_drupal_release_history(attempt, body, err); break;
        case Feed::endoflife:
          // WordPress back-ports security fixes: endoflife.date's EOL dates would call every
          // older branch insecure. Its EOL comes from stable-check instead.
          ok = probes::apply_endoflife(attempt, body, f.product != "wordpress", err);
          break;
        case Feed::rdap_bootstrap: break;
      }
      if (ok) {
        products[f.product] = std::move(attempt);
        sources[f.product].push_back(f.source);
      } else {
        err = f.source + ": " + err;
      }
    }
    if (!ok) fail(err);
  }

  for (auto it = products.begin(); it != products.end();) {
    auto& [name, pc] = *it;
    if (!sources.count(name)) {  // nothing new for it: leave the file alone
      it = products.erase(it);
      continue;
    }
    pc.as_of = today;
    for (const auto& s : sources[name])
      if (std::find(pc.sources.begin(), pc.sources.end(), s) == pc.sources.end())
        pc.sources.push_back(s);
    std::string text = probes::catalog_file_text(pc);
    std::string path = (std::filesystem::path(out_dir) / (name + ".json")).string();
    config::Errors check(path);
    if (!probes::Catalog::parse_product(text, path, check)) {
      fail(name + ": result does not load: " + check.to_string());
      it = products.erase(it);
      continue;
    }
    std::string err;
    if (!replace_file(path, text, err)) {
      fail(err);
      it = products.erase(it);
      continue;
    }
    pc.file = path;
    result.written.push_back(path);
    ++it;
  }
  return result;
}

}  // namespace lookout::agent
