// The typed config model: agent settings, clients (with business hours), sites and checks.
// Built by config/loader.h; immutable once loaded (a reload builds a new one).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/check_spec.h"
#include "config/maintenance.h"
#include "net/resolver_options.h"

namespace lookout::probes {
class Probe;  // built by the probes layer (config/check_types.h); config only holds it
}

namespace lookout::config {

struct AgentSettings {
  std::string listen = "127.0.0.1:9464";  // admin server: /metrics, /healthz, /api/v1/...
  std::string state_file = "lookout-state.db";
  int workers = 0;                // 0 = one per core
  int max_in_flight = 2000;       // global limit of running checks
  int per_host_limit = 8;         // running checks against one host
  int retention_days = 400;
  std::chrono::milliseconds shutdown_grace{10'000};
  net::ResolverOptions resolver;
  /// `api_token_file`: the bearer token API mutations need (read at load, trailing newline
  /// dropped). The environment variable LOOKOUT_API_TOKEN, when set, takes precedence. Neither:
  /// API mutations are disabled.
  std::string api_token_file;
  std::string api_token;
};

/// Opening hours starting on one weekday: minutes since local midnight, [start, end).
/// end_minute < start_minute: an overnight range ending the next day (22:00-06:00 = {1320, 360});
/// the whole day is {0, 1440}. start == end never occurs (a config error).
struct DayHours {
  int start_minute = 0;
  int end_minute = 0;
};

struct BusinessHours {
  std::string timezone = "UTC";           // IANA name, validated against tzdata
  std::vector<DayHours> week[7];          // index 0 = Monday
  std::vector<std::string> holidays;      // YYYY-MM-DD, local dates
};

/// Response and resolution targets per priority, in business time.
struct SlaTarget {
  std::chrono::milliseconds response{0};
  std::chrono::milliseconds resolution{0};
};

struct Contract {
  std::string tier;                       // free text: "gold", "basic", ...
  std::map<std::string, SlaTarget> sla;   // "P1".."P3"
  /// `sla.<P>.updates`: a status update (incident.reminder) every this much business time while
  /// the ticket is open; a priority not listed takes the default (P1 1h, P2 2h, P3 none).
  std::map<std::string, std::chrono::milliseconds> updates;
  /// `coverage: 24x7`: SLA clocks run around the clock and paging ignores business hours.
  bool coverage_24x7 = false;
  /// `updates_until: ack`: status updates stop once the incident is acknowledged (default
  /// `resolved`: they go on until it resolves).
  bool updates_until_ack = false;
  /// `uptime_target`: the monthly availability promised, in percent (99.9); unset = none.
  std::optional<double> uptime_target;
  /// `notify_client: {sink, to}`: when an incident of the client is raised (its ticket made),
  /// one acknowledgement e-mail to the client's addresses through that `email` sink.
  struct NotifyClient {
    std::string sink;
    std::vector<std::string> to;
  };
  std::optional<NotifyClient> notify_client;
};

/// The monthly report's branding (root key `report`).
struct ReportSettings {
  std::string agency_name;  // on the first page; empty = none
  std::string logo_file;    // PNG, JPEG, GIF or SVG, resolved against the config file's folder
};

/// One notification target (alerting.sinks[]). Credentials come only from *_env / *_file and
/// are resolved at load (a missing variable or unreadable file is a config error).
struct SinkConfig {
  std::string id;
  /// "webhook", "pagerduty", "zendesk", "freshdesk", "alertmanager", "email" (the built-in ticket store
  /// is the implicit sink "builtin")
  std::string type;
  std::string url;     // pagerduty: default https://events.pagerduty.com/v2/enqueue
  std::string secret;  // webhook: resolved from secret_env / secret_file; empty = unsigned
  std::string secret_env, secret_file;
  /// The credential of a desk or pager, resolved at load: pagerduty routing_key_env|_file,
  /// zendesk token_env|_file, freshdesk api_key_env|_file, email password_env|_file.
  std::string credential;
  std::string credential_source;  // the key it came from ("token_env"), for messages
  std::string email;     // zendesk: the agent of the API token; freshdesk: the requester
  bool public_comments = false;  // zendesk/freshdesk `comments: public|internal`
  std::string ticket_url;        // pagerduty: link template for the ticket, "{ref}" replaced
  int rate_limit = 0;            // requests per minute this sink sends at most (0 = no limit)
  std::chrono::milliseconds resend{60'000};  // alertmanager: re-post period while open
  /// freshdesk: how late its search may show a new ticket; a create whose answer was lost is
  /// searched for again this long after it before another is made ("a few minutes")
  std::chrono::milliseconds search_lag{300'000};
  // email: `url` smtp://host[:587] (STARTTLS required) or smtps://host[:465]
  std::string from;
  std::vector<std::string> to;
  std::string username;  // SMTP AUTH user; the password is `credential` (password_env|_file)
  std::string ca_file;   // email: CA bundle for the server's certificate (empty = system store)
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10'000};  // per delivery attempt
  int max_in_flight = 4;                      // concurrent deliveries to this sink

  bool operator==(const SinkConfig&) const = default;  // a reload rebuilds a sink that changed
};

/// One priority rule (alerting.priorities[]): every condition given must match; a list
/// matches when any element does. First matching rule wins.
struct PriorityRule {
  std::string priority;  // "P1".."P3"
  std::vector<std::string> types, checks, tags, statuses;
};

/// Per-client routing and policy; unset fields inherit from alerting.defaults, then the
/// built-in defaults (tickets [builtin], pages [], page priorities [P1]).
struct ClientAlerting {
  std::optional<std::vector<std::string>> tickets;
  std::optional<std::vector<std::string>> pages;
  std::optional<std::vector<PriorityRule>> priorities;
  std::optional<std::vector<std::string>> page_priorities;
};

/// One canary of the self-connectivity guard (alerting.canary[]): something expected to be up,
/// probed by the agent for itself (not a client's check). `http(s)://` URLs get a GET (any
/// HTTP answer counts as up: the network works), `tcp://host:port` (or a bare `host:port`) a
/// TCP connect.
struct CanaryConfig {
  std::string url;  // as written, normalised: "tcp://host:port" for a bare host:port
  std::chrono::milliseconds timeout{5'000};
};

/// The built-in on-call rota (alerting.oncall, docs/alerting.md "On-call rota and escalation").
/// A contact: where a member is paged, through one of alerting.sinks (email: the address the
/// mail goes to; webhook: the URL posted to).
struct OncallContact {
  std::string sink;
  std::string address;
};

struct OncallMember {
  std::string id;
  std::string name;
  std::vector<OncallContact> contacts;
};

/// Someone covers a rota for a period [from, to) (PagerDuty's override layer: it takes
/// precedence over the rotation; of overlapping overrides the later listed wins).
struct OncallOverride {
  std::string member;
  std::chrono::system_clock::time_point from, to;
};

/// A weekly rotation in its own zone: the turn passes to the next member of `members` every
/// week at the hand-over weekday and time (local wall time, so 09:00 stays 09:00 across DST).
/// The first turn (members[0]) starts at the first hand-over on or after `start_day`.
struct Rota {
  std::string id;
  std::string time_zone = "UTC";
  int handover_weekday = 0;      // 0 = Monday
  int handover_minute = 9 * 60;  // minutes after local midnight
  int64_t start_day = 0;         // the local date `start`, in days since 1970-01-01
  std::vector<std::string> members;
  std::vector<OncallOverride> overrides;
};

/// One escalation step: `after` the page began, the target is paged: "rota:<id>" (whoever is
/// on call in it then) or "member:<id>".
struct EscalationStep {
  std::chrono::milliseconds after{0};
  std::string target;
};

/// The escalation policy of the built-in rota: steps in `after` order; after the last one the
/// policy starts over `repeat` more times (PagerDuty's num_loops), each loop `repeat_after`
/// after the previous loop began. Acknowledgement stops it.
struct Escalation {
  std::vector<EscalationStep> steps;
  int repeat = 0;
  std::chrono::milliseconds repeat_after{0};
};

struct OncallSettings {
  std::vector<OncallMember> members;
  std::vector<Rota> rotas;
  std::optional<Escalation> escalation;  // set: clients may page `oncall`
  std::string ticket_url;                // link to a ticket in a page, "{ref}" replaced
};

struct AlertingSettings {
  std::vector<SinkConfig> sinks;
  ClientAlerting defaults;
  /// Self-connectivity guard: canaries, and the share of failing checks that means "our own
  /// network is down" (more than storm_ratio of all checks, once there are storm_min_checks).
  std::vector<CanaryConfig> canary;
  std::chrono::milliseconds canary_interval{30'000};
  double storm_ratio = 0.5;
  int storm_min_checks = 10;
  /// The agency's own sinks: its incidents (monitoring connectivity lost) go there.
  std::vector<std::string> agency;
  int flap_changes = 6;                                // more state changes than this ...
  std::chrono::milliseconds flap_window{3'600'000};    // ... within this window is flapping
  std::chrono::milliseconds reopen_window{86'400'000}; // a re-failure within this reopens the ticket
  OncallSettings oncall;  // the built-in on-call rota; pages: [oncall] pages through it
};

/// The release catalogue (config/catalog) and its periodic refresh (`catalog:` at the root).
struct CatalogSettings {
  /// How often the agent refreshes the catalogue from the feeds; nullopt = `off`.
  std::optional<std::chrono::milliseconds> refresh = std::chrono::hours(24);
  /// Where from instead of the official feeds: a directory or an http(s) URL holding the files
  /// `lookout catalog update --from-dir` reads. Empty = the official feeds.
  std::string mirror;
  /// A patch verdict made on catalogue data older than this says so in its summary.
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 7);
};

struct Check {
  CheckSpec spec;
  std::shared_ptr<probes::Probe> probe;
  uint64_t options_fingerprint = 0;  // OptionMap::fingerprint(): a reload tells changed checks
  std::vector<std::string> tags;  // the site's tags
};

struct Site {
  std::string id;
  std::string name;
  std::string url;
  std::vector<std::string> tags;
  /// `depends_on`: sites ("client/site", normalised from a bare site id of the same client)
  /// whose http check being critical holds back this site's incidents (docs/alerting.md).
  std::vector<std::string> depends_on;
};

struct Client {
  std::string id;
  std::string name;
  BusinessHours hours;
  Contract contract;
  ClientAlerting alerting;
  std::vector<Site> sites;
};

struct Config {
  std::string file;
  AgentSettings agent;
  AlertingSettings alerting;
  CatalogSettings catalog;
  ReportSettings report;
  std::vector<Client> clients;
  std::vector<std::shared_ptr<const Check>> checks;  // every check of every site, flattened
  /// Every `maintenance:` window of every client, site and check (one-off times resolved in
  /// the client's zone), in config order; ids "config:<client>:<n>".
  std::vector<MaintenanceWindow> maintenance;
};

}  // namespace lookout::config
