#include "agent/cli_ops.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

#include <yaml-cpp/yaml.h>

#include "agent/api.h"
#include "alerting/oncall.h"
#include "config/loader.h"
#include "config/maintenance.h"
#include "probes/probe_registry.h"
#include "net/http_client.h"
#include "net/resolver.h"
#include "net/tls_context.h"

namespace lookout::agent {
namespace {

namespace asio = boost::asio;

std::string encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "-";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// A left-aligned table; the last column is not padded.
void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t c = 0; c < r.size(); ++c) {
      out += r[c];
      if (c + 1 < r.size()) out += std::string(width[c] - r[c].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

// Times as "2026-12-04 09:30Z" in tables (the JSON keeps full RFC 3339).
std::string short_time(const std::string& t) {
  if (t.size() < 16 || t == "-") return t;
  return t.substr(0, 10) + " " + t.substr(11, 5) + "Z";
}

struct Options {
  std::string config_file, url;
  double timeout_seconds = 10;
  bool json = false;
  // incidents / tickets
  std::string state, client;
  // ack
  std::string incident, by, note;
  // maintenance
  std::string site, check, from, to, weekly, monthly, time, reason, id;
  // oncall
  std::string at;
};

class Ops final : public OpsCommands {
 public:
  explicit Ops(CLI::App& app) {
    auto common = [this](CLI::App* c) {
      c->add_option("-c,--config", o_.config_file, "config file: agent.listen and agent.api_token_file");
      c->add_option("--url", o_.url, "the agent's API base, e.g. http://127.0.0.1:9464");
      c->add_option("--timeout", o_.timeout_seconds, "seconds to wait for the agent")->capture_default_str();
      c->add_flag("--json", o_.json, "print the API's JSON");
    };
    incidents_ = app.add_subcommand("incidents", "list incidents of the running agent");
    common(incidents_);
    incidents_->add_option("--state", o_.state, "open or resolved")
        ->check(CLI::IsMember({"open", "resolved"}));
    tickets_ = app.add_subcommand("tickets", "list built-in tickets of the running agent");
    common(tickets_);
    tickets_->add_option("--client", o_.client, "only this client's tickets");
    ack_ = app.add_subcommand("ack", "acknowledge an open incident (needs the API token)");
    common(ack_);
    ack_->add_option("incident", o_.incident, "incident id, e.g. acme/www/http#3")->required();
    ack_->add_option("--by", o_.by, "who acknowledges (default: $USER)");
    ack_->add_option("--note", o_.note, "a note for the timeline");
    maintenance_ = app.add_subcommand("maintenance", "list, add or delete maintenance windows");
    maintenance_->require_subcommand(1);
    m_list_ = maintenance_->add_subcommand("list", "every window, config and API");
    common(m_list_);
    m_list_->add_option("--client", o_.client, "only this client's windows");
    m_add_ = maintenance_->add_subcommand("add", "create a window through the API (needs the token)");
    common(m_add_);
    m_add_->add_option("--client", o_.client, "client id")->required();
    m_add_->add_option("--site", o_.site, "site id (default: every site of the client)");
    m_add_->add_option("--check", o_.check, "check id within --site (default: every check)");
    m_add_->add_option("--from", o_.from, "one-off start: local '2026-12-05 22:00' or RFC 3339");
    m_add_->add_option("--to", o_.to, "one-off end");
    m_add_->add_option("--weekly", o_.weekly, "weekly days, e.g. sat-sun or mon,thu");
    m_add_->add_option("--monthly", o_.monthly, "monthly day, e.g. 'first wednesday'");
    m_add_->add_option("--time", o_.time, "recurring time range, e.g. 22:00-23:00");
    m_add_->add_option("--reason", o_.reason, "why (shown in the API)");
    m_add_->add_option("--by", o_.by, "who creates it (default: $USER)");
    m_delete_ = maintenance_->add_subcommand("delete", "delete an API window (needs the token)");
    common(m_delete_);
    m_delete_->add_option("id", o_.id, "window id, e.g. mw-3")->required();
    oncall_ = app.add_subcommand("oncall", "who is on call in each rota of the config, who is next, when the hand-over is");
    oncall_->add_option("-c,--config", o_.config_file, "config file (alerting.oncall)")->required();
    oncall_->add_option("--at", o_.at, "instead of now: RFC 3339 ('2026-12-07T09:00:00+01:00') or 'YYYY-MM-DD HH:MM' UTC");
    oncall_->add_flag("--json", o_.json, "print JSON");
  }

  std::optional<int> run() override {
    if (*incidents_) return incidents();
    if (*tickets_) return tickets();
    if (*ack_) return ack();
    if (*m_list_) return list_windows();
    if (*m_add_) return add_window();
    if (*m_delete_) return delete_window();
    if (*oncall_) return oncall();
    return std::nullopt;
  }

 private:
  struct Answer {
    bool reached = false;
    unsigned status = 0;
    std::string body;
    std::string error;
  };

  // The base URL and the token, from the flags, the environment and the config.
  bool setup(std::string& error) {
    if (const char* env = std::getenv("LOOKOUT_API_TOKEN"); env && *env) token_ = env;
    std::string listen = config::AgentSettings{}.listen;
    if (!o_.config_file.empty()) {
      // Only agent.listen and agent.api_token_file are needed: the whole config is not loaded
      // (its sink credentials, for one, need not be set in the operator's shell).
      YAML::Node agent;
      try {
        agent = YAML::LoadFile(o_.config_file)["agent"];
      } catch (const std::exception& e) {
        error = "cannot read " + o_.config_file + ": " + e.what() + "\n";
        return false;
      }
      if (agent.IsMap() && agent["listen"].IsScalar()) listen = agent["listen"].Scalar();
      if (token_.empty() && agent.IsMap() && agent["api_token_file"].IsScalar()) {
        const std::string file = agent["api_token_file"].Scalar();
        std::ifstream in(file, std::ios::binary);
        if (!in) {
          error = "cannot read agent.api_token_file '" + file + "' of " + o_.config_file + "\n";
          return false;
        }
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        token_ = text;
      }
    }
    base_ = o_.url.empty() ? "http://" + listen : o_.url;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    return true;
  }

  Answer call(const std::string& method, const std::string& path, const std::string& body = "") {
    Answer a;
    std::string why;
    auto url = net::parse_url(base_ + path, &why);
    if (!url) {
      a.error = "bad agent URL " + base_ + ": " + why;
      return a;
    }
    asio::io_context io;
    net::Resolver resolver(io.get_executor(), {});
    net::TlsContexts tls;
    auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o_.timeout_seconds * 1000));
    net::Context ctx{io.get_executor(), resolver, tls, std::chrono::steady_clock::now() + timeout, timeout};
    net::HttpRequest req;
    req.method = method;
    req.url = *url;
    req.body = body;
    req.body_limit = 64 << 20;
    req.user_agent = "lookout-cli";
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    if (!token_.empty()) req.headers.emplace_back("Authorization", "Bearer " + token_);
    net::HttpResponse res;
    asio::co_spawn(io, net::http_fetch(ctx, req), [&](std::exception_ptr e, net::HttpResponse r) {
      if (!e) res = std::move(r);
      else res.error = "internal error";
    });
    io.run();
    if (res.status == 0) {
      a.error = "cannot reach the agent at " + base_ + ": " +
                (res.error.empty() ? std::string("no answer") : res.error) +
                " (is `lookout run` up? give --url or -c CONFIG)";
      return a;
    }
    a.reached = true;
    a.status = res.status;
    a.body = std::move(res.body);
    return a;
  }

  // The answer as JSON, or an exit code after printing the problem.
  std::optional<int> check(const Answer& a, nlohmann::json& out) {
    if (!a.reached) {
      std::cerr << "lookout: " << a.error << "\n";
      return 3;
    }
    out = nlohmann::json::parse(a.body, nullptr, false);
    if (a.status >= 300) {
      std::string message = out.is_object() && out.contains("error") ? text(out, "error") : a.body;
      std::cerr << "lookout: the agent answered " << a.status << ": " << message << "\n";
      return 1;
    }
    if (out.is_discarded()) {
      std::cerr << "lookout: the agent's answer is not JSON\n";
      return 1;
    }
    return std::nullopt;
  }

  int print_json(const nlohmann::json& j) {
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }

  template <class Fn>
  int request(const std::string& method, const std::string& path, const std::string& body, Fn table) {
    std::string error;
    if (!setup(error)) {
      std::cerr << "lookout: " << error;
      return 2;
    }
    nlohmann::json j;
    if (auto rc = check(call(method, path, body), j)) return *rc;
    if (o_.json) return print_json(j);
    table(j);
    return 0;
  }

  std::string who() const {
    if (!o_.by.empty()) return o_.by;
    const char* user = std::getenv("USER");
    return user ? user : "";
  }

  int incidents() {
    std::string path = "/api/v1/incidents" + (o_.state.empty() ? "" : "?state=" + o_.state);
    return request("GET", path, "", [](const nlohmann::json& j) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& i : j)
        rows.push_back({text(i, "id"), text(i, "state"), text(i, "priority"), text(i, "severity"),
                        short_time(text(i, "opened")),
                        i.value("maintenance", false) ? "maintenance" : text(i, "acknowledged_by"),
                        text(i, "ticket"), text(i, "summary")});
      print_table({"ID", "STATE", "PRI", "SEVERITY", "OPENED", "ACK", "TICKET", "SUMMARY"}, rows);
      if (rows.empty()) std::cout << "(no incidents)\n";
    });
  }

  int tickets() {
    std::string path = "/api/v1/tickets" + (o_.client.empty() ? "" : "?client=" + encode(o_.client));
    return request("GET", path, "", [](const nlohmann::json& j) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : j)
        rows.push_back({text(t, "ref"), text(t, "status"), text(t, "priority"), text(t, "client"),
                        text(t, "site") + "/" + text(t, "check"), short_time(text(t, "response_due")),
                        short_time(text(t, "resolution_due")), text(t, "subject")});
      print_table({"REF", "STATUS", "PRI", "CLIENT", "SITE/CHECK", "RESPONSE DUE", "RESOLUTION DUE", "SUBJECT"}, rows);
      if (rows.empty()) std::cout << "(no tickets)\n";
    });
  }

  int ack() {
    nlohmann::json body = {{"by", who()}};
    if (!o_.note.empty()) body["note"] = o_.note;
    return request("POST", "/api/v1/incidents/" + encode(o_.incident) + "/ack", body.dump(),
                   [](const nlohmann::json& j) {
                     std::cout << text(j, "message") << "\n";
                     if (j.contains("incident") && j["incident"].is_object())
                       std::cout << "ticket: " << text(j["incident"], "ticket") << "\n";
                   });
  }

  int list_windows() {
    std::string path = "/api/v1/maintenance" + (o_.client.empty() ? "" : "?client=" + encode(o_.client));
    return request("GET", path, "", [](const nlohmann::json& j) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& w : j) {
        std::string when = text(w, "kind") == "once"
                               ? short_time(text(w, "from")) + " - " + short_time(text(w, "to"))
                               : text(w, "kind") + " " + text(w, text(w, "kind").c_str()) + " " + text(w, "time");
        std::string next = w.contains("next") && w["next"].is_object() ? short_time(text(w["next"], "from")) : "-";
        rows.push_back({text(w, "id"), text(w, "source"), text(w, "scope"), when,
                        w.value("active", false) ? "yes" : "no", next, text(w, "reason")});
      }
      print_table({"ID", "SOURCE", "SCOPE", "WHEN (client's zone for recurring)", "ACTIVE", "NEXT", "REASON"}, rows);
      if (rows.empty()) std::cout << "(no maintenance windows)\n";
    });
  }

  int add_window() {
    nlohmann::json body = {{"client", o_.client}, {"by", who()}};
    for (auto [key, value] : {std::pair{"site", &o_.site}, {"check", &o_.check}, {"from", &o_.from},
                              {"to", &o_.to}, {"weekly", &o_.weekly}, {"monthly", &o_.monthly},
                              {"time", &o_.time}, {"reason", &o_.reason}})
      if (!value->empty()) body[key] = *value;
    return request("POST", "/api/v1/maintenance", body.dump(), [](const nlohmann::json& j) {
      std::cout << text(j, "message") << "\n";
    });
  }

  int delete_window() {
    return request("DELETE", "/api/v1/maintenance/" + encode(o_.id), "", [](const nlohmann::json& j) {
      std::cout << text(j, "message") << "\n";
    });
  }

  // Reads the config itself (no agent needed): the rotas are pure functions of it and a time.
  int oncall() {
    auto at = std::chrono::system_clock::now();
    if (!o_.at.empty()) {
      auto t = config::parse_window_time(o_.at, "UTC");
      if (!t) {
        std::cerr << "lookout: --at: bad time '" << o_.at << "' (RFC 3339, or 'YYYY-MM-DD HH:MM' UTC)\n";
        return 2;
      }
      at = *t;
    }
    auto loaded = config::load_config_file(o_.config_file, probes::check_types());
    if (!loaded.errors.empty() || !loaded.config) {
      std::cerr << loaded.errors.to_string();
      return 2;
    }
    const auto& oncall = loaded.config->alerting.oncall;
    nlohmann::json j = alerting::oncall_json(oncall, at);
    if (o_.json) return print_json(j);
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : j) {
      const auto& now = r["now"];
      const auto& next = r["next"];
      std::string who = now["member"].is_null() ? "(nobody)" : text(now, "name") + (now.value("override", false) ? " (override)" : "");
      std::string then = next.is_null() ? "-" : next["member"].is_null() ? "(nobody)" : text(next, "name");
      if (!next.is_null() && next.value("override", false)) then += " (override)";
      rows.push_back({text(r, "rota"), who, now["until"].is_null() ? "-" : text(now, "until_local"), then,
                      text(r, "handover_local"), text(r, "time_zone")});
    }
    print_table({"ROTA", "ON CALL NOW", "UNTIL", "NEXT", "HAND-OVER", "ZONE"}, rows);
    if (rows.empty()) std::cout << "(no rotas in alerting.oncall)\n";
    return 0;
  }

  Options o_;
  std::string base_, token_;
  CLI::App *incidents_, *tickets_, *ack_, *maintenance_, *m_list_, *m_add_, *m_delete_, *oncall_;
};

}  // namespace

std::unique_ptr<OpsCommands> add_ops_commands(CLI::App& app) { return std::make_unique<Ops>(app); }

}  // namespace lookout::agent
