#include "config/loader.h"

#include <date/tz.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config/check_types.h"
#include "config/duration.h"
#include "config/hours.h"
#include "config/maintenance.h"
#include "config/options.h"
#include "config/yaml_stream.h"
#include "net/resolver.h"
#include "net/url.h"

namespace lookout::config {
namespace {

const CheckTypes& check_types();


const std::set<std::string> kCommonCheckKeys = {"interval", "timeout", "retry_interval",
                                                "failure_threshold", "success_threshold"};

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
      errors.add(kv.first, kpath, unknown_key_message(key, known));
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
  int failure_threshold = 2;
  int success_threshold = 2;
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
    } else if (key == "failure_threshold") {
      if (auto i = read_int(kv.second, kpath, errors, 1, 100)) inh.failure_threshold = static_cast<int>(*i);
    } else if (key == "success_threshold") {
      if (auto i = read_int(kv.second, kpath, errors, 1, 100)) inh.success_threshold = static_cast<int>(*i);
    } else if (check_types().has(key)) {
      if (expect_map(kv.second, kpath, errors)) inh.type_layers[key].emplace_back(kv.second, kpath);
    } else {
      std::set<std::string> valid(kCommonCheckKeys);
      for (const auto& name : check_types().names()) valid.insert(name);
      std::string near = suggest_key(key, valid);
      errors.add(kv.first, kpath,
                 "unknown key (expected interval, timeout, retry_interval, failure_threshold, "
                 "success_threshold or a check type" +
                     (near.empty() ? std::string(")") : "; did you mean '" + near + "'?)"));
    }
  }
}

// One opening range (or `closed`) as written, for overlap messages.
struct HoursEntry {
  std::string key;        // "mon-fri"
  int from = 0, to = 0;   // days, 0 = Monday
  std::string written;    // "09:00-17:00" or "closed"
  std::optional<DayHours> hours;  // nullopt: closed
  YAML::Node node;        // the range's node (the value, or the list item)
  std::string path;

  std::string text() const { return key + ": " + written; }
  bool overnight() const { return hours && hours->end_minute < hours->start_minute; }
  // The minutes of the week [start, end) it covers starting on `day`; an overnight range
  // spills into the next day (Sunday's into Monday's).
  std::vector<std::pair<int, int>> week_spans(int day) const {
    constexpr int kWeek = 7 * kMinutesPerDay;
    int start = day * kMinutesPerDay + hours->start_minute;
    int end = day * kMinutesPerDay + hours->end_minute + (overnight() ? kMinutesPerDay : 0);
    if (end <= kWeek) return {{start, end}};
    return {{start, kWeek}, {0, end - kWeek}};
  }
};

struct Overlap {
  int day = -1;                 // the weekday of the first shared minute
  int spilled_from = -1;        // when one range got there past midnight: its start day
};

// Where `a` and `b` cover the same minute. A closed day conflicts with any range starting that
// day.
Overlap find_overlap(const HoursEntry& a, const HoursEntry& b) {
  for (int da = a.from; da <= a.to; ++da) {
    for (int db = b.from; db <= b.to; ++db) {
      if (!a.hours || !b.hours) {
        if (da == db && (a.hours || b.hours)) return {da, -1};
        continue;
      }
      for (auto [s1, e1] : a.week_spans(da))
        for (auto [s2, e2] : b.week_spans(db))
          if (s1 < e2 && s2 < e1) {
            int day = std::max(s1, s2) / kMinutesPerDay;
            return {day, day != da ? da : day != db ? db : -1};
          }
    }
  }
  return {};
}

void read_business_hours(const YAML::Node& n, const std::string& path, BusinessHours& bh,
                         Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  std::vector<HoursEntry> entries;
  for (const auto& kv : n) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
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
    std::vector<std::pair<YAML::Node, std::string>> items;
    if (kv.second.IsSequence()) {
      for (size_t i = 0; i < kv.second.size(); ++i)
        items.emplace_back(kv.second[i], kpath + "[" + std::to_string(i) + "]");
    } else {
      items.emplace_back(kv.second, kpath);
    }
    for (const auto& [item, ipath] : items) {
      if (!item.IsScalar()) {
        errors.add(item, ipath, kv.second.IsSequence() ? "expected a string" : "expected a string or a list of strings");
        continue;
      }
      const std::string& s = item.Scalar();
      HoursEntry e{key, from, to, s, std::nullopt, item, ipath};
      if (s != "closed") {
        std::string why;
        e.hours = parse_hours(s, why);
        if (!e.hours) {
          errors.add(item, ipath, "bad hours '" + s + "': " + why);
          continue;
        }
      }
      entries.push_back(std::move(e));
    }
  }
  // Two ranges that cover the same minute would make the opening hours ambiguous (and `closed`
  // next to hours for the same day too): name both, at the later one.
  for (size_t j = 1; j < entries.size(); ++j) {
    for (size_t i = 0; i < j; ++i) {
      Overlap o = find_overlap(entries[i], entries[j]);
      if (o.day < 0) continue;
      const HoursEntry& first = entries[i];
      const HoursEntry& later = entries[j];
      std::string message = "'" + later.text() + "' overlaps '" + first.text() + "' (line " +
                            std::to_string(first.node.Mark().line + 1) + ") on " +
                            kDayNames[o.day];
      if (o.spilled_from >= 0)
        message += std::string(" (the ") + kDayNames[o.spilled_from] + " range runs past midnight)";
      errors.add(later.node, later.path, message);
      break;  // one message per range
    }
  }
  for (const auto& e : entries)
    if (e.hours)
      for (int d = e.from; d <= e.to; ++d) bh.week[d].push_back(*e.hours);
  for (auto& day : bh.week)
    std::sort(day.begin(), day.end(),
              [](const DayHours& x, const DayHours& y) { return x.start_minute < y.start_minute; });
}

void read_contract(const YAML::Node& n, const std::string& path, Contract& c, Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  for_each_key(n, path, {"tier", "sla", "coverage", "updates_until", "uptime_target", "notify_client"}, errors,
               [&](const std::string& key, const YAML::Node& v, const std::string& kpath) {
    if (key == "notify_client") {
      // {sink: <email sink id>, to: address | [addresses]}; the sink is checked with the others.
      if (!expect_map(v, kpath, errors)) return;
      Contract::NotifyClient nc;
      for_each_key(v, kpath, {"sink", "to"}, errors, [&](const std::string& k, const YAML::Node& sv, const std::string& fpath) {
        if (k == "sink") {
          if (auto s = read_string(sv, fpath, errors)) nc.sink = *s;
          return;
        }
        std::vector<std::pair<YAML::Node, std::string>> items;
        if (sv.IsScalar()) items.emplace_back(sv, fpath);
        else if (sv.IsSequence() && sv.size() > 0 && sv.size() <= 20)
          for (size_t t = 0; t < sv.size(); ++t) items.emplace_back(sv[t], fpath + "[" + std::to_string(t) + "]");
        else errors.add(sv, fpath, "expected an address or a list of 1 to 20 addresses");
        for (const auto& [node, ipath] : items)
          if (auto s = read_string(node, ipath, errors)) {
            if (s->find('@') == std::string::npos || s->find_first_of(" \r\n,<>\"") != std::string::npos)
              errors.add(node, ipath, "not an e-mail address: '" + *s + "'");
            else nc.to.push_back(*s);
          }
      });
      if (!v["sink"].IsDefined()) errors.add(v, kpath, "missing field 'sink' (an email sink id)");
      if (!v["to"].IsDefined()) errors.add(v, kpath, "missing field 'to' (the client's addresses)");
      c.notify_client = nc;
      return;
    }
    if (key == "uptime_target") {
      double d = 0;
      if (!v.IsScalar() || !YAML::convert<double>::decode(v, d) || !std::isfinite(d))
        errors.add(v, kpath, "expected a percentage, e.g. 99.9");
      else if (d <= 0 || d > 100)
        errors.add(v, kpath, "must be above 0 and at most 100 (a percentage)");
      else
        c.uptime_target = d;
      return;
    }
    if (key == "updates_until") {
      if (auto s = read_string(v, kpath, errors)) {
        if (*s == "ack") c.updates_until_ack = true;
        else if (*s == "resolved") c.updates_until_ack = false;
        else errors.add(v, kpath, "unknown value '" + *s + "' (expected resolved or ack)");
      }
      return;
    }
    if (key == "tier") {
      if (auto s = read_string(v, kpath, errors)) c.tier = *s;
      return;
    }
    if (key == "coverage") {
      if (auto s = read_string(v, kpath, errors)) {
        if (*s == "24x7") c.coverage_24x7 = true;
        else if (*s == "business_hours") c.coverage_24x7 = false;
        else errors.add(v, kpath, "unknown coverage '" + *s + "' (expected business_hours or 24x7)");
      }
      return;
    }
    if (!expect_map(v, kpath, errors)) return;
    for (const auto& pkv : v) {
      std::string prio = pkv.first.Scalar();
      std::string ppath = kpath + "." + prio;
      if (prio != "P1" && prio != "P2" && prio != "P3") {
        bool lower_case = prio == "p1" || prio == "p2" || prio == "p3";
        errors.add(pkv.first, ppath,
                   "unknown priority (expected P1, P2 or P3" +
                       (lower_case ? "; did you mean 'P" + prio.substr(1) + "'?)" : std::string(")")));
        continue;
      }
      if (!expect_map(pkv.second, ppath, errors)) continue;
      SlaTarget t;
      for_each_key(pkv.second, ppath, {"response", "resolution", "updates"}, errors,
                   [&](const std::string& k, const YAML::Node& dv, const std::string& dpath) {
                     auto d = read_duration(dv, dpath, errors);
                     if (!d) return;
                     if (k == "updates") {
                       if (*d < std::chrono::minutes(1)) errors.add(dv, dpath, "must be at least 1m");
                       else c.updates[prio] = *d;
                     } else {
                       (k == "response" ? t.response : t.resolution) = *d;
                     }
                   });
      c.sla[prio] = t;
    }
  });
}

// A sink id named in routing, checked once every sink is known.
struct SinkRef {
  std::string id;
  YAML::Mark mark;
  std::string path;
  bool page = false;  // named in `pages`: the sink must be able to page
  std::string type;   // the sink must be of this type ("email" for contract.notify_client)
};

// Sink types that keep tickets and cannot page (the built-in ticket store is "builtin").
bool ticket_only_sink_type(const std::string& type) { return type == "builtin"; }

std::vector<std::string> read_sink_ids(const YAML::Node& n, const std::string& path,
                                       std::vector<SinkRef>& refs, Errors& errors,
                                       bool page = false) {
  std::vector<std::string> ids;
  if (!n.IsSequence()) {
    errors.add(n, path, "expected a list of sink ids");
    return ids;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    std::string ipath = path + "[" + std::to_string(i) + "]";
    if (auto s = read_string(n[i], ipath, errors)) {
      ids.push_back(*s);
      refs.push_back({*s, n[i].Mark(), ipath, page, ""});
    }
  }
  return ids;
}

bool valid_priority(const std::string& p) { return p == "P1" || p == "P2" || p == "P3"; }

void read_client_alerting(const YAML::Node& n, const std::string& path, ClientAlerting& ca,
                          std::vector<SinkRef>& refs, Errors& errors) {
  if (!expect_map(n, path, errors)) return;
  for_each_key(n, path, {"tickets", "pages", "priorities", "page_priorities"}, errors,
               [&](const std::string& key, const YAML::Node& v, const std::string& kpath) {
    if (key == "tickets") {
      ca.tickets = read_sink_ids(v, kpath, refs, errors);
    } else if (key == "pages") {
      ca.pages = read_sink_ids(v, kpath, refs, errors, true);
    } else if (key == "page_priorities") {
      std::vector<std::string> list;
      for (const auto& p : read_string_list(v, kpath, errors)) {
        if (!valid_priority(p)) errors.add(v, kpath, "unknown priority '" + p + "' (expected P1, P2 or P3)");
        else list.push_back(p);
      }
      ca.page_priorities = list;
    } else if (key == "priorities") {
      if (!v.IsSequence()) {
        errors.add(v, kpath, "expected a list of rules");
        return;
      }
      std::vector<PriorityRule> rules;
      for (size_t i = 0; i < v.size(); ++i) {
        std::string rpath = kpath + "[" + std::to_string(i) + "]";
        if (!expect_map(v[i], rpath, errors)) continue;
        PriorityRule rule;
        for_each_key(v[i], rpath, {"priority", "type", "check", "tags", "status"}, errors,
                     [&](const std::string& k, const YAML::Node& rv, const std::string& fpath) {
          if (k == "priority") {
            if (auto s = read_string(rv, fpath, errors)) {
              if (!valid_priority(*s)) errors.add(rv, fpath, "unknown priority '" + *s + "' (expected P1, P2 or P3)");
              rule.priority = *s;
            }
          } else if (k == "type") {
            rule.types = read_string_list(rv, fpath, errors);
            for (const auto& t : rule.types)
              if (!check_types().has(t)) errors.add(rv, fpath, "unknown check type '" + t + "'");
          } else if (k == "check") {
            rule.checks = read_string_list(rv, fpath, errors);
          } else if (k == "tags") {
            rule.tags = read_string_list(rv, fpath, errors);
          } else if (k == "status") {
            rule.statuses = read_string_list(rv, fpath, errors);
            for (const auto& st : rule.statuses)
              if (st != "warning" && st != "critical" && st != "unknown")
                errors.add(rv, fpath, "unknown status '" + st + "' (expected warning, critical or unknown)");
          }
        });
        if (!v[i]["priority"].IsDefined()) errors.add(v[i], rpath, "missing field 'priority'");
        rules.push_back(std::move(rule));
      }
      ca.priorities = std::move(rules);
    }
  });
}

// A credential from an environment variable or a file (never inline).
std::optional<std::string> read_secret(const YAML::Node& v, const std::string& path, bool from_env,
                                       Errors& errors) {
  auto name = read_string(v, path, errors);
  if (!name) return std::nullopt;
  if (from_env) {
    const char* value = std::getenv(name->c_str());
    if (!value || !*value) {
      errors.add(v, path, "environment variable '" + *name + "' is not set");
      return std::nullopt;
    }
    return std::string(value);
  }
  std::ifstream in(*name, std::ios::binary);
  if (!in) {
    errors.add(v, path, "cannot read '" + *name + "'");
    return std::nullopt;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) errors.add(v, path, "'" + *name + "' is empty");
  return text;
}

// alerting.canary: a list of URLs (http, https, tcp) or bare host:port, each a string or a map
// {url, timeout}.
void read_canaries(const YAML::Node& n, const std::string& path, std::vector<CanaryConfig>& out,
                   Errors& errors) {
  if (!n.IsSequence()) {
    errors.add(n, path, "expected a list of canaries (URLs or host:port)");
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node& item = n[i];
    const std::string ipath = path + "[" + std::to_string(i) + "]";
    CanaryConfig c;
    YAML::Node url_node;
    bool has_url = false;
    if (item.IsScalar()) {
      url_node = item;
      has_url = true;
    } else if (item.IsMap()) {
      for_each_key(item, ipath, {"url", "timeout"}, errors,
                   [&](const std::string& k, const YAML::Node& v, const std::string& kpath) {
        if (k == "url") {
          url_node = v;
          has_url = true;
        } else if (auto d = read_duration(v, kpath, errors)) {
          if (*d < std::chrono::milliseconds(100) || *d > std::chrono::seconds(60))
            errors.add(v, kpath, "must be between 100ms and 60s");
          else c.timeout = *d;
        }
      });
      if (!has_url) {
        errors.add(item, ipath, "missing field 'url' (an http://, https:// or tcp:// URL, or host:port)");
        continue;
      }
    } else {
      errors.add(item, ipath, "expected a URL or a map with url");
      continue;
    }
    const std::string upath = item.IsMap() ? ipath + ".url" : ipath;
    auto text = read_string(url_node, upath, errors);
    if (!text) continue;
    std::string u = *text;
    const bool tcp = u.rfind("tcp://", 0) == 0 || u.find("://") == std::string::npos;
    if (tcp) {
      std::string hostport = u.rfind("tcp://", 0) == 0 ? u.substr(6) : u;
      std::string host;
      uint16_t port = 0;
      if (!net::split_host_port(hostport, host, port, 0) || host.empty() || port == 0) {
        errors.add(url_node, upath, "bad canary '" + *text + "': a host canary needs host:port (or tcp://host:port)");
        continue;
      }
      u = "tcp://" + hostport;
    } else {
      std::string err;
      if (!net::parse_url(u, &err)) {
        errors.add(url_node, upath, "bad canary '" + *text + "': " + err + " (expected http://, https://, tcp:// or host:port)");
        continue;
      }
    }
    c.url = u;
    out.push_back(std::move(c));
  }
}

// alerting.oncall: members with contacts, weekly rotas with overrides, the escalation policy.
// Read after alerting.sinks, whose ids and types the contacts name.
void read_oncall(const YAML::Node& n, AlertingSettings& a, Errors& errors) {
  const std::string path = "alerting.oncall";
  if (!expect_map(n, path, errors)) return;
  OncallSettings& o = a.oncall;
  std::map<std::string, std::string> sink_types;
  for (const auto& s : a.sinks) sink_types[s.id] = s.type;
  auto list_of = [](const auto& items) {
    std::string out;
    for (const auto& x : items) out += (out.empty() ? "" : ", ") + x;
    return out.empty() ? std::string("none") : out;
  };
  std::set<std::string> member_ids, rota_ids;
  // Members first: rotas, overrides and steps name them wherever they are written.
  if (const YAML::Node m = n["members"]; m.IsDefined()) {
    const std::string mpath = path + ".members";
    if (!m.IsSequence() || m.size() == 0) errors.add(m, mpath, "expected a list of members");
    else
      for (size_t i = 0; i < m.size(); ++i) {
        const std::string ipath = mpath + "[" + std::to_string(i) + "]";
        if (!expect_map(m[i], ipath, errors)) continue;
        OncallMember member;
        for_each_key(m[i], ipath, {"id", "name", "contacts"}, errors,
                     [&](const std::string& k, const YAML::Node& v, const std::string& kpath) {
          if (k == "id") {
            if (auto s = read_string(v, kpath, errors)) {
              if (!valid_id(*s)) errors.add(v, kpath, "bad id '" + *s + "' (letters, digits, . _ -)");
              else if (!member_ids.insert(*s).second) errors.add(v, kpath, "duplicate member id '" + *s + "'");
              member.id = *s;
            }
          } else if (k == "name") {
            if (auto s = read_string(v, kpath, errors)) member.name = *s;
          } else if (k == "contacts") {
            if (!v.IsSequence() || v.size() == 0) {
              errors.add(v, kpath, "expected a list of contacts ({sink, address})");
              return;
            }
            for (size_t c = 0; c < v.size(); ++c) {
              const std::string cpath = kpath + "[" + std::to_string(c) + "]";
              if (!expect_map(v[c], cpath, errors)) continue;
              OncallContact contact;
              for_each_key(v[c], cpath, {"sink", "address"}, errors,
                           [&](const std::string& ck, const YAML::Node& cv, const std::string& fpath) {
                if (auto s = read_string(cv, fpath, errors)) (ck == "sink" ? contact.sink : contact.address) = *s;
              });
              if (!v[c]["sink"].IsDefined()) errors.add(v[c], cpath, "missing field 'sink' (an email or webhook sink id)");
              if (!v[c]["address"].IsDefined()) errors.add(v[c], cpath, "missing field 'address' (an e-mail address or a URL)");
              if (contact.sink.empty() || contact.address.empty()) continue;
              auto type = sink_types.find(contact.sink);
              if (type == sink_types.end()) {
                std::string known;
                for (const auto& [id, t] : sink_types)
                  if (t == "email" || t == "webhook") known += (known.empty() ? "" : ", ") + id;
                errors.add(v[c]["sink"], cpath + ".sink", "unknown sink id '" + contact.sink + "' (email and webhook sinks: " +
                                                              (known.empty() ? std::string("none") : known) + ")");
              } else if (type->second == "email") {
                if (contact.address.find('@') == std::string::npos)
                  errors.add(v[c]["address"], cpath + ".address", "bad e-mail address '" + contact.address + "'");
              } else if (type->second == "webhook") {
                std::string err;
                auto url = net::parse_url(contact.address, &err);
                if (!url || (url->scheme != "http" && url->scheme != "https"))
                  errors.add(v[c]["address"], cpath + ".address", "bad URL '" + contact.address + "': " +
                                                                      (url ? std::string("expected http:// or https://") : err));
              } else {
                errors.add(v[c]["sink"], cpath + ".sink", "sink '" + contact.sink + "' (type " + type->second +
                                                              ") cannot page one person: use an email or webhook sink" +
                                                              (type->second == "pagerduty" ? " (PagerDuty pages through its own rota)" : ""));
              }
              member.contacts.push_back(std::move(contact));
            }
          }
        });
        if (!m[i]["id"].IsDefined()) errors.add(m[i], ipath, "missing field 'id'");
        if (!m[i]["contacts"].IsDefined()) errors.add(m[i], ipath, "missing field 'contacts' (how to page this member)");
        if (member.name.empty()) member.name = member.id;
        o.members.push_back(std::move(member));
      }
  }
  auto member_ref = [&](const YAML::Node& v, const std::string& kpath) -> std::optional<std::string> {
    auto s = read_string(v, kpath, errors);
    if (!s) return std::nullopt;
    if (!member_ids.count(*s)) {
      std::string near = suggest_key(*s, member_ids);
      errors.add(v, kpath, "unknown member '" + *s + "' (alerting.oncall.members: " + list_of(member_ids) + ")" +
                               (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
      return std::nullopt;
    }
    return s;
  };
  for_each_key(n, path, {"members", "rotas", "escalation", "ticket_url"}, errors,
               [&](const std::string& key, const YAML::Node& v, const std::string& kpath) {
    if (key == "ticket_url") {
      if (auto s = read_string(v, kpath, errors)) o.ticket_url = *s;
    } else if (key == "rotas") {
      if (!v.IsSequence()) {
        errors.add(v, kpath, "expected a list of rotas");
        return;
      }
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string rpath = kpath + "[" + std::to_string(i) + "]";
        const YAML::Node& rn = v[i];
        if (!expect_map(rn, rpath, errors)) continue;
        Rota r;
        for_each_key(rn, rpath, {"id", "time_zone", "handover", "start", "members", "overrides"}, errors,
                     [&](const std::string& k, const YAML::Node& rv, const std::string& fpath) {
          if (k == "id") {
            if (auto s = read_string(rv, fpath, errors)) {
              if (!valid_id(*s)) errors.add(rv, fpath, "bad id '" + *s + "' (letters, digits, . _ -)");
              else if (!rota_ids.insert(*s).second) errors.add(rv, fpath, "duplicate rota id '" + *s + "'");
              r.id = *s;
            }
          } else if (k == "time_zone") {
            if (auto s = read_string(rv, fpath, errors)) {
              try {
                (void)date::locate_zone(*s);
                r.time_zone = *s;
              } catch (const std::exception&) {
                errors.add(rv, fpath, "unknown time zone '" + *s + "' (an IANA name such as Europe/London)");
              }
            }
          } else if (k == "handover") {
            if (!expect_map(rv, fpath, errors)) return;
            for_each_key(rv, fpath, {"weekday", "time"}, errors,
                         [&](const std::string& hk, const YAML::Node& hv, const std::string& hpath) {
              auto s = read_string(hv, hpath, errors);
              if (!s) return;
              if (hk == "weekday") {
                static const char* const names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
                static const char* const full[7] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
                std::string w = *s;
                for (auto& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                int day = -1;
                for (int d = 0; d < 7; ++d)
                  if (w == names[d] || w == full[d]) day = d;
                if (day < 0) errors.add(hv, hpath, "unknown weekday '" + *s + "' (mon ... sun)");
                else r.handover_weekday = day;
              } else {
                static const std::regex re("^([01]?[0-9]|2[0-3]):([0-5][0-9])$");
                std::smatch m;
                if (!std::regex_match(*s, m, re)) errors.add(hv, hpath, "bad time '" + *s + "' (HH:MM, local in the rota's time_zone)");
                else r.handover_minute = std::stoi(m[1]) * 60 + std::stoi(m[2]);
              }
            });
          } else if (k == "start") {
            if (auto s = read_string(rv, fpath, errors)) {
              std::istringstream in(*s);
              date::year_month_day ymd{};
              in >> date::parse("%F", ymd);
              if (in.fail() || !ymd.ok() || s->size() != 10)
                errors.add(rv, fpath, "bad date '" + *s + "' (YYYY-MM-DD, a local date in the rota's time_zone)");
              else
                r.start_day = date::sys_days(ymd).time_since_epoch().count();
            }
          } else if (k == "members") {
            if (!rv.IsSequence() || rv.size() == 0) {
              errors.add(rv, fpath, "a rota needs at least one member (a list of member ids, in turn order)");
              return;
            }
            for (size_t m = 0; m < rv.size(); ++m)
              if (auto id = member_ref(rv[m], fpath + "[" + std::to_string(m) + "]")) r.members.push_back(*id);
          }
        });
        if (!rn["id"].IsDefined()) errors.add(rn, rpath, "missing field 'id'");
        if (!rn["members"].IsDefined()) errors.add(rn, rpath, "a rota needs at least one member: missing field 'members'");
        if (!rn["start"].IsDefined()) errors.add(rn, rpath, "missing field 'start' (the local date the first turn begins on or after)");
        if (!rn["handover"].IsDefined()) errors.add(rn, rpath, "missing field 'handover' ({weekday, time})");
        // Overrides last: their local times are in the rota's zone.
        if (const YAML::Node ov = rn["overrides"]; ov.IsDefined()) {
          const std::string opath = rpath + ".overrides";
          if (!ov.IsSequence()) errors.add(ov, opath, "expected a list of overrides ({member, from, to})");
          else
            for (size_t j = 0; j < ov.size(); ++j) {
              const std::string jpath = opath + "[" + std::to_string(j) + "]";
              if (!expect_map(ov[j], jpath, errors)) continue;
              OncallOverride x;
              bool ok = true;
              std::optional<std::chrono::system_clock::time_point> from, to;
              for_each_key(ov[j], jpath, {"member", "from", "to"}, errors,
                           [&](const std::string& ok_key, const YAML::Node& xv, const std::string& xpath) {
                if (ok_key == "member") {
                  if (auto id = member_ref(xv, xpath)) x.member = *id;
                  else ok = false;
                  return;
                }
                auto s = read_string(xv, xpath, errors);
                if (!s) return;
                auto t = parse_window_time(*s, r.time_zone);
                if (!t) errors.add(xv, xpath, "bad time '" + *s + "' (YYYY-MM-DD HH:MM local in " + r.time_zone +
                                                  ", or RFC 3339 with an offset)");
                (ok_key == "from" ? from : to) = t;
              });
              for (const char* req : {"member", "from", "to"})
                if (!ov[j][req].IsDefined()) {
                  errors.add(ov[j], jpath, std::string("missing field '") + req + "'");
                  ok = false;
                }
              if (!ok || !from || !to) continue;
              if (*to <= *from) {
                errors.add(ov[j]["to"], jpath + ".to", "the override ends at or before it starts");
                continue;
              }
              x.from = *from;
              x.to = *to;
              r.overrides.push_back(std::move(x));
            }
        }
        o.rotas.push_back(std::move(r));
      }
    }
  });
  // The escalation policy last: its targets name rotas and members.
  if (const YAML::Node e = n["escalation"]; e.IsDefined()) {
    const std::string epath = path + ".escalation";
    if (!expect_map(e, epath, errors)) return;
    Escalation esc;
    for_each_key(e, epath, {"steps", "repeat", "repeat_after"}, errors,
                 [&](const std::string& k, const YAML::Node& v, const std::string& kpath) {
      if (k == "repeat") {
        if (auto i = read_int(v, kpath, errors, 0, 9)) esc.repeat = static_cast<int>(*i);
      } else if (k == "repeat_after") {
        if (auto d = read_duration(v, kpath, errors)) esc.repeat_after = *d;
      } else if (k == "steps") {
        if (!v.IsSequence() || v.size() == 0) {
          errors.add(v, kpath, "expected a list of steps ({after, target})");
          return;
        }
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string spath = kpath + "[" + std::to_string(i) + "]";
          if (!expect_map(v[i], spath, errors)) continue;
          EscalationStep step;
          for_each_key(v[i], spath, {"after", "target"}, errors,
                       [&](const std::string& sk, const YAML::Node& sv, const std::string& fpath) {
            if (sk == "after") {
              if (auto d = read_duration(sv, fpath, errors)) step.after = *d;
              return;
            }
            auto s = read_string(sv, fpath, errors);
            if (!s) return;
            const size_t colon = s->find(':');
            const std::string kind = colon == std::string::npos ? "" : s->substr(0, colon);
            const std::string id = colon == std::string::npos ? "" : s->substr(colon + 1);
            if (kind == "rota" && rota_ids.count(id)) step.target = *s;
            else if (kind == "member" && member_ids.count(id)) step.target = *s;
            else if (kind == "rota" || kind == "member") {
              const auto& known = kind == "rota" ? rota_ids : member_ids;
              const std::string near = suggest_key(id, known);
              errors.add(sv, fpath, "unknown " + kind + " '" + id + "' (alerting.oncall." + kind + "s: " + list_of(known) + ")" +
                                        (near.empty() ? std::string() : "; did you mean '" + kind + ":" + near + "'?"));
            }
            else
              errors.add(sv, fpath, "bad target '" + *s + "' (rota:<id> or member:<id>)");
          });
          if (!v[i]["target"].IsDefined())
            errors.add(v[i], spath, "an escalation step needs a target: missing field 'target' (rota:<id> or member:<id>)");
          if (!v[i]["after"].IsDefined()) errors.add(v[i], spath, "missing field 'after' (e.g. 0m, 15m)");
          if (!esc.steps.empty() && v[i]["after"].IsDefined() && step.after < esc.steps.back().after)
            errors.add(v[i]["after"], spath + ".after", "steps must be in ascending 'after' order (the step before is at " +
                                                            std::to_string(esc.steps.back().after.count() / 60000) + "m)");
          esc.steps.push_back(std::move(step));
        }
      }
    });
    if (!e["steps"].IsDefined()) errors.add(e, epath, "missing field 'steps'");
    if (esc.repeat > 0 && !esc.steps.empty()) {
      if (!e["repeat_after"].IsDefined())
        errors.add(e, epath, "missing field 'repeat_after' (how long after a loop begins the next one begins)");
      else if (esc.repeat_after <= esc.steps.back().after)
        errors.add(e["repeat_after"], epath + ".repeat_after", "must be longer than the last step's 'after'");
    }
    o.escalation = std::move(esc);
  }
}

void read_alerting(const YAML::Node& n, AlertingSettings& a, std::vector<SinkRef>& refs,
                   Errors& errors) {
  const std::string path = "alerting";
  if (!expect_map(n, path, errors)) return;
  for_each_key(n, path,
               {"sinks", "defaults", "flap_changes", "flap_window", "reopen_window", "canary",
                "canary_interval", "storm_ratio", "storm_min_checks", "agency", "oncall"},
               errors, [&](const std::string& key, const YAML::Node& v, const std::string& kpath) {
    if (key == "oncall") {
      return;  // read below, once every sink is known
    } else if (key == "agency") {
      a.agency = read_sink_ids(v, kpath, refs, errors);
    } else if (key == "canary") {
      read_canaries(v, kpath, a.canary, errors);
    } else if (key == "canary_interval") {
      if (auto d = read_duration(v, kpath, errors)) {
        if (*d < std::chrono::seconds(1)) errors.add(v, kpath, "must be at least 1s");
        else a.canary_interval = *d;
      }
    } else if (key == "storm_ratio") {
      double r = 0;
      if (!v.IsScalar() || !YAML::convert<double>::decode(v, r) || !(r > 0 && r <= 1))
        errors.add(v, kpath, "expected a number greater than 0 and at most 1 (a share of all checks, e.g. 0.5; 1 turns the storm rule off)");
      else
        a.storm_ratio = r;
    } else if (key == "storm_min_checks") {
      if (auto i = read_int(v, kpath, errors, 1, 10'000'000)) a.storm_min_checks = static_cast<int>(*i);
    } else if (key == "defaults") {
      read_client_alerting(v, kpath, a.defaults, refs, errors);
    } else if (key == "flap_changes") {
      if (auto i = read_int(v, kpath, errors, 2, 1000)) a.flap_changes = static_cast<int>(*i);
    } else if (key == "flap_window") {
      if (auto d = read_duration(v, kpath, errors)) a.flap_window = *d;
    } else if (key == "reopen_window") {
      if (auto d = read_duration(v, kpath, errors)) a.reopen_window = *d;
    } else if (key == "sinks") {
      if (!v.IsSequence()) {
        errors.add(v, kpath, "expected a list of sinks");
        return;
      }
      std::set<std::string> ids = {"builtin"};
      for (size_t i = 0; i < v.size(); ++i) {
        std::string spath = kpath + "[" + std::to_string(i) + "]";
        const YAML::Node& sn = v[i];
        if (!expect_map(sn, spath, errors)) continue;
        SinkConfig sink;
        // The credential keys of each type: {env key, file key}.
        static const std::map<std::string, std::pair<std::string, std::string>> kCredential = {
            {"pagerduty", {"routing_key_env", "routing_key_file"}},
            {"zendesk", {"token_env", "token_file"}},
            {"freshdesk", {"api_key_env", "api_key_file"}}};
        static const std::pair<std::string, std::string> kPassword = {"password_env", "password_file"};
        static const std::map<std::string, int> kRateLimit = {
            {"pagerduty", 120}, {"zendesk", 100}, {"freshdesk", 80}};
        for_each_key(sn, spath, {"id", "type", "url", "secret_env", "secret_file", "headers", "timeout", "max_in_flight",
                                 "routing_key_env", "routing_key_file", "token_env", "token_file", "api_key_env",
                                 "api_key_file", "email", "comments", "ticket_url", "rate_limit", "resend", "search_lag", "from", "to",
                                 "username", "password_env", "password_file", "ca_file"},
                     errors, [&](const std::string& k, const YAML::Node& sv, const std::string& fpath) {
          if (k == "id") {
            if (auto s = read_string(sv, fpath, errors)) {
              if (!valid_id(*s)) errors.add(sv, fpath, "bad id '" + *s + "' (letters, digits, . _ -)");
              else if (*s == "oncall")
                errors.add(sv, fpath, "'oncall' names the built-in on-call rota (alerting.oncall); pick another id");
              else if (!ids.insert(*s).second)
                errors.add(sv, fpath, *s == "builtin" ? std::string("'builtin' is the built-in ticket store; pick another id")
                                                      : "duplicate sink id '" + *s + "'");
              sink.id = *s;
            }
          } else if (k == "type") {
            if (auto s = read_string(sv, fpath, errors)) {
              static const std::set<std::string> kTypes = {"webhook", "pagerduty", "zendesk", "freshdesk", "alertmanager", "email"};
              if (!kTypes.count(*s))
                errors.add(sv, fpath, "unknown sink type '" + *s + "' (known: alertmanager, email, freshdesk, pagerduty, webhook, zendesk)");
              sink.type = *s;
            }
          } else if (k == "url") {
            if (auto s = read_string(sv, fpath, errors)) sink.url = *s;  // checked below, by type
          } else if (k == "from" || k == "username" || k == "ca_file") {
            if (auto s = read_string(sv, fpath, errors)) (k == "from" ? sink.from : k == "username" ? sink.username : sink.ca_file) = *s;
          } else if (k == "to") {
            if (sv.IsScalar()) {
              if (auto s = read_string(sv, fpath, errors)) sink.to.push_back(*s);
            } else if (sv.IsSequence() && sv.size() > 0) {
              for (size_t t = 0; t < sv.size(); ++t)
                if (auto s = read_string(sv[t], fpath + "[" + std::to_string(t) + "]", errors)) sink.to.push_back(*s);
            } else {
              errors.add(sv, fpath, "expected an address or a list of addresses");
            }
          } else if (k == "password_env" || k == "password_file") {
            if (auto c = read_secret(sv, fpath, k == "password_env", errors)) {
              sink.credential = *c;
              sink.credential_source = k;
            }
          } else if (k == "secret_env" || k == "secret_file") {
            if (k == "secret_env") { if (auto s = read_string(sv, fpath, errors)) sink.secret_env = *s; }
            else if (auto s = read_string(sv, fpath, errors)) sink.secret_file = *s;
            if (auto secret = read_secret(sv, fpath, k == "secret_env", errors)) sink.secret = *secret;
          } else if (k == "routing_key_env" || k == "routing_key_file" || k == "token_env" || k == "token_file" ||
                     k == "api_key_env" || k == "api_key_file") {
            const bool env = k.size() > 4 && k.compare(k.size() - 4, 4, "_env") == 0;
            if (auto c = read_secret(sv, fpath, env, errors)) {
              sink.credential = *c;
              sink.credential_source = k;
            }
          } else if (k == "email") {
            if (auto s = read_string(sv, fpath, errors)) {
              if (s->find('@') == std::string::npos) errors.add(sv, fpath, "bad e-mail address '" + *s + "'");
              sink.email = *s;
            }
          } else if (k == "comments") {
            if (auto s = read_string(sv, fpath, errors)) {
              if (*s == "public") sink.public_comments = true;
              else if (*s == "internal") sink.public_comments = false;
              else errors.add(sv, fpath, "expected 'public' or 'internal', got '" + *s + "'");
            }
          } else if (k == "ticket_url") {
            if (auto s = read_string(sv, fpath, errors)) sink.ticket_url = *s;
          } else if (k == "rate_limit") {
            if (auto i = read_int(sv, fpath, errors, 0, 100000)) sink.rate_limit = static_cast<int>(*i);
          } else if (k == "resend") {
            if (auto d = read_duration(sv, fpath, errors)) sink.resend = *d;
          } else if (k == "search_lag") {
            if (auto d = read_duration(sv, fpath, errors)) sink.search_lag = *d;
          } else if (k == "headers") {
            if (!expect_map(sv, fpath, errors)) return;
            for (const auto& hkv : sv) {
              std::string name = hkv.first.Scalar();
              if (auto s = read_string(hkv.second, fpath + "." + name, errors))
                sink.headers.emplace_back(name, *s);
            }
          } else if (k == "timeout") {
            if (auto d = read_duration(sv, fpath, errors)) sink.timeout = *d;
          } else if (k == "max_in_flight") {
            if (auto i = read_int(sv, fpath, errors, 1, 64)) sink.max_in_flight = static_cast<int>(*i);
          }
        });
        if (!sn["id"].IsDefined()) errors.add(sn, spath, "missing field 'id'");
        if (!sn["type"].IsDefined()) errors.add(sn, spath, "missing field 'type'");
        if (sink.type == "pagerduty" && !sn["url"].IsDefined()) sink.url = "https://events.pagerduty.com/v2/enqueue";
        else if (!sn["url"].IsDefined()) errors.add(sn, spath, "missing field 'url'");
        else if (!sink.url.empty()) {
          const bool mail = sink.type == "email";
          std::string text = sink.url, err;
          // An smtp(s) URL parses like an http one once its scheme is swapped.
          if (mail && text.rfind("smtps://", 0) == 0) text = "https://" + text.substr(8);
          else if (mail && text.rfind("smtp://", 0) == 0) text = "http://" + text.substr(7);
          else if (mail) err = "expected smtp:// (STARTTLS) or smtps://";
          auto url = err.empty() ? net::parse_url(text, &err) : std::nullopt;
          if (!url) errors.add(sn["url"], spath + ".url", "bad URL '" + sink.url + "': " + err);
          else if (!mail && url->scheme != "http" && url->scheme != "https")
            errors.add(sn["url"], spath + ".url", "bad URL '" + sink.url + "': expected http:// or https://");
        }
        if (sink.type == "email") {
          if (!sn["from"].IsDefined()) errors.add(sn, spath, "missing field 'from'");
          if (!sn["to"].IsDefined()) errors.add(sn, spath, "missing field 'to'");
          if (sn["username"].IsDefined() != (sn[kPassword.first].IsDefined() || sn[kPassword.second].IsDefined()))
            errors.add(sn, spath, "give 'username' together with 'password_env' or 'password_file' (SMTP AUTH)");
        } else {
          for (const char* key : {"from", "to", "username", "password_env", "password_file", "ca_file"})
            if (sn[key].IsDefined() && !sink.type.empty())
              errors.add(sn[key], spath + "." + key, "'" + std::string(key) + "' is not a key of a " + sink.type + " sink");
        }
        if (sn["secret_env"].IsDefined() && sn["secret_file"].IsDefined())
          errors.add(sn["secret_file"], spath + ".secret_file", "give secret_env or secret_file, not both");
        // Credential keys: exactly the pair of this type, one of the two.
        for (const auto& [type, keys] : kCredential) {
          const bool mine = type == sink.type;
          for (const auto& key : {keys.first, keys.second})
            if (sn[key].IsDefined() && !mine && !sink.type.empty())
              errors.add(sn[key], spath + "." + key, "'" + key + "' is not a key of a " + sink.type + " sink");
          if (!mine) continue;
          const bool env = sn[keys.first].IsDefined(), file = sn[keys.second].IsDefined();
          if (!env && !file)
            errors.add(sn, spath, "missing field '" + keys.first + "' or '" + keys.second + "' (the " +
                                      (type == "pagerduty" ? "integration's routing key" : type == "zendesk" ? "API token" : "API key") +
                                      "; never in the file itself)");
          else if (env && file)
            errors.add(sn[keys.second], spath + "." + keys.second, "give " + keys.first + " or " + keys.second + ", not both");
        }
        if (sn["search_lag"].IsDefined() && !sink.type.empty() && sink.type != "freshdesk")
          errors.add(sn["search_lag"], spath + ".search_lag", "'search_lag' is not a key of a " + sink.type + " sink");
        if ((sink.type == "zendesk" || sink.type == "freshdesk") && !sn["email"].IsDefined())
          errors.add(sn, spath, std::string("missing field 'email' (") +
                                    (sink.type == "zendesk" ? "the agent the API token belongs to" : "the requester of the tickets") + ")");
        if (!sn["rate_limit"].IsDefined())
          if (auto it = kRateLimit.find(sink.type); it != kRateLimit.end()) sink.rate_limit = it->second;
        a.sinks.push_back(std::move(sink));
      }
    }
  });
  if (n["oncall"].IsDefined()) read_oncall(n["oncall"], a, errors);
}

// Why the state store could not create or open `file` (and its -wal/-shm files beside it) at
// `lookout run`, or nullopt. Relative paths are relative to the working directory, as at run.
std::optional<std::string> state_file_problem(const std::string& file) {
  namespace fs = std::filesystem;
  if (file.empty()) return "must not be empty";
  if (file == ":memory:") return std::nullopt;
  const fs::path p(file);
  const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  std::string relative;
  if (p.is_relative()) {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    relative = " (relative to the working directory " + (ec ? std::string("?") : cwd.string()) + ")";
  }
  std::error_code ec;
  fs::file_status st = fs::status(dir, ec);
  if (!fs::exists(st)) return "directory '" + dir + "' does not exist" + relative;
  if (!fs::is_directory(st)) return "'" + dir + "' is not a directory" + relative;
  // SQLite creates the file and its journal files in that directory.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "directory '" + dir + "' is not writable (" + std::strerror(errno) +
           "): the state store creates its file and journal there" + relative;
  fs::file_status fst = fs::status(p, ec);
  if (fs::is_directory(fst)) return "'" + file + "' is a directory" + relative;
  if (fs::exists(fst) && ::access(file.c_str(), R_OK | W_OK) != 0)
    return "'" + file + "' is not writable (" + std::strerror(errno) + ")" + relative;
  return std::nullopt;
}

// The report's branding. The logo is checked at load (exists, a known image type, at most
// 1 MiB) so that a report never fails half-way on it; a relative path is relative to the
// config file's folder.
void read_report(const YAML::Node& n, ReportSettings& r, const std::string& config_file,
                 Errors& errors) {
  namespace fs = std::filesystem;
  if (!expect_map(n, "report", errors)) return;
  for_each_key(n, "report", {"agency_name", "logo_file"}, errors,
               [&](const std::string& key, const YAML::Node& v, const std::string& path) {
                 auto s = read_string(v, path, errors);
                 if (!s) return;
                 if (key == "agency_name") {
                   r.agency_name = *s;
                   return;
                 }
                 fs::path p(*s);
                 if (p.is_relative() && !config_file.empty())
                   p = fs::path(config_file).parent_path() / p;
                 std::string ext = p.extension().string();
                 std::transform(ext.begin(), ext.end(), ext.begin(),
                                [](unsigned char c) { return std::tolower(c); });
                 std::error_code ec;
                 if (ext != ".png" && ext != ".jpg" && ext != ".jpeg" && ext != ".gif" &&
                     ext != ".svg")
                   errors.add(v, path, "logo '" + *s + "' must be a .png, .jpg, .gif or .svg file");
                 else if (!fs::is_regular_file(p, ec))
                   errors.add(v, path, "logo file '" + *s + "' does not exist" +
                                           (fs::path(*s).is_relative()
                                                ? " (a relative path starts at the config file's folder)"
                                                : ""));
                 else if (fs::file_size(p, ec) > 1024 * 1024)
                   errors.add(v, path, "logo file '" + *s + "' is larger than 1 MiB");
                 else if (::access(p.c_str(), R_OK) != 0)
                   errors.add(v, path, "logo file '" + *s + "' is not readable");
                 else
                   r.logo_file = p.string();
               });
}

void read_agent(const YAML::Node& n, AgentSettings& a, Errors& errors) {
  if (!expect_map(n, "agent", errors)) return;
  for_each_key(
      n, "agent",
      {"listen", "state_file", "workers", "max_in_flight", "per_host_limit", "retention_days",
       "shutdown_grace", "resolver", "api_token_file"},
      errors, [&](const std::string& key, const YAML::Node& v, const std::string& path) {
        if (key == "listen") {
          if (auto s = read_string(v, path, errors)) {
            std::string host;
            uint16_t port = 0;
            // Port 0: the system picks a free port (the log and tests read the one it got).
            if (!net::split_host_port(*s, host, port, 0, /*allow_port_zero=*/true) ||
                (port == 0 && !s->ends_with(":0")))
              errors.add(v, path, "expected host:port, e.g. 127.0.0.1:9464");
            else
              a.listen = *s;
          }
        } else if (key == "state_file") {
          if (auto s = read_string(v, path, errors)) {
            if (auto problem = state_file_problem(*s)) errors.add(v, path, *problem);
            a.state_file = *s;
          }
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
        } else if (key == "api_token_file") {
          if (auto s = read_string(v, path, errors)) a.api_token_file = *s;
          if (auto token = read_secret(v, path, false, errors)) a.api_token = *token;
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

void read_catalog(const YAML::Node& n, CatalogSettings& c, Errors& errors) {
  if (!expect_map(n, "catalog", errors)) return;
  for_each_key(n, "catalog", {"refresh", "mirror", "max_age"}, errors,
               [&](const std::string& key, const YAML::Node& v, const std::string& path) {
                 if (key == "refresh") {
                   if (v.IsScalar() && (v.Scalar() == "off" || v.Scalar() == "false")) {
                     c.refresh.reset();
                   } else if (auto d = read_duration(v, path, errors)) {
                     if (*d < std::chrono::minutes(1))
                       errors.add(v, path, "expected off or a duration of at least 1m");
                     else
                       c.refresh = *d;
                   }
                 } else if (key == "mirror") {
                   if (auto s = read_string(v, path, errors)) {
                     if (s->starts_with("http://") || s->starts_with("https://")) {
                       std::string err;
                       if (!net::parse_url(*s, &err))
                         errors.add(v, path, "bad mirror URL '" + *s + "': " + err);
                     } else if (!std::filesystem::is_directory(*s)) {
                       errors.add(v, path, "mirror '" + *s +
                                               "' is neither a directory nor an http(s) URL");
                     }
                     c.mirror = *s;
                   }
                 } else if (key == "max_age") {
                   if (auto d = read_duration(v, path, errors)) {
                     if (d->count() <= 0) errors.add(v, path, "must be positive");
                     else c.max_age = *d;
                   }
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
  spec.failure_threshold = inh.failure_threshold;
  spec.success_threshold = inh.success_threshold;
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
    std::string names;
    for (const auto& name : check_types().names()) names += (names.empty() ? "" : ", ") + name;
    errors.add(type_node, path + ".type",
               "unknown check type '" + spec.type + "' (known: " + names + ")");
    return;
  }
  spec.check_id = spec.type;
  std::optional<std::chrono::milliseconds> retry = inh.retry_interval;
  bool enabled = true;
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    std::string kpath = path + "." + key;
    if (key == "type" || key == "maintenance") continue;
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
    } else if (key == "failure_threshold") {
      if (auto i = read_int(kv.second, kpath, errors, 1, 100)) spec.failure_threshold = static_cast<int>(*i);
    } else if (key == "success_threshold") {
      if (auto i = read_int(kv.second, kpath, errors, 1, 100)) spec.success_threshold = static_cast<int>(*i);
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
  // (below 1s only when set so: an interval below 1s is reported above)
  if (spec.retry_interval < std::chrono::seconds(1) && spec.interval >= std::chrono::seconds(1))
    errors.add(n["retry_interval"], path + ".retry_interval", "must be at least 1s");

  OptionMap options;
  auto layers = inh.type_layers.find(spec.type);
  if (layers != inh.type_layers.end())
    for (const auto& [node, lpath] : layers->second) options.add_layer(node, lpath);
  // the check's own keys carry the check's path and marks
  for (const auto& kv : n) {
    std::string key = kv.first.Scalar();
    if (key == "type" || key == "id" || key == "enabled" || key == "maintenance" ||
        kCommonCheckKeys.count(key))
      continue;
    // In n's memory: a map of its own would merge the whole document into it per key.
    YAML::Node single = new_map_sharing_memory(n);
    single[kv.first] = kv.second;
    options.add_layer(single, path);
  }
  size_t before = errors.size();
  check->probe = check_types().build(spec, options, errors);
  check->options_fingerprint = options.fingerprint();
  static const std::set<std::string> kCheckKeys = {"type", "id", "enabled", "interval", "timeout",
                                                    "retry_interval", "failure_threshold",
                                                    "success_threshold", "maintenance"};
  options.report_unknown(errors, kCheckKeys, path);
  if (!enabled || errors.size() != before || !check->probe) return;
  cfg.checks.push_back(std::move(check));
}

// One `maintenance:` entry, read; its scope and one-off times are checked once the client is
// complete (its sites, checks and time zone known).
struct PendingWindow {
  MaintenanceWindow window;
  YAML::Node node;
  std::string path;
};

// A `maintenance:` list at client (entries may name site and check), site (may name check) or
// check level (the scope is the check).
void read_maintenance(const YAML::Node& n, const std::string& path, const std::string& site,
                      const std::string& check, std::vector<PendingWindow>& out, Errors& errors) {
  if (!n.IsSequence()) {
    errors.add(n, path, "expected a list of maintenance windows");
    return;
  }
  std::set<std::string> known = {"from", "to", "weekly", "monthly", "time", "reason"};
  if (site.empty()) known.insert("site");
  if (check.empty()) known.insert("check");
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node& e = n[i];
    std::string epath = path + "[" + std::to_string(i) + "]";
    if (!expect_map(e, epath, errors)) continue;
    PendingWindow p{MaintenanceWindow{}, e, epath};
    p.window.site = site;
    p.window.check = check;
    MaintenanceFields f;
    bool ok = true;
    size_t before = errors.size();
    for_each_key(e, epath, known, errors, [&](const std::string& key, const YAML::Node& v,
                                              const std::string& kpath) {
      if (key == "weekly" && v.IsSequence()) {
        std::string joined;
        for (const auto& d : read_string_list(v, kpath, errors)) joined += (joined.empty() ? "" : ",") + d;
        f.weekly = joined;
        return;
      }
      auto text = read_string(v, kpath, errors);
      if (!text) return;
      if (key == "from") f.from = *text;
      else if (key == "to") f.to = *text;
      else if (key == "weekly") f.weekly = *text;
      else if (key == "monthly") f.monthly = *text;
      else if (key == "time") f.time = *text;
      else if (key == "reason") p.window.reason = *text;
      else if (key == "site") p.window.site = *text;
      else if (key == "check") p.window.check = *text;
    });
    if (errors.size() != before) ok = false;
    if (ok) {
      if (auto problem = parse_maintenance(f, p.window)) {
        YAML::Node at = problem->key.empty() || !e[problem->key].IsDefined() ? e : e[problem->key];
        errors.add(at, problem->key.empty() ? epath : epath + "." + problem->key, problem->message);
        ok = false;
      }
    }
    if (ok && !p.window.check.empty() && p.window.site.empty()) {
      errors.add(e["check"], epath + ".check", "a check is named within a site: give site too");
      ok = false;
    }
    if (ok) out.push_back(std::move(p));
  }
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
    else if (key == "alerting") read_alerting(value, cfg_.alerting, refs_, errors);
    else if (key == "catalog") read_catalog(value, cfg_.catalog, errors);
    else if (key == "report") read_report(value, cfg_.report, cfg_.file, errors);
    else if (key != "clients") {
      std::string near = suggest_key(key, {"agent", "defaults", "alerting", "catalog", "report", "clients"});
      errors.add(key_node, key,
                 "unknown key (expected agent, defaults, alerting, catalog, report or clients" +
                     (near.empty() ? std::string(")") : "; did you mean '" + near + "'?)"));
    }
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
    YAML::Node sites_node, maintenance_node;
    std::string maintenance_path;
    std::vector<PendingWindow> windows;
    std::map<std::string, std::set<std::string>> scope_checks;  // site -> check ids
    for_each_key(cn, cpath,
                 {"id", "name", "timezone", "business_hours", "holidays", "contract", "alerting", "defaults", "sites",
                  "maintenance"},
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
                     if (client.contract.notify_client && v["notify_client"]["sink"].IsDefined())
                       refs_.push_back({client.contract.notify_client->sink, v["notify_client"]["sink"].Mark(),
                                        path + ".notify_client.sink", false, "email"});
                   } else if (key == "alerting") {
                     read_client_alerting(v, path, client.alerting, refs_, errors);
                   } else if (key == "defaults") {
                     read_defaults(v, path, cinh, errors);
                   } else if (key == "sites") {
                     sites_node = v;
                   } else if (key == "maintenance") {
                     maintenance_node = v;
                     maintenance_path = path;
                   }
                 });
    if (client.id.empty() && !cn["id"].IsDefined()) errors.add(cn, cpath, "missing field 'id'");
    if (client.name.empty()) client.name = client.id;
    if (maintenance_node.IsDefined() && !maintenance_node.IsNull())
      read_maintenance(maintenance_node, maintenance_path, "", "", windows, errors);
    if (!sites_node.IsDefined() || sites_node.IsNull()) {
      finish_maintenance(client, windows, scope_checks, errors);
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
      YAML::Node depends_node;
      YAML::Node site_maintenance;
      for_each_key(sn, spath, {"id", "name", "url", "tags", "depends_on", "defaults", "checks", "maintenance"}, errors,
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
                     } else if (key == "depends_on") {
                       depends_node = v;
                     } else if (key == "defaults") {
                       read_defaults(v, path, sinh, errors);
                     } else if (key == "checks") {
                       checks_node = v;
                     } else if (key == "maintenance") {
                       site_maintenance = v;
                     }
                   });
      if (!sn["id"].IsDefined()) errors.add(sn, spath, "missing field 'id'");
      if (!sn["url"].IsDefined()) errors.add(sn, spath, "missing field 'url'");
      if (site.name.empty()) site.name = site.id;
      if (depends_node.IsDefined() && !depends_node.IsNull()) {
        const std::string dpath = spath + ".depends_on";
        if (!depends_node.IsSequence() && !depends_node.IsScalar()) {
          errors.add(depends_node, dpath, "expected a list of site ids (site, or client/site)");
        } else {
          std::vector<std::pair<YAML::Node, std::string>> items;
          if (depends_node.IsScalar()) items.emplace_back(depends_node, dpath);
          else
            for (size_t i = 0; i < depends_node.size(); ++i)
              items.emplace_back(depends_node[i], dpath + "[" + std::to_string(i) + "]");
          for (const auto& [item, ipath] : items) {
            auto target = read_string(item, ipath, errors);
            if (!target) continue;
            std::string full = target->find('/') == std::string::npos ? client.id + "/" + *target : *target;
            site.depends_on.push_back(full);
            site_refs_.push_back({client.id + "/" + site.id, full, *target, item.Mark(), ipath});
          }
        }
      }
      if (checks_node.IsDefined() && !checks_node.IsNull()) {
        if (!checks_node.IsSequence()) {
          errors.add(checks_node, spath + ".checks", "expected a list of checks");
        } else {
          std::set<std::string> check_ids;
          for (size_t k = 0; k < checks_node.size(); ++k) {
            const YAML::Node& ck = checks_node[k];
            std::string kpath = spath + ".checks[" + std::to_string(k) + "]";
            build_check(ck, kpath, client, site, sinh, check_ids, cfg_, errors);
            if (ck.IsMap() && ck["maintenance"].IsDefined() && !ck["maintenance"].IsNull()) {
              std::string check_id;
              if (ck["id"].IsDefined() && ck["id"].IsScalar()) check_id = ck["id"].Scalar();
              else if (ck["type"].IsDefined() && ck["type"].IsScalar()) check_id = ck["type"].Scalar();
              read_maintenance(ck["maintenance"], kpath + ".maintenance", site.id, check_id,
                               windows, errors);
            }
          }
          scope_checks[site.id] = check_ids;
        }
      }
      scope_checks[site.id];  // a site without checks is a valid scope too
      if (site_maintenance.IsDefined() && !site_maintenance.IsNull())
        read_maintenance(site_maintenance, spath + ".maintenance", site.id, "", windows, errors);
      client.sites.push_back(std::move(site));
    }
    finish_maintenance(client, windows, scope_checks, errors);
    cfg_.clients.push_back(std::move(client));
  }

  /// The client's windows: scopes named must exist; one-off times resolve in its zone.
  void finish_maintenance(const Client& client, std::vector<PendingWindow>& windows,
                          const std::map<std::string, std::set<std::string>>& scope_checks,
                          Errors& errors) {
    for (auto& p : windows) {
      MaintenanceWindow& w = p.window;
      w.client = client.id;
      if (!w.site.empty()) {
        auto site = scope_checks.find(w.site);
        if (site == scope_checks.end()) {
          YAML::Node at = p.node["site"].IsDefined() ? p.node["site"] : p.node;
          std::string known;
          for (const auto& [id, checks] : scope_checks) known += (known.empty() ? "" : ", ") + id;
          errors.add(at, p.path + ".site",
                     "unknown scope: client '" + client.id + "' has no site '" + w.site + "'" +
                         (known.empty() ? std::string() : " (sites: " + known + ")"));
          continue;
        }
        if (!w.check.empty() && !site->second.count(w.check)) {
          YAML::Node at = p.node["check"].IsDefined() ? p.node["check"] : p.node;
          errors.add(at, p.path + ".check",
                     "unknown scope: site '" + w.site + "' has no check '" + w.check + "'");
          continue;
        }
      }
      if (auto problem = resolve_once(w, client.hours.timezone)) {
        YAML::Node at = p.node[problem->key].IsDefined() ? p.node[problem->key] : p.node;
        errors.add(at, p.path + "." + problem->key, problem->message);
        continue;
      }
      w.source = "config";
      w.id = "config:" + client.id + ":" + std::to_string(++window_counts_[client.id]);
      cfg_.maintenance.push_back(std::move(w));
    }
  }

  size_t clients_seen() const { return clients_seen_; }

  /// After everything: every sink id named by a client or alerting.defaults must exist, and a
  /// sink named in `pages` must be able to page.
  void check_sink_refs(Errors& errors) const {
    std::set<std::string> ids = {"builtin"};
    std::map<std::string, std::string> types = {{"builtin", "builtin"}};
    for (const auto& sink : cfg_.alerting.sinks) {
      ids.insert(sink.id);
      types[sink.id] = sink.type;
    }
    for (const auto& ref : refs_) {
      if (ref.id == "oncall") {  // the built-in rota: pages only, and only with an escalation
        if (!ref.page)
          errors.add_at(ref.mark, ref.path, "'oncall' is the built-in on-call rota: it pages and keeps no tickets (name it in pages)");
        else if (!cfg_.alerting.oncall.escalation)
          errors.add_at(ref.mark, ref.path, "'oncall' pages through the built-in rota, but alerting.oncall.escalation is not configured");
        continue;
      }
      if (ids.count(ref.id)) {
        if (!ref.type.empty() && types[ref.id] != ref.type) {
          errors.add_at(ref.mark, ref.path, "sink '" + ref.id + "' is of type " + types[ref.id] + ", not " + ref.type +
                                                " (contract.notify_client sends an e-mail)");
          continue;
        }
        if (ref.page && ticket_only_sink_type(types[ref.id]))
          errors.add_at(ref.mark, ref.path,
                        ref.id == "builtin"
                            ? std::string("'builtin' is the built-in ticket store: it keeps tickets and cannot page (name a paging sink)")
                            : "sink '" + ref.id + "' (type " + types[ref.id] + ") keeps tickets and cannot page");
        continue;
      }
      std::string known;
      for (const auto& id : ids) known += (known.empty() ? "" : ", ") + id;
      std::string near = suggest_key(ref.id, ids);
      errors.add_at(ref.mark, ref.path,
                    "unknown sink id '" + ref.id + "' (defined: " + known + ")" +
                        (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
    }
  }

  /// After everything: every depends_on names an existing site, not itself, without cycles.
  void check_site_refs(Errors& errors) const {
    std::map<std::string, std::set<std::string>> sites_of;  // client -> site ids
    for (const auto& c : cfg_.clients)
      for (const auto& s : c.sites) sites_of[c.id].insert(s.id);
    std::map<std::string, std::vector<const SiteRef*>> graph;  // valid edges only
    for (const auto& ref : site_refs_) {
      const size_t slash = ref.to.find('/');
      const std::string client = ref.to.substr(0, slash), site = ref.to.substr(slash + 1);
      auto cit = sites_of.find(client);
      if (slash == std::string::npos || ref.to.find('/', slash + 1) != std::string::npos) {
        errors.add_at(ref.mark, ref.path, "bad site reference '" + ref.written + "' (site, or client/site)");
      } else if (cit == sites_of.end()) {
        errors.add_at(ref.mark, ref.path, "unknown client '" + client + "' in '" + ref.written + "'");
      } else if (!cit->second.count(site)) {
        std::string known;
        for (const auto& id : cit->second) known += (known.empty() ? "" : ", ") + id;
        std::string near = suggest_key(site, cit->second);
        errors.add_at(ref.mark, ref.path,
                      "unknown site '" + ref.written + "' (client '" + client + "' has: " + known + ")" +
                          (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
      } else if (ref.to == ref.from) {
        errors.add_at(ref.mark, ref.path, "a site cannot depend on itself");
      } else {
        graph[ref.from].push_back(&ref);
      }
    }
    // Cycles: a depth-first walk; the edge that closes a cycle names the whole path.
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::set<const SiteRef*> reported;
    std::function<void(const std::string&)> visit = [&](const std::string& node) {
      state[node] = 1;
      path.push_back(node);
      for (const SiteRef* e : graph[node]) {
        if (state[e->to] == 1) {
          if (reported.insert(e).second) {
            auto start = std::find(path.begin(), path.end(), e->to);
            std::string cycle;
            for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
            errors.add_at(e->mark, e->path, "depends_on cycle: " + cycle + e->to);
          }
        } else if (state[e->to] == 0) {
          visit(e->to);
        }
      }
      path.pop_back();
      state[node] = 2;
    };
    for (const auto& ref : site_refs_)
      if (state[ref.from] == 0) visit(ref.from);
  }

 private:
  struct SiteRef {
    std::string from;     // "client/site" that declares it
    std::string to;       // "client/site" it depends on
    std::string written;  // as written
    YAML::Mark mark;
    std::string path;
  };
  std::vector<SiteRef> site_refs_;
  std::vector<SinkRef> refs_;
  Config& cfg_;
  Inherited top_;  // from the root defaults
  std::set<std::string> client_ids_;
  std::map<std::string, int> window_counts_;
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
  builder.check_sink_refs(errors);
  builder.check_site_refs(errors);
}

// The streaming path: root entries and clients go to the ConfigBuilder as soon as each is
// complete, and each client's tree is dropped once built. Errors come out in the whole-tree
// order (root entries first, then clients) whatever the key order. Lives for one parse.
std::string duplicate_key_message(const DuplicateKey& d) {
  std::string where = "line " + std::to_string(d.first.line + 1);
  if (d.first.line == d.mark.line) where += ", column " + std::to_string(d.first.column + 1);
  return "duplicate key '" + d.key + "' (first at " + where + ")";
}

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

  void on_duplicate_key(const DuplicateKey& d) override {
    errors_.add_at(d.mark, d.path, duplicate_key_message(d));
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
    builder_.check_sink_refs(errors_);
    builder_.check_site_refs(errors_);
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
  return load_config_text_whole(text, file, types);
}

LoadResult load_config_text_whole(const std::string& text, const std::string& file,
                                  const CheckTypes& types) {
  CheckTypesScope scope(types);
  LoadResult result{std::nullopt, Errors(file)};
  Config cfg;
  cfg.file = file;
  YAML::Node root;
  try {
    root = load_yaml_tree(text);
  } catch (const YAML::Exception& e) {
    return syntax_error(e, file);
  }
  try {
    for (const auto& d : find_duplicate_keys(text))
      result.errors.add_at(d.mark, d.path, duplicate_key_message(d));
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
