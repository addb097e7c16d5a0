#include "probes/rdap.h"

#include <algorithm>
#include <cctype>

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <nlohmann/json.hpp>

namespace lookout::probes::rdap {
namespace {

using nlohmann::json;

using boost::algorithm::iequals;

std::string lower(std::string_view s) { return boost::algorithm::to_lower_copy(std::string(s)); }

const json* member(const json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

std::string string_member(const json& obj, const char* name) {
  const json* m = member(obj, name);
  return m && m->is_string() ? m->get<std::string>() : std::string();
}

// jCard (RFC 7095): ["vcard", [[name, params, type, value], ...]]; returns the "fn" value.
std::string vcard_fn(const json& entity) {
  const json* v = member(entity, "vcardArray");
  if (!v || !v->is_array() || v->size() < 2 || !(*v)[1].is_array()) return {};
  for (const auto& prop : (*v)[1]) {
    if (prop.is_array() && prop.size() >= 4 && prop[0].is_string() && prop[3].is_string() &&
        iequals(prop[0].get<std::string>(), "fn"))
      return prop[3].get<std::string>();
  }
  return {};
}

bool has_role(const json& entity, std::string_view role) {
  const json* roles = member(entity, "roles");
  if (!roles || !roles->is_array()) return false;
  for (const auto& r : *roles)
    if (r.is_string() && iequals(r.get<std::string>(), role)) return true;
  return false;
}

// The registrar entity: top level for gTLDs; some registries nest it one level down.
const json* find_registrar(const json& obj, int depth) {
  const json* entities = member(obj, "entities");
  if (!entities || !entities->is_array()) return nullptr;
  for (const auto& e : *entities)
    if (has_role(e, "registrar")) return &e;
  if (depth > 0)
    for (const auto& e : *entities)
      if (const json* r = find_registrar(e, depth - 1)) return r;
  return nullptr;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
    return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

}  // namespace

std::optional<TimePoint> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
      !digits(s, 17, 2, sec))
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t ns = 0, scale = 100'000'000;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    frac = nanoseconds(ns);
  }
  minutes offset{0};
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
          !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
        return std::nullopt;
      offset = hours(oh) + minutes(om);
      if (s[pos] == '-') offset = -offset;
      pos += 6;
    } else {
      return std::nullopt;
    }
  }  // no zone at all: read as UTC, as some registries write it
  if (pos != s.size()) return std::nullopt;
  auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(std::min(sec, 59)) - offset;
  // system_clock counts nanoseconds in 64 bits (years 1678..2261): a date outside that, such as
  // a registry's "9999-12-31" for "never", cannot be represented and is treated as absent.
  constexpr int64_t kLimit = duration_cast<seconds>(system_clock::duration::max()).count() - 1;
  int64_t count = t.time_since_epoch().count();
  if (count > kLimit || count < -kLimit) return std::nullopt;
  return time_point_cast<system_clock::duration>(t + frac);
}

DomainParse parse_domain(std::string_view body) {
  DomainParse out;
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    out.error = "reply is not JSON";
    return out;
  }
  if (!j.is_object()) {
    out.error = "reply is not a JSON object";
    return out;
  }
  std::string cls = string_member(j, "objectClassName");
  if (!cls.empty() && !iequals(cls, "domain")) {
    out.error = "reply is an RDAP '" + cls + "' object, not a domain";
    return out;
  }
  if (cls.empty() && !member(j, "ldhName") && !member(j, "events")) {
    std::string err = error_text(body);
    out.error = err.empty() ? "reply is not an RDAP domain object" : "RDAP error: " + err;
    return out;
  }
  DomainInfo info;
  std::optional<TimePoint> registrar_expires;
  info.ldh_name = string_member(j, "ldhName");
  if (const json* events = member(j, "events"); events && events->is_array()) {
    for (const auto& e : *events) {
      std::string action = lower(string_member(e, "eventAction"));
      auto at = parse_rfc3339(string_member(e, "eventDate"));
      if (!at) continue;
      // Several entries of one kind happen (renewals); the latest date is the one in force.
      auto keep = [&](std::optional<TimePoint>& slot) {
        if (!slot || *at > *slot) slot = at;
      };
      if (action == "expiration") keep(info.expires);
      else if (action == "registrar expiration") keep(registrar_expires);
      else if (action == "registration") keep(info.registered);
      else if (action == "last changed") keep(info.last_changed);
    }
  }
  // ICANN's registrar profile: the registrar's RDAP server may carry only its own date.
  if (!info.expires) info.expires = registrar_expires;
  if (const json* reg = find_registrar(j, 1)) {
    info.registrar = vcard_fn(*reg);
    if (info.registrar.empty()) info.registrar = string_member(*reg, "handle");
    if (const json* ids = member(*reg, "publicIds"); ids && ids->is_array())
      for (const auto& id : *ids)
        if (iequals(string_member(id, "type"), "IANA Registrar ID"))
          info.registrar_iana_id = string_member(id, "identifier");
  }
  if (const json* st = member(j, "status"); st && st->is_array())
    for (const auto& s : *st)
      if (s.is_string()) info.status.push_back(s.get<std::string>());
  out.domain = std::move(info);
  return out;
}

std::string error_text(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !member(j, "errorCode")) return {};
  std::string text = string_member(j, "title");
  if (const json* d = member(j, "description"); d && d->is_array())
    for (const auto& line : *d)
      if (line.is_string()) text += (text.empty() ? "" : ": ") + line.get<std::string>();
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

std::optional<Bootstrap> parse_bootstrap(std::string_view text, std::string& error) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const json* services = member(j, "services");
  if (!services || !services->is_array()) {
    error = "no \"services\" array (not an RFC 9224 bootstrap file)";
    return std::nullopt;
  }
  Bootstrap b;
  b.publication = string_member(j, "publication");
  for (size_t i = 0; i < services->size(); ++i) {
    const json& s = (*services)[i];
    if (!s.is_array() || s.size() < 2 || !s[0].is_array() || !s[1].is_array()) {
      error = "services[" + std::to_string(i) + "] is not [[labels...], [urls...]]";
      return std::nullopt;
    }
    std::vector<std::string> labels, urls;
    for (const auto& l : s[0])
      if (l.is_string()) labels.push_back(lower(l.get<std::string>()));
    for (const auto& u : s[1])
      if (u.is_string()) urls.push_back(u.get<std::string>());
    b.services.emplace_back(std::move(labels), std::move(urls));
  }
  return b;
}

std::optional<std::string> base_url_for(const Bootstrap& bootstrap, std::string_view domain) {
  std::string name = lower(domain);
  if (!name.empty() && name.back() == '.') name.pop_back();
  const std::vector<std::string>* best = nullptr;
  size_t best_len = 0;
  for (const auto& [labels, urls] : bootstrap.services) {
    if (urls.empty()) continue;
    for (const auto& label : labels) {
      bool match = !label.empty() &&
                   (name == label || (name.size() > label.size() &&
                                      name.compare(name.size() - label.size(), label.size(),
                                                   label) == 0 &&
                                      name[name.size() - label.size() - 1] == '.'));
      if (match && label.size() > best_len) {
        best = &urls;
        best_len = label.size();
      }
    }
  }
  if (!best) return std::nullopt;
  for (const auto& u : *best)
    if (lower(u).rfind("https://", 0) == 0) return u;
  return best->front();
}

std::string domain_query_url(std::string_view base_url, std::string_view domain) {
  std::string url(base_url);
  if (url.empty() || url.back() != '/') url += '/';
  return url + "domain/" + std::string(domain);
}

std::string normalize_domain(std::string_view name) {
  std::string n = lower(name);
  if (!n.empty() && n.back() == '.') n.pop_back();
  if (n.empty() || n.size() > 253) return {};
  size_t labels = 0, start = 0;
  while (start <= n.size()) {
    size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    if (!valid_label(std::string_view(n).substr(start, dot - start))) return {};
    ++labels;
    start = dot + 1;
  }
  return labels >= 2 ? n : std::string();
}

}  // namespace lookout::probes::rdap
