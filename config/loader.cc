#include "config/loader.h"

#include <date/tz.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "config/check_types.h"
#include "config/duration.h"
#include "config/options.h"
#include "config/yaml_stream.h"
#include "net/resolver.h"
#include "net/url.h"

namespace lookout::config {
namespace {

const CheckTypes& check_types();


const std::set<std::string> kCommonCheckKeys = {"interval", "timeout", "retry_interval"};

bool valid_id(const std::string& id) {
  static const std::regex re("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$");
  return std::regex_match(id, re);
}

// Reads the keys of a map, reporting unknown ones; calls fn(key, value, path) for each known.
template <typename Fn>
void for_each_key(const YAML::Node& map, const std::string& path,
                  const std::set<std::string>& known, Errors& errors, Fn fn) {
  for (const auto& kv : map) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    std::string kpath = path.empty() ? key : path + "." + key;
    if (!known.count(key)) {
      errors.add(kv.first, kpath, "unknown key");
      continue;
    }
    fn(key, kv.second, kpath);
  }
}

std::optional<std::string> read_string(const YAML::Node& n, const std::string& path,
                                       Errors& errors) {
  if (!n.IsScalar()) {
    errors.add(n, path, "expected a string");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<int64_t> read_int(const YAML::Node& n, const std::string& path, Errors& errors,
                                int64_t min, int64_t max) {
  int64_t v = 0;
  if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, v)) {
    errors.add(n, path, "expected a whole number");
    return std::nullopt;
  }
  if (v < min || v > max) {
    errors.add(n, path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<std::chrono::milliseconds> read_duration(const YAML::Node& n,
                                                       const std::string& path, Errors& errors) {
  std::optional<std::chrono::milliseconds> d;
  if (n.IsScalar()) d = parse_duration(n.Scalar());
  if (!d) errors.add(n, path, "bad duration '" + (n.IsScalar() ? n.Scalar() : "") +
                                  "' (use e.g. 500ms, 10s, 5m, 1h)");
  return d;
}

std::vector<std::string> read_string_list(const YAML::Node& n, const std::string& path,
                                          Errors& errors) {
  std::vector<std::string> out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i) {
      if (auto s = read_string(n[i], path + "[" + std::to_string(i) + "]", errors))
        out.push_back(*s);
    }
  } else if (!n.IsNull()) {
    errors.add(n, path, "expected a list of strings");
  }
  return out;
}

// Scheduling settings and per-type option blocks, inherited level by level.
struct Inherited {
  std::chrono::milliseconds interval{60'000};
  std::chrono::milliseconds timeout{10'000};
  std::optional<std::chrono::milliseconds> retry_interval;
  // per check type: option layers in order (agent, client, site)
  std::map<std::string, std::vector<std::pair<YAML::Node, std::string>>> type_layers;
};

void read_defaults(const YAML::Node& n, const std::string& path, Inherited& inh, Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    std::string kpath = path + "." + key;
    if (key == "interval") {
      if (auto d = read_duration(kv.second, kpath, errors)) inh.interval = *d;
    } else if (key == "timeout") {
      if (auto d = read_duration(kv.second, kpath, errors)) inh.timeout = *d;
    } else if (key == "retry_interval") {
      if (auto d = read_duration(kv.second, kpath, errors)) inh.retry_interval = *d;
    } else if (check_types().has(key)) {
      if (expect_map(kv.second, kpath, errors)) inh.type_layers[key].emplace_back(kv.second, kpath);
    } else {
      errors.add(kv.first, kpath, "unknown key (expected interval, timeout, retry_interval or a check type)");
    }
  }
}

std::optional<DayHours> parse_hours(const std::string& text) {
  static const std::regex re("^([01]?[0-9]|2[0-4]):([0-5][0-9])-([01]?[0-9]|2[0-4]):([0-5][0-9])$");
  std::smatch m;
  if (!std::regex_match(text, m, re)) return std::nullopt;
  DayHours h{std::stoi(m[1]) * 60 + std::stoi(m[2]), std::stoi(m[3]) * 60 + std::stoi(m[4])};
  if (h.start_minute >= h.end_minute || h.end_minute > 24 * 60) return std::nullopt;
  return h;
}

int day_index(const std::string& d) {
  static const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (int i = 0; i < 7; ++i)
    if (d == kDays[i]) return i;
  return -1;
}

void read_business_hours(const YAML::Node& n, const std::string& path, BusinessHours& bh,
                         Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    std::string kpath = path + "." + key;
    int from = -1, to = -1;
    if (auto dash = key.find('-'); dash != std::string::npos) {
      from = day_index(key.substr(0, dash));
      to = day_index(key.substr(dash + 1));
    } else {
      from = to = day_index(key);
    }
    if (from < 0 || to < 0 || from > to) {
      errors.add(kv.first, kpath, "expected a day (mon..sun) or a day range like mon-fri");
      continue;
    }
    std::vector<DayHours> spans;
    for (const auto& s : read_string_list(kv.second, kpath, errors)) {
      if (s == "closed") continue;
      auto h = parse_hours(s);
      if (!h) errors.add(kv.second, kpath, "bad hours '" + s + "' (expected HH:MM-HH:MM or closed)");
      else spans.push_back(*h);
    }
    for (int d = from; d <= to; ++d) bh.week[d] = spans;
  }
}

void read_contract(const YAML::Node& n, const std::string& path, Contract& c, Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  for_each_key(n, path, {"tier", "sla"}, errors, [&](const std::string& key, const YAML::Node& v,
                                                     const std::string& kpath) {
    if (key == "tier") {
      if (auto s = read_string(v, kpath, errors)) c.tier = *s;
      return;
    }
    if (!expect_map(v, kpath, errors)) return;
    for (const auto& pkv : v) {
      std::string prio = pkv.first.Scalar();
      std::string ppath = kpath + "." + prio;
      if (prio != "P1" && prio != "P2" && prio != "P3") {
        errors.add(pkv.first, ppath, "unknown priority (expected P1, P2 or P3)");
        continue;
      }
      if (!expect_map(pkv.second, ppath, errors)) continue;
      SlaTarget t;
      for_each_key(pkv.second, ppath, {"response", "resolution"}, errors,
                   [&](const std::string& k, const YAML::Node& dv, const std::string& dpath) {
                     if (auto d = read_duration(dv, dpath, errors))
                       (k == "response" ? t.response : t.resolution) = *d;
                   });
      c.sla[prio] = t;
    }
  });
}

void read_agent(const YAML::Node& n, AgentSettings& a, Errors& errors) {
  if (!expect_map(n, "agent", errors)) return;
  for_each_key(
      n, "agent",
      {"listen", "state_file", "workers", "max_in_flight", "per_host_limit", "retention_days",
       "shutdown_grace", "resolver"},
      errors, [&](const std::string& key, const YAML::Node& v, const std::string& path) {
        if (key == "listen") {
          if (auto s = read_string(v, path, errors)) {
            std::string host;
            uint16_t port = 0;
            if (!net::split_host_port(*s, host, port, 0) || port == 0)
              errors.add(v, path, "expected host:port, e.g. 127.0.0.1:9464");
            else
              a.listen = *s;
          }
        } else if (key == "state_file") {
          if (auto s = read_string(v, path, errors)) a.state_file = *s;
        } else if (key == "workers") {
          if (auto i = read_int(v, path, errors, 0, 256)) a.workers = static_cast<int>(*i);
        } else if (key == "max_in_flight") {
          if (auto i = read_int(v, path, errors, 1, 1'000'000)) a.max_in_flight = static_cast<int>(*i);
        } else if (key == "per_host_limit") {
          if (auto i = read_int(v, path, errors, 1, 100'000)) a.per_host_limit = static_cast<int>(*i);
        } else if (key == "retention_days") {
          if (auto i = read_int(v, path, errors, 1, 3650)) a.retention_days = static_cast<int>(*i);
        } else if (key == "shutdown_grace") {
          if (auto d = read_duration(v, path, errors)) a.shutdown_grace = *d;
        } else if (key == "resolver") {
          if (!expect_map(v, path, errors)) return;
          for_each_key(v, path, {"servers", "timeout", "tries", "cache_size"}, errors,
                       [&](const std::string& k, const YAML::Node& rv, const std::string& rpath) {
                         if (k == "servers") {
                           for (const auto& s : read_string_list(rv, rpath, errors)) {
                             std::string host;
                             uint16_t port = 0;
                             if (!net::split_host_port(s, host, port, 53) ||
                                 !net::parse_ip(host))
                               errors.add(rv, rpath, "DNS server '" + s + "' must be IP[:PORT]");
                             else
                               a.resolver.servers.push_back(s);
                           }
                         } else if (k == "timeout") {
                           if (auto d = read_duration(rv, rpath, errors)) a.resolver.query_timeout = *d;
                         } else if (k == "tries") {
                           if (auto i = read_int(rv, rpath, errors, 1, 10)) a.resolver.tries = static_cast<int>(*i);
                         } else if (k == "cache_size") {
                           if (auto i = read_int(rv, rpath, errors, 0, 10'000'000))
                             a.resolver.cache_max_entries = static_cast<size_t>(*i);
                         }
                       });
        }
      });
}

void build_check(const YAML::Node& n, const std::string& path, const Client& client,
                 const Site& site, const Inherited& inh, std::set<std::string>& check_ids,
                 Config& cfg, Errors& errors) {
  if (!expect_map(n, path, errors)) {
    if (!n.IsMap()) errors.add(n, path, "expected a map");
    return;
  }
  auto check = std::make_shared<Check>();
  CheckSpec& spec = check->spec;
  spec.client_id = client.id;
  spec.site_id = site.id;
  spec.site_url = site.url;
  spec.interval = inh.interval;
  spec.timeout = inh.timeout;
  check->tags = site.tags;
  YAML::Node type_node = n["type"];
  if (!type_node.IsDefined()) {
    errors.add(n, path, "missing field 'type'");
    return;
  }
  if (!type_node.IsScalar()) {
    errors.add(type_node, path + ".type", "expected a string");
    return;
  }
  spec.type = type_node.Scalar();
  if (!check_types().has(spec.type)) {
    errors.add(type_node, path + ".type",
               "unknown check type '" + spec.type + "' (known: " + check_types().names() + ")");
    return;
  }
  spec.check_id = spec.type;
  std::optional<std::chrono::milliseconds> retry = inh.retry_interval;
  bool enabled = true;
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    std::string kpath = path + "." + key;
    if (key == "type") continue;
    if (key == "id") {
      if (auto s = read_string(kv.second, kpath, errors)) {
        if (!valid_id(*s)) errors.add(kv.second, kpath, "bad id '" + *s + "' (letters, digits, . _ -)");
        spec.check_id = *s;
      }
    } else if (key == "enabled") {
      if (!YAML::convert<bool>::decode(kv.second, enabled)) errors.add(kv.second, kpath, "expected true or false");
    } else if (key == "interval") {
      if (auto d = read_duration(kv.second, kpath, errors)) spec.interval = *d;
    } else if (key == "timeout") {
      if (auto d = read_duration(kv.second, kpath, errors)) spec.timeout = *d;
    } else if (key == "retry_interval") {
      if (auto d = read_duration(kv.second, kpath, errors)) retry = *d;
    }
  }
  if (!check_ids.insert(spec.check_id).second)
    errors.add(n, path + ".id", "duplicate check id '" + spec.check_id + "' in site '" + site.id +
                                   "' (set a distinct id)");
  if (spec.interval < std::chrono::seconds(1))
    errors.add(n["interval"], path + ".interval", "must be at least 1s");
  if (spec.timeout < std::chrono::milliseconds(100))
    errors.add(n["timeout"], path + ".timeout", "must be at least 100ms");
  else if (spec.timeout > spec.interval)
    errors.add(n["timeout"].IsDefined() ? n["timeout"] : n, path + ".timeout",
               "timeout " + format_duration(spec.timeout) + " is longer than the interval " +
                   format_duration(spec.interval));
  spec.retry_interval = retry.value_or(spec.interval);
  if (spec.retry_interval > spec.interval) spec.retry_interval = spec.interval;
  if (spec.retry_interval < std::chrono::seconds(1))
    errors.add(n["retry_interval"], path + ".retry_interval", "must be at least 1s");

  OptionMap options;
  auto layers = inh.type_layers.find(spec.type);
  if (layers != inh.type_layers.end())
    for (const auto& [node, lpath] : layers->second) options.add_layer(node, lpath);
  // the check's own keys carry the check's path and marks
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    if (key == "type" || key == "id" || key == "enabled" || kCommonCheckKeys.count(key)) continue;
    // In n's memory: a map of its own would merge the whole document into it per key.
    YAML::Node single = new_map_sharing_memory(n);
    single[kv.first] = kv.second;
    options.add_layer(single, path);
  }
  size_t before = errors.size();
  check->probe = check_types().build(spec, options, errors);
  options.report_unknown(errors);
  if (!enabled || errors.size() != before || !check->probe) return;
  cfg.checks.push_back(std::move(check));
}

// Builds the Config from the root entries and the clients, fed in any order except that
// clients need every root `defaults` entry first. Shared by the streaming and the whole-tree
// path. Lives for one load.
class ConfigBuilder {
 public:
  explicit ConfigBuilder(Config& cfg) : cfg_(cfg) {}

  /// One root entry other than clients: agent, defaults or an unknown key.
  void root_entry(const YAML::Node& key_node, const YAML::Node& value, Errors& errors) {
    std::string key = key_node.Scalar();
    if (key == "agent") read_agent(value, cfg_.agent, errors);
    else if (key == "defaults") read_defaults(value, "defaults", top_, errors);
    else if (key != "clients") errors.add(key_node, key, "unknown key (expected agent, defaults or clients)");
  }

  /// The next item of the clients list.
  void client(const YAML::Node& cn, Errors& errors) {
    size_t ci = clients_seen_++;
    std::string cpath = "clients[" + std::to_string(ci) + "]";
    if (!cn.IsMap()) {
      errors.add(cn, cpath, "expected a map");
      return;
    }
    Client client;
    Inherited cinh = top_;
    YAML::Node sites_node;
    for_each_key(cn, cpath,
                 {"id", "name", "timezone", "business_hours", "holidays", "contract", "defaults", "sites"},
                 errors, [&](const std::string& key, const YAML::Node& v, const std::string& path) {
                   if (key == "id") {
                     if (auto s = read_string(v, path, errors)) {
                       if (!valid_id(*s)) errors.add(v, path, "bad id '" + *s + "' (letters, digits, . _ -)");
                       else if (!client_ids_.insert(*s).second) errors.add(v, path, "duplicate client id '" + *s + "'");
                       client.id = *s;
                     }
                   } else if (key == "name") {
                     if (auto s = read_string(v, path, errors)) client.name = *s;
                   } else if (key == "timezone") {
                     if (auto s = read_string(v, path, errors)) {
                       try {
                         (void)date::locate_zone(*s);
                         client.hours.timezone = *s;
                       } catch (const std::exception&) {
                         errors.add(v, path, "unknown time zone '" + *s + "' (use an IANA name like Europe/London)");
                       }
                     }
                   } else if (key == "business_hours") {
                     read_business_hours(v, path, client.hours, errors);
                   } else if (key == "holidays") {
                     static const std::regex re("^\\d{4}-\\d{2}-\\d{2}$");
                     for (const auto& h : read_string_list(v, path, errors)) {
                       int y = 0;
                       unsigned mo = 0, d = 0;
                       bool parsed = std::regex_match(h, re) &&
                                     std::sscanf(h.c_str(), "%d-%u-%u", &y, &mo, &d) == 3;
                       if (!parsed || !date::year_month_day(date::year(y), date::month(mo), date::day(d)).ok())
                         errors.add(v, path, "bad date '" + h + "' (expected YYYY-MM-DD)");
                       else
                         client.hours.holidays.push_back(h);
                     }
                   } else if (key == "contract") {
                     read_contract(v, path, client.contract, errors);
                   } else if (key == "defaults") {
                     read_defaults(v, path, cinh, errors);
                   } else if (key == "sites") {
                     sites_node = v;
                   }
                 });
    if (client.id.empty() && !cn["id"].IsDefined()) errors.add(cn, cpath, "missing field 'id'");
    if (client.name.empty()) client.name = client.id;
    if (!sites_node.IsDefined() || sites_node.IsNull()) {
      cfg_.clients.push_back(std::move(client));
      return;
    }
    if (!sites_node.IsSequence()) {
      errors.add(sites_node, cpath + ".sites", "expected a list of sites");
      return;
    }
    std::set<std::string> site_ids;
    for (size_t si = 0; si < sites_node.size(); ++si) {
      const YAML::Node& sn = sites_node[si];
      std::string spath = cpath + ".sites[" + std::to_string(si) + "]";
      if (!sn.IsMap()) {
        errors.add(sn, spath, "expected a map");
        continue;
      }
      Site site;
      Inherited sinh = cinh;
      YAML::Node checks_node;
      for_each_key(sn, spath, {"id", "name", "url", "tags", "defaults", "checks"}, errors,
                   [&](const std::string& key, const YAML::Node& v, const std::string& path) {
                     if (key == "id") {
                       if (auto s = read_string(v, path, errors)) {
                         if (!valid_id(*s)) errors.add(v, path, "bad id '" + *s + "' (letters, digits, . _ -)");
                         else if (!site_ids.insert(*s).second)
                           errors.add(v, path, "duplicate site id '" + *s + "' in client '" + client.id + "'");
                         site.id = *s;
                       }
                     } else if (key == "name") {
                       if (auto s = read_string(v, path, errors)) site.name = *s;
                     } else if (key == "url") {
                       if (auto s = read_string(v, path, errors)) {
                         std::string err;
                         if (!net::parse_url(*s, &err)) errors.add(v, path, "bad URL '" + *s + "': " + err);
                         site.url = *s;
                       }
                     } else if (key == "tags") {
                       site.tags = read_string_list(v, path, errors);
                     } else if (key == "defaults") {
                       read_defaults(v, path, sinh, errors);
                     } else if (key == "checks") {
                       checks_node = v;
                     }
                   });
      if (!sn["id"].IsDefined()) errors.add(sn, spath, "missing field 'id'");
      if (!sn["url"].IsDefined()) errors.add(sn, spath, "missing field 'url'");
      if (site.name.empty()) site.name = site.id;
      if (checks_node.IsDefined() && !checks_node.IsNull()) {
        if (!checks_node.IsSequence()) {
          errors.add(checks_node, spath + ".checks", "expected a list of checks");
        } else {
          std::set<std::string> check_ids;
          for (size_t k = 0; k < checks_node.size(); ++k)
            build_check(checks_node[k], spath + ".checks[" + std::to_string(k) + "]", client, site,
                        sinh, check_ids, cfg_, errors);
        }
      }
      client.sites.push_back(std::move(site));
    }
    cfg_.clients.push_back(std::move(client));
  }

  size_t clients_seen() const { return clients_seen_; }

 private:
  Config& cfg_;
  Inherited top_;  // from the root defaults
  std::set<std::string> client_ids_;
  size_t clients_seen_ = 0;
};

// The root's clients entry (undefined when absent) after the other root entries.
void build_clients(const YAML::Node& clients, const YAML::Mark& root_mark, ConfigBuilder& builder,
                   Errors& errors) {
  if (!clients.IsDefined() || clients.IsNull()) {
    errors.add_at(root_mark, "clients", "missing field 'clients' (at least one client with sites)");
    return;
  }
  if (!clients.IsSequence()) {
    errors.add(clients, "clients", "expected a list of clients");
    return;
  }
  for (size_t ci = 0; ci < clients.size(); ++ci) builder.client(clients[ci], errors);
}

// The whole-tree path.
void build_config(const YAML::Node& root, Config& cfg, Errors& errors) {
  if (!root.IsMap()) {
    errors.add(root, "", "the config must be a map with agent, defaults and clients");
    return;
  }
  ConfigBuilder builder(cfg);
  for (const auto& kv : root) builder.root_entry(kv.first, kv.second, errors);
  build_clients(root["clients"], root.Mark(), builder, errors);
}

// The streaming path: root entries and clients go to the ConfigBuilder as soon as each is
// complete, and each client's tree is dropped once built. Errors come out in the whole-tree
// order (root entries first, then clients) whatever the key order. Lives for one parse.
class StreamingLoad final : public YamlDocumentSink {
 public:
  StreamingLoad(Config& cfg, Errors& errors)
      : cfg_(cfg), builder_(cfg), errors_(errors), client_errors_(errors.file()) {}

  void on_root(const YAML::Node& root) override {
    try {
      build_config(root, cfg_, errors_);
    } catch (const YAML::Exception& e) {
      errors_.add_at(e.mark, "", "invalid config: " + e.msg);
    }
  }

  void on_root_map(const YAML::Mark& mark) override {
    root_is_map_ = true;
    root_mark_ = mark;
  }

  bool on_entry(const YAML::Node& key, const YAML::Node& value) override {
    if (root_failed_) return true;
    const std::string& name = key.Scalar();
    if (name == "clients") {
      // root["clients"] means the first one; later ones are ignored
      if (!clients_found_) clients_ = value;
      clients_found_ = true;
      return true;
    }
    if (name == "defaults" && builder_.clients_seen() > 0) return false;  // too late: restart
    try {
      builder_.root_entry(key, value, errors_);
    } catch (const YAML::Exception& e) {
      errors_.add_at(e.mark, "", "invalid config: " + e.msg);
      root_failed_ = true;
    }
    return true;
  }

  void on_sequence(const YAML::Node&, const YAML::Mark&) override {
    clients_found_ = streamed_ = true;
  }

  bool on_item(const YAML::Node& item) override {
    if (root_failed_ || clients_failed_) return true;
    try {
      builder_.client(item, client_errors_);
    } catch (const YAML::Exception& e) {
      client_errors_.add_at(e.mark, "", "invalid config: " + e.msg);
      clients_failed_ = true;
    }
    return true;
  }

  /// After the parse: a clients entry that was not streamed, then the client errors.
  void finish() {
    // Like the whole-tree path, which stops at the first exception, before any client.
    if (!root_is_map_ || root_failed_) return;
    if (!streamed_) {
      try {
        build_clients(clients_, root_mark_, builder_, client_errors_);
      } catch (const YAML::Exception& e) {
        client_errors_.add_at(e.mark, "", "invalid config: " + e.msg);
      }
    }
    for (const ConfigError& e : client_errors_.list()) {
      YAML::Mark mark = YAML::Mark::null_mark();
      if (e.line > 0) {
        mark = YAML::Mark();
        mark.line = e.line - 1;
        mark.column = e.column - 1;
      }
      errors_.add_at(mark, e.path, e.message);
    }
  }

 private:
  Config& cfg_;
  ConfigBuilder builder_;
  Errors& errors_;        // root entries (then everything, after finish())
  Errors client_errors_;  // clients
  bool root_is_map_ = false;
  YAML::Mark root_mark_ = YAML::Mark::null_mark();
  bool clients_found_ = false;
  bool streamed_ = false;
  YAML::Node clients_{YAML::NodeType::Undefined};  // when not streamed
  bool root_failed_ = false;
  bool clients_failed_ = false;
};

// The check types of the load in progress on this thread (set by load_config_text).
thread_local const CheckTypes* current_check_types = nullptr;

struct CheckTypesScope {
  const CheckTypes* saved;
  explicit CheckTypesScope(const CheckTypes& t) : saved(current_check_types) { current_check_types = &t; }
  ~CheckTypesScope() { current_check_types = saved; }
};

LoadResult syntax_error(const YAML::Exception& e, const std::string& file) {
  LoadResult result{std::nullopt, Errors(file)};
  result.errors.add_at(e.mark, "", "YAML syntax error: " + e.msg);
  return result;
}

const CheckTypes& check_types() { return *current_check_types; }

}  // namespace

LoadResult load_config_text(const std::string& text, const std::string& file,
                            const CheckTypes& types) {
  CheckTypesScope scope(types);
  // Streamed, so that the parse tree (about 3 KB per check) never exists whole next to the
  // Config: only one client's tree at a time. Parsed straight from `text`, without a copy.
  LoadResult result{std::nullopt, Errors(file)};
  Config cfg;
  cfg.file = file;
  try {
    StreamingLoad load(cfg, result.errors);
    if (stream_yaml_document(text, "clients", load)) {
      load.finish();
      if (result.errors.empty()) result.config = std::move(cfg);
      return result;
    }
  } catch (const YAML::Exception& e) {
    return syntax_error(e, file);  // only the syntax error, even after pieces were built
  }
  // A root `defaults` after clients already built, an alias to the root map or to the clients
  // list (never whole while streaming), or a root `{...}` that is a key: parse again, whole.
  result.errors = Errors(file);
  cfg = Config();
  cfg.file = file;
  YAML::Node root;
  try {
    root = load_yaml_tree(text);
  } catch (const YAML::Exception& e) {
    return syntax_error(e, file);
  }
  try {
    build_config(root, cfg, result.errors);
  } catch (const YAML::Exception& e) {
    result.errors.add_at(e.mark, "", "invalid config: " + e.msg);
  }
  if (result.errors.empty()) result.config = std::move(cfg);
  return result;
}

LoadResult load_config_file(const std::string& path, const CheckTypes& types) {
  constexpr size_t kMaxBytes = 64u << 20;
  LoadResult r{std::nullopt, Errors(path)};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.errors.add_at(YAML::Mark::null_mark(), "", "cannot read the file");
    return r;
  }
  std::string text;
  std::error_code ec;
  if (auto size = std::filesystem::file_size(path, ec); !ec && size <= kMaxBytes) text.reserve(size);
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxBytes) {
      r.errors.add_at(YAML::Mark::null_mark(), "", "config file larger than 64 MiB");
      return r;
    }
  }
  return load_config_text(text, path, types);
}

}  // namespace lookout::config
