#include "probes/dnsbl_probe.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/dns_probe.h"
#include "net/dns_message.h"
#include "net/url.h"

namespace lookout::probes {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Meaning = DnsblMeaning;

constexpr size_t kMaxTxtChars = 300;
constexpr size_t kSummaryItems = 3;

struct Job {
  std::string target;  // the address or domain as shown
  std::string qname;
  const DnsblList* list = nullptr;
};

// What a list said, before its code table is applied: small, so it can be cached.
struct ListReply {
  enum Kind : uint8_t { negative, answered, failed } kind = negative;
  std::vector<boost::asio::ip::address_v4> codes;  // for `answered`, at most 32
  std::string error;                               // for `failed`
  std::chrono::seconds ttl{0};                     // how long it may be reused (0: never)
};
ListReply read_list_reply(const net::DnsAnswer& answer);
DnsblEntry classify_reply(const DnsblList& list, const std::string& target,
                          const ListReply& reply);

// List answers per worker thread (each has its own resolver), so that sites sharing an address
// (shared hosting) or a domain cost one query per list per TTL: lists have query budgets.
class AnswerCache {
 public:
  struct Item {
    ListReply reply;
    std::optional<std::string> txt;
    Clock::time_point expires;
  };
  static constexpr size_t kMaxItems = 100'000;

  Item* get(const std::string& key) {
    auto it = items_.find(key);
    if (it == items_.end()) return nullptr;
    if (it->second.expires <= Clock::now()) {
      items_.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  void put(std::string key, const ListReply& reply, std::chrono::seconds max_ttl) {
    auto ttl = std::min(max_ttl, reply.ttl);
    if (reply.kind == ListReply::failed || ttl.count() <= 0) return;
    if (items_.size() >= kMaxItems) {
      auto now = Clock::now();
      std::erase_if(items_, [&](const auto& kv) { return kv.second.expires <= now; });
      if (items_.size() >= kMaxItems) items_.clear();
    }
    items_.insert_or_assign(std::move(key), Item{reply, std::nullopt, Clock::now() + ttl});
  }

 private:
  std::unordered_map<std::string, Item> items_;
};

AnswerCache& thread_answer_cache() {
  thread_local AnswerCache cache;
  return cache;
}

// Shared by the run and its query workers; workers hold it so it outlives an abandoned run.
struct Sweep {
  explicit Sweep(asio::any_io_executor ex) : done(ex) {}
  std::shared_ptr<const DnsblCheck> check;  // the jobs point into its lists
  std::vector<Job> jobs;
  std::vector<DnsblEntry> entries;
  size_t next = 0;
  size_t running = 0;
  bool finished = false;
  asio::steady_timer done;
  std::vector<std::string> servers;
  std::chrono::milliseconds list_timeout{0};
  Clock::time_point deadline;
  bool fetch_txt = true;
  std::chrono::seconds cache_ttl{0};
  std::string cache_scope;  // which resolver answered: part of the cache key
  size_t cache_hits = 0;
};

asio::awaitable<void> sweep_worker(std::shared_ptr<Sweep> s, net::Resolver& resolver) {
  while (s->next < s->jobs.size()) {
    size_t i = s->next++;
    const Job& job = s->jobs[i];
    auto timeout = job.list->timeout.value_or(s->list_timeout);
    std::string key = s->cache_scope + "|" + job.qname;
    auto& cache = thread_answer_cache();
    ListReply reply;
    std::optional<std::string> txt;
    if (auto* hit = s->cache_ttl.count() > 0 ? cache.get(key) : nullptr) {
      reply = hit->reply;
      txt = hit->txt;
      ++s->cache_hits;
    } else {
      auto deadline = std::min(s->deadline, Clock::now() + timeout);
      reply = read_list_reply(
          co_await resolver.query(job.qname, net::dns_type::kA, deadline, s->servers));
      if (s->cache_ttl.count() > 0) cache.put(key, reply, s->cache_ttl);
    }
    DnsblEntry e = classify_reply(*job.list, job.target, reply);
    if (e.result == Meaning::listed && s->fetch_txt) {
      if (!txt) {
        auto txt_deadline = std::min(s->deadline, Clock::now() + timeout);
        auto reply = co_await resolver.query(job.qname, net::dns_type::kTxt, txt_deadline,
                                             s->servers);
        txt = dnsbl_txt_reason(reply);
        if (auto* item = cache.get(key)) item->txt = txt;
      }
      e.txt = *txt;
      // A list without a code table (any rbldnsd zone) says why only in its TXT record.
      if (e.reason == kDnsblGenericListed && !e.txt.empty()) e.reason = e.txt;
    }
    s->entries[i] = std::move(e);
  }
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

class DnsblProbe final : public Probe {
 public:
  explicit DnsblProbe(DnsblCheck check)
      : check_(std::make_shared<const DnsblCheck>(std::move(check))), c_(*check_) {}

  asio::awaitable<Result> run(ProbeContext& ctx) override {
    auto t0 = Clock::now();
    std::vector<asio::ip::address> addresses;
    std::string resolve_error;
    if (auto ip = net::parse_ip(c_.target)) {
      addresses.push_back(*ip);
    } else if (!c_.target.empty() && !c_.ip_lists.empty()) {  // addresses only for IP lists
      auto deadline = std::min(ctx.deadline, Clock::now() + c_.list_timeout);
      auto res = co_await ctx.resolver.resolve(c_.target, net::AddressFamily::any, deadline);
      if (res.ok)
        addresses = res.addresses;
      else
        resolve_error = "cannot resolve " + c_.target + ": " + res.error;
    }
    double resolve_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    for (const auto& ip : c_.extra_ips)
      if (std::find(addresses.begin(), addresses.end(), ip) == addresses.end())
        addresses.push_back(ip);
    // Domain lists: each list is asked about the names its policy wants (host name and/or
    // registered domain) of the target host or of each configured domain.
    std::vector<std::string> domains;
    std::vector<std::pair<std::string, const DnsblList*>> domain_jobs;
    if (!c_.domain_lists.empty()) {
      const std::vector<std::string> subjects = c_.domains ? *c_.domains : default_dnsbl_domains(c_.target);
      for (const auto& subject : subjects)
        for (const auto& list : c_.domain_lists)
          for (auto& name : dnsbl_names_for(list, subject)) {
            if (std::find(domains.begin(), domains.end(), name) == domains.end())
              domains.push_back(name);
            domain_jobs.emplace_back(std::move(name), &list);
          }
    }

    auto sweep = std::make_shared<Sweep>(ctx.executor);
    sweep->check = check_;
    sweep->servers = c_.servers;
    sweep->list_timeout = c_.list_timeout;
    sweep->deadline = ctx.deadline;
    sweep->fetch_txt = c_.fetch_txt;
    sweep->cache_ttl = c_.cache_ttl;
    for (const auto& srv : c_.servers.empty() ? ctx.resolver.options().servers : c_.servers)
      sweep->cache_scope += srv + ",";
    for (const auto& ip : addresses) {
      bool v6 = ip.is_v6() && !ip.to_v6().is_v4_mapped();
      if (v6 && !c_.check_ipv6) continue;
      for (const auto& list : c_.ip_lists)
        if (!v6 || list.ipv6)
          sweep->jobs.push_back({ip.to_string(), dnsbl_query_name(ip, list.zone), &list});
    }
    for (const auto& [name, list] : domain_jobs)
      sweep->jobs.push_back({name, rhsbl_query_name(name, list->zone), list});
    sweep->entries.resize(sweep->jobs.size());

    size_t workers = std::min(std::max<size_t>(c_.max_parallel, 1), sweep->jobs.size());
    sweep->running = workers;
    for (size_t i = 0; i < workers; ++i)
      asio::co_spawn(ctx.executor, sweep_worker(sweep, ctx.resolver),
                     [sweep](std::exception_ptr) {
                       if (--sweep->running == 0) {
                         sweep->finished = true;
                         sweep->done.cancel();
                       }
                     });
    if (workers > 0 && !sweep->finished) {
      sweep->done.expires_at(Clock::time_point::max());
      co_await sweep->done.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // A worker that died (it cannot, short of bad_alloc) leaves its entry as an error.
    for (size_t i = 0; i < sweep->jobs.size(); ++i)
      if (sweep->entries[i].list.empty()) {
        sweep->entries[i].target = sweep->jobs[i].target;
        sweep->entries[i].list = sweep->jobs[i].list->zone;
        sweep->entries[i].reason = "query not completed";
      }
    Result r = dnsbl_verdict(sweep->entries, c_, addresses, domains, resolve_error);
    r.facts["cache_hits"] = sweep->cache_hits;
    r.set_phase("resolve", resolve_seconds);
    r.duration_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.set_phase("lookup", r.duration_seconds - resolve_seconds);
    co_return r;
  }

 private:
  std::shared_ptr<const DnsblCheck> check_;
  const DnsblCheck& c_;
};

ProbePtr build_dnsbl(CheckSpec& spec, config::OptionMap& opts, config::Errors& errors) {
  size_t before = errors.size();
  DnsblCheck c;
  if (auto t = opts.get_string("target", errors)) spec.target = *t;
  if (spec.target.empty() && !spec.site_url.empty()) {
    if (auto url = net::parse_url(spec.site_url)) spec.target = url->host;
  }
  spec.target = host_of_target(spec.target);
  if (!spec.target.empty() && !net::parse_ip(spec.target)) {
    std::string name = net::canonical_dns_name(spec.target);
    net::DnsWriter w({});
    w.question(name, net::dns_type::kA);
    if (!w.ok() || name.empty())
      opts.error("target", "'" + spec.target + "' is neither an IP address nor a host name",
                 errors);
    spec.target = name;
  } else if (auto ip = net::parse_ip(spec.target)) {
    spec.target = ip->to_string();
  }
  c.target = spec.target;
  if (auto v = opts.get_string_list("extra_ips", errors)) {
    for (const auto& s : *v) {
      auto ip = net::parse_ip(s);
      if (!ip)
        opts.error("extra_ips", "'" + s + "' is not an IP address", errors);
      else
        c.extra_ips.push_back(*ip);
    }
  }
  if (auto v = opts.get_string_list("domains", errors)) {
    c.domains.emplace();
    for (const auto& d : *v) {
      if (net::parse_ip(d)) {
        opts.error("domains", "'" + d + "' is an IP address; domain lists take names", errors);
        continue;
      }
      c.domains->push_back(net::canonical_dns_name(d));
    }
  }
  // Naming any list replaces the whole built-in set: `--list bl.example` alone must not also
  // ask dbl.spamhaus.org (through a resolver that only serves bl.example it would be refused).
  auto ip_lists = read_dnsbl_lists(opts, "lists", false, errors);
  auto domain_lists = read_dnsbl_lists(opts, "domain_lists", true, errors);
  const bool named = ip_lists || domain_lists;
  if (ip_lists) c.ip_lists = *ip_lists;
  else if (!named) c.ip_lists = default_ip_lists();
  if (domain_lists) c.domain_lists = *domain_lists;
  else if (!named) c.domain_lists = default_domain_lists();
  c.servers = read_dns_servers(opts, "servers", errors);
  if (auto d = opts.get_duration("list_timeout", errors)) {
    if (d->count() <= 0)
      opts.error("list_timeout", "must be positive", errors);
    else
      c.list_timeout = *d;
  }
  if (auto v = opts.get_bool("fetch_txt", errors)) c.fetch_txt = *v;
  if (auto d = opts.get_duration("cache_ttl", errors))
    c.cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
  if (auto v = opts.get_bool("check_ipv6", errors)) c.check_ipv6 = *v;
  if (auto n = opts.get_int("max_parallel", errors, 1, 10'000))
    c.max_parallel = static_cast<size_t>(*n);
  if (c.target.empty() && c.extra_ips.empty() && (!c.domains || c.domains->empty()))
    opts.error("target", "a dnsbl check needs a host or IP (the site URL's host by default)",
               errors);
  if (errors.size() != before) return nullptr;
  return std::make_shared<DnsblProbe>(std::move(c));
}

}  // namespace

nlohmann::json DnsblEntry::to_json() const {
  nlohmann::json j = {{"target", target},
                      {"list", list},
                      {"result", to_string(result)},
                      {"codes", codes},
                      {"reason", reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason)}};
  if (!txt.empty()) j["txt"] = txt;
  if (result == Meaning::listed) j["severity"] = to_string(severity);
  return j;
}

std::vector<std::string> default_dnsbl_domains(const std::string& target) {
  if (target.empty() || net::parse_ip(target)) return {};
  if (target.find('.') == std::string::npos) return {};  // "localhost"
  return {target};
}

DnsblEntry classify_dnsbl_answer(const DnsblList& list, const std::string& target,
                                 const net::DnsAnswer& answer) {
  return classify_reply(list, target, read_list_reply(answer));
}

namespace {

ListReply read_list_reply(const net::DnsAnswer& answer) {
  ListReply r;
  auto outcome = net::read_dns_answer(answer);
  auto failed = [&](std::string why) {
    r.kind = ListReply::failed;
    r.error = std::move(why);
    return r;
  };
  switch (outcome.kind) {
    case net::DnsOutcome::timeout: return failed("no answer from the list within its timeout");
    case net::DnsOutcome::malformed: return failed(outcome.error);
    case net::DnsOutcome::failed:
      if (outcome.rcode == net::dns_rcode::kNxDomain) return r;  // negative, no TTL known
      return failed(outcome.rcode >= 0 ? net::dns_rcode_name(outcome.rcode) + " from the resolver"
                                       : outcome.error);
    case net::DnsOutcome::reply: break;
  }
  const auto& m = *outcome.message;
  if (m.rcode != net::dns_rcode::kNoError && m.rcode != net::dns_rcode::kNxDomain)
    return failed(net::dns_rcode_name(m.rcode) + " from the resolver");
  auto records = m.answers_of(net::dns_type::kA);
  if (m.rcode == net::dns_rcode::kNoError && !records.empty()) {
    r.kind = ListReply::answered;
    uint32_t ttl = records[0]->ttl;
    for (const auto* rec : records) {
      ttl = std::min(ttl, rec->ttl);
      // A hostile answer must not grow the facts unbounded.
      if (r.codes.size() < 32) r.codes.push_back(rec->address->to_v4());
    }
    r.ttl = std::chrono::seconds(ttl);
    return r;
  }
  // NXDOMAIN, or NOERROR without an A record: not listed (RFC 5782); the negative TTL is the
  // SOA's (RFC 2308: min(SOA TTL, SOA minimum)).
  for (const auto& rec : m.authority)
    if (rec.type == net::dns_type::kSoa) {
      r.ttl = std::chrono::seconds(std::min(rec.ttl, rec.soa.minimum));
      break;
    }
  return r;
}

DnsblEntry classify_reply(const DnsblList& list, const std::string& target,
                          const ListReply& reply) {
  DnsblEntry e;
  e.target = target;
  e.list = list.zone;
  e.severity = list.severity;
  if (reply.kind == ListReply::failed) {
    e.result = Meaning::error;
    e.reason = reply.error;
    return e;
  }
  if (reply.kind == ListReply::negative) {
    e.result = Meaning::not_listed;
    return e;
  }
  std::vector<std::string> listed_reasons, error_reasons;
  bool not_listed_only = true;
  for (const auto& code : reply.codes) {
    e.codes.push_back(code.to_string());
    auto v = classify_dnsbl_code(list, code);
    auto& bucket = v.meaning == Meaning::error ? error_reasons : listed_reasons;
    if (v.meaning != Meaning::not_listed) {
      not_listed_only = false;
      if (std::find(bucket.begin(), bucket.end(), v.reason) == bucket.end())
        bucket.push_back(v.reason);
    }
  }
  e.result = !error_reasons.empty() ? Meaning::error
             : not_listed_only      ? Meaning::not_listed
                                    : Meaning::listed;
  if (e.result != Meaning::not_listed)
    e.reason = join(e.result == Meaning::error ? error_reasons : listed_reasons, "; ");
  return e;
}

}  // namespace

std::string dnsbl_txt_reason(const net::DnsAnswer& answer) {
  auto outcome = net::read_dns_answer(answer);
  if (outcome.kind != net::DnsOutcome::reply) return {};
  std::string text;
  for (const auto* rec : outcome.message->answers_of(net::dns_type::kTxt)) {
    if (!text.empty()) text += " ";
    text += rec->value();
    if (text.size() > kMaxTxtChars) break;
  }
  // Printable ASCII only: the text is the list's, and it ends up in JSON, logs and tickets.
  if (text.size() > kMaxTxtChars) text = text.substr(0, kMaxTxtChars) + "...";
  text = net::dns_printable(text);
  if (text.size() > kMaxTxtChars + 3) text = text.substr(0, kMaxTxtChars) + "...";
  return text;
}

Result dnsbl_verdict(const std::vector<DnsblEntry>& entries, const DnsblCheck& check,
                     const std::vector<asio::ip::address>& addresses,
                     const std::vector<std::string>& domains, const std::string& resolve_error) {
  Result r;
  nlohmann::json facts_entries = nlohmann::json::array();
  std::map<std::string, std::pair<int, int>> per_list;  // zone -> (listed 0/1, errors)
  for (const auto& l : check.ip_lists) per_list[l.zone];
  for (const auto& l : check.domain_lists) per_list[l.zone];
  std::vector<const DnsblEntry*> listed, errors;
  Status listed_status = Status::ok;
  for (const auto& e : entries) {
    facts_entries.push_back(e.to_json());
    auto& [is_listed, error_count] = per_list[e.list];
    if (e.result == Meaning::listed) {
      is_listed = 1;
      listed.push_back(&e);
      listed_status = worst(listed_status, e.severity);
    } else if (e.result == Meaning::error) {
      ++error_count;
      errors.push_back(&e);
    }
  }
  for (const auto& [zone, v] : per_list) {
    r.add_sample("lookout_dnsbl_listed", v.first, {{"list", zone}});
    r.add_sample("lookout_dnsbl_errors", v.second, {{"list", zone}});
  }
  nlohmann::json addr = nlohmann::json::array();
  for (const auto& a : addresses) addr.push_back(a.to_string());
  r.facts["entries"] = std::move(facts_entries);
  r.facts["addresses"] = std::move(addr);
  r.facts["domains"] = domains;
  r.facts["listed_count"] = listed.size();
  r.facts["error_count"] = errors.size();
  if (!resolve_error.empty()) r.facts["resolve_error"] = resolve_error;

  auto describe = [](const std::vector<const DnsblEntry*>& v, bool with_reason,
                     std::string_view verb = " on ") {
    std::vector<std::string> parts;
    for (size_t i = 0; i < v.size() && i < kSummaryItems; ++i) {
      std::string p = v[i]->target + std::string(verb) + v[i]->list;
      if (with_reason && !v[i]->reason.empty()) p += " (" + v[i]->reason + ")";
      parts.push_back(std::move(p));
    }
    std::string s = join(parts, ", ");
    if (v.size() > kSummaryItems) s += " and " + std::to_string(v.size() - kSummaryItems) + " more";
    return s;
  };
  size_t lists = check.ip_lists.size() + check.domain_lists.size();
  std::string scope;
  if (!check.ip_lists.empty()) scope = plural(addresses.size(), "address", "addresses");
  if (!check.domain_lists.empty())
    scope += (scope.empty() ? "" : " and ") + plural(domains.size(), "domain", "domains");
  scope += " on " + plural(lists, "list", "lists");
  if (!listed.empty()) {
    r.status = listed_status;
    r.failure = listed_status == Status::ok ? FailureKind::none : FailureKind::assertion;
    // Which name is listed matters: one host of a legitimate domain, or the whole domain.
    r.summary = describe(listed, true, " is listed on ");
    if (!errors.empty()) r.summary += "; " + plural(errors.size(), "lookup", "lookups") + " failed";
    return r;
  }
  if (!resolve_error.empty() || !errors.empty()) {
    r.status = Status::unknown;
    r.failure = FailureKind::dns;
    std::string s = resolve_error;
    if (!errors.empty())
      s += std::string(s.empty() ? "" : "; ") + "could not check " + describe(errors, true);
    r.summary = s;
    return r;
  }
  if (entries.empty()) {
    r.status = Status::unknown;
    r.failure = FailureKind::none;
    r.summary = "nothing to check: no address or domain for the configured lists";
    return r;
  }
  r.status = Status::ok;
  r.summary = "not listed: " + scope + " (" + plural(entries.size(), "lookup", "lookups") + ")";
  return r;
}

ProbeKind dnsbl_probe_kind() {
  return ProbeKind{
      "dnsbl",
      "DNS blocklists: the site's addresses on IP lists, its domain on domain lists",
      &build_dnsbl,
      {
          {"--list", "lists", "IP blocklist zone (repeatable; default: the built-in lists)", true},
          {"--domain-list", "domain_lists",
           "domain blocklist zone (repeatable; default dbl.spamhaus.org)", true},
          {"--extra-ip", "extra_ips", "another IP to check, e.g. the mail server (repeatable)",
           true},
          {"--domain", "domains", "domain to check on domain lists (repeatable)", true},
          {"--server", "servers", "DNS resolver IP[:PORT] for list queries (repeatable)", true},
          {"--list-timeout", "list_timeout", "timeout per list query (default 3s)", false, false, true},
      },
  };
}

}  // namespace lookout::probes
