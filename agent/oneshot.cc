#include "agent/oneshot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/check_runner.h"
#include "config/duration.h"
#include "config/options.h"
#include "probes/disk_probe.h"
#include "probes/history.h"
#include "net/resolver.h"
#include "net/tls_context.h"
#include "net/x509_facts.h"
#include "probes/patch_probe.h"
#include "probes/tls_verdict.h"
#include "probes/probe_registry.h"

namespace lookout::agent {
namespace asio = boost::asio;

OneShotOutcome run_one_check(const OneShotRequest& request) {
  OneShotOutcome out;
  const probes::ProbeKind* kind = probes::find_probe_kind(request.type);
  if (!kind) {
    out.errors.add(YAML::Node(YAML::NodeType::Undefined), "--type",
                   "unknown check type '" + request.type + "'");
    return out;
  }
  probes::CheckSpec spec;
  spec.client_id = "cli";
  spec.site_id = "cli";
  spec.check_id = request.type;
  spec.type = request.type;
  spec.target = request.target;
  spec.timeout = request.timeout;
  spec.interval = std::max<std::chrono::milliseconds>(request.timeout, std::chrono::seconds(60));

  YAML::Node layer(YAML::NodeType::Map);
  for (const auto& [key, values] : request.options) {
    if (values.size() == 1) {
      layer[key] = values.front();
    } else {
      YAML::Node seq(YAML::NodeType::Sequence);
      for (const auto& v : values) seq.push_back(v);
      layer[key] = seq;
    }
  }
  config::OptionMap options;
  options.add_layer(layer, "");
  auto probe = kind->build(spec, options, out.errors);
  options.report_unknown(out.errors);
  if (!probe || !out.errors.empty()) return out;
  out.valid = true;

  asio::io_context io;
  net::ResolverOptions ropts;
  ropts.servers = request.resolver_servers;
  std::unique_ptr<net::Resolver> resolver;
  try {
    resolver = std::make_unique<net::Resolver>(io.get_executor(), ropts);
  } catch (const std::exception& e) {
    out.valid = false;
    out.errors.add(YAML::Node(YAML::NodeType::Undefined), "--resolver", e.what());
    return out;
  }
  net::TlsContexts tls;
  probes::MemoryHistory history;
  auto ctx = std::make_shared<probes::ProbeContext>(probes::ProbeContext{
      io.get_executor(), *resolver, tls, spec,
      std::chrono::steady_clock::now() + request.timeout, &history});
  asio::co_spawn(io, run_check(probe, ctx), [&](std::exception_ptr e, probes::Result r) {
    if (e)
      out.result = probes::make_result(probes::Status::unknown, probes::FailureKind::internal,
                                       "internal error");
    else
      out.result = std::move(r);
    io.stop();  // c-ares may keep idle sockets watched; the run is over
  });
  io.run();
  return out;
}

nlohmann::json oneshot_json(const probes::Result& result, const std::string& type,
                            const std::string& target) {
  nlohmann::json j = result.to_json();
  j["type"] = type;
  j["target"] = target;
  for (auto it = result.facts.begin(); it != result.facts.end(); ++it) j[it.key()] = it.value();
  j["check_status"] = to_string(result.status);
  j["exit_code"] = static_cast<int>(result.status);
  return j;
}

nlohmann::json usage_error_json(const std::string& message) {
  return {{"status", "unknown"}, {"check_status", "unknown"}, {"exit_code", 3}, {"error", message}};
}

namespace {

std::optional<double> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The option's value (the last one given), or "".
std::string option(const OneShotRequest& r, const std::string& key) {
  auto it = r.options.find(key);
  return it == r.options.end() || it->second.empty() ? "" : it->second.back();
}

// A perfdata number: no exponent, no trailing zeros ("1", "2.5", "71.23", "12345").
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

std::string opt_num(const std::optional<double>& v) { return v ? num(*v) : ""; }

// A threshold where lower values are worse: alert below `v` ("30:").
std::string below(const std::optional<double>& v) { return v ? num(*v) + ":" : ""; }

// Labels with a space, '=' or a quote are quoted; a quote inside is doubled.
std::string label(const std::string& text) {
  if (text.find_first_of(" ='") == std::string::npos) return text;
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

struct Perf {
  std::string out;
  void add(const std::string& name, const std::string& value, const std::string& uom,
           const std::string& warn = "", const std::string& crit = "", const std::string& min = "",
           const std::string& max = "") {
    // "U": the value could not be determined (no unit then)
    std::string item = label(name) + "=" + value + (value == "U" ? "" : uom) + ";" + warn + ";" + crit + ";" + min + ";" + max;
    while (item.back() == ';') item.pop_back();  // trailing empty fields may be dropped
    if (!out.empty()) out += ' ';
    out += item;
  }
};

std::optional<double> json_number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

// The lifetime in days of the served certificate that expires first (whose days_left is the
// check's), from the leaf/chain facts.
std::optional<double> earliest_cert_lifetime(const nlohmann::json& facts) {
  std::vector<const nlohmann::json*> certs;
  if (auto leaf = facts.find("leaf"); leaf != facts.end() && leaf->is_object()) certs.push_back(&*leaf);
  if (auto chain = facts.find("chain"); chain != facts.end() && chain->is_array())
    for (const auto& c : *chain) certs.push_back(&c);
  const nlohmann::json* first = nullptr;
  for (const auto* c : certs) {
    auto left = json_number(*c, "days_left");
    if (left && (!first || *left < *json_number(*first, "days_left"))) first = c;
  }
  if (!first) return std::nullopt;
  auto from = first->find("not_before"), to = first->find("not_after");
  if (from == first->end() || to == first->end() || !from->is_string() || !to->is_string())
    return std::nullopt;
  auto b = probes::parse_iso_timestamp(from->get<std::string>());
  auto a = probes::parse_iso_timestamp(to->get<std::string>());
  if (!a || !b) return std::nullopt;
  return std::chrono::duration<double>(*a - *b).count() / 86400.0;
}

}  // namespace

PerfThresholds perf_thresholds(const OneShotRequest& r) {
  PerfThresholds t;
  auto seconds = [&](const std::string& key) -> std::optional<double> {
    auto d = config::parse_duration(option(r, key));
    if (!d) return std::nullopt;
    return d->count() / 1000.0;
  };
  if (r.type == "http") {
    t.warn_time = seconds("warn_time");
    t.crit_time = seconds("crit_time");
  } else if (r.type == "tls" || r.type == "domain") {
    t.warn_days = number(option(r, "warn_days"));
    t.crit_days = number(option(r, "crit_days"));
    if (r.type == "tls") {
      t.warn_fraction = number(option(r, "warn_fraction"));
      t.crit_fraction = number(option(r, "crit_fraction"));
    }
  } else if (r.type == "disk") {
    auto w = number(option(r, "warn_pct")), c = number(option(r, "crit_pct"));
    if (w) t.warn_pct = *w;
    if (c) t.crit_pct = *c;
    if (t.warn_pct > t.crit_pct) {  // as the probe: the one set alone moves the other
      if (w && !c) t.crit_pct = t.warn_pct;
      else if (c && !w) t.warn_pct = t.crit_pct;
    }
    t.warn_free_bytes = probes::parse_byte_size(option(r, "warn_free_bytes"));
    t.crit_free_bytes = probes::parse_byte_size(option(r, "crit_free_bytes"));
  }
  return t;
}

std::string perfdata(const probes::Result& result, const std::string& type,
                     const PerfThresholds& t) {
  Perf p;
  const nlohmann::json& f = result.facts;
  p.add("time", num(result.duration_seconds), "s", opt_num(t.warn_time), opt_num(t.crit_time), "0");
  for (const auto& [phase, v] : result.phases) p.add(phase, num(v), "s", "", "", "0");

  if (type == "tls" || type == "domain") {
    std::optional<double> warn = t.warn_days, crit = t.crit_days;
    if (type == "domain") {
      warn = warn.value_or(30);
      crit = crit.value_or(7);
    } else {  // lifetime-aware defaults: the thresholds of the certificate that expires first
      probes::ExpiryPolicy policy{t.warn_days, t.warn_fraction, t.crit_days, t.crit_fraction};
      auto lifetime = earliest_cert_lifetime(f);
      warn = policy.warn_threshold(lifetime);
      crit = policy.crit_threshold(lifetime);
    }
    auto left = json_number(f, "days_left");
    p.add("days_left", left ? num(*left) : "U", "", below(warn), below(crit));
  } else if (type == "disk") {
    if (auto mounts = f.find("mounts"); mounts != f.end() && mounts->is_array()) {
      for (const auto& m : *mounts) {
        if (!m.is_object() || !m.contains("mount") || !m["mount"].is_string()) continue;
        const std::string mount = m["mount"].get<std::string>();
        auto used = json_number(m, "used_pct");
        auto free = json_number(m, "free_bytes");
        auto size = json_number(m, "size_bytes");
        if (!used && !free) continue;  // a device error or a missing mount: nothing measured
        p.add(mount + " used", used ? num(*used) : "U", "%", num(t.warn_pct), num(t.crit_pct),
              "0", "100");
        p.add(mount + " free", free ? num(std::floor(*free)) : "U", "B", below(t.warn_free_bytes),
              below(t.crit_free_bytes), "0", size ? num(std::floor(*size)) : "");
      }
    }
  } else if (type == "dnsbl") {
    // Any listing is a problem (critical on a list of the default severity): alert above 0.
    auto listed = json_number(f, "listed_count");
    p.add("listed", listed ? num(*listed) : "U", "", "", "0", "0");
    auto errors = json_number(f, "error_count");
    p.add("errors", errors ? num(*errors) : "U", "", "", "", "0");
  } else if (type == "patch") {
    // Days are no unit of the plugin guidelines (s, %, B, KB, MB, TB, c): a plain number.
    auto days = json_number(f, "days_exposed");
    p.add("days_exposed", days ? num(*days) : "U", "", "", "", "0");
  }
  return p.out;
}

std::string nagios_line(const probes::Result& result, const std::string& type,
                        const PerfThresholds& thresholds) {
  std::string status(to_string(result.status));
  std::transform(status.begin(), status.end(), status.begin(), ::toupper);
  std::string name = type;
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  // '|' starts the performance data in the plugin protocol, and a summary can hold one (a page
  // title "Home | Acme" as keyword): show it as a broken bar. One line: no newlines either.
  std::string text;
  for (char c : result.summary) {
    if (c == '|') text += "\u00a6";
    else if (c == '\n' || c == '\r') text += ' ';
    else text += c;
  }
  return name + " " + status + " - " + text + " | " + perfdata(result, type, thresholds);
}

}  // namespace lookout::agent
