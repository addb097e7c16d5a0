#include "agent/cli_report.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "config/clock.h"
#include "config/loader.h"
#include "probes/probe_registry.h"
#include "reports/output.h"
#include "reports/report.h"
#include "store/sqlite_store.h"

namespace lookout::agent {
namespace {

namespace fs = std::filesystem;

struct ReportArgs {
  std::string config_file;
  std::string client;
  std::string month;
  std::string format = "html";
  std::string output;
  std::string out_dir;
  bool all = false;
};

[[noreturn]] void fail(int code, const std::string& message) {
  std::cerr << "lookout report: " << message << "\n";
  throw CLI::RuntimeError(code);
}

std::string extension(const std::string& format) { return format == "md" ? "md" : format; }

// Writes one report in `format` to `path` ("" = stdout; not for pdf). Returns "" or why not.
std::string write_report(const nlohmann::json& report, const std::string& format,
                         const config::ReportSettings& settings, const std::string& path) {
  try {
    if (format == "pdf") {
      fs::path html = fs::path(path).replace_extension(".print.html");
      {
        std::ofstream out(html, std::ios::binary);
        out << reports::render_format(report, "html", settings);
        if (!out) return "cannot write " + html.string();
      }
      std::string err = reports::html_to_pdf(html.string(), path);
      std::error_code ec;
      fs::remove(html, ec);
      return err;
    }
    std::string text = reports::render_format(report, format, settings);
    if (path.empty()) {
      std::cout << text;
      return std::cout ? "" : "cannot write to stdout";
    }
    std::string tmp = path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary);
      out << text;
      if (!out) return "cannot write " + tmp;
    }
    fs::rename(tmp, path);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

void run(const ReportArgs& a) {
  if (a.format != "html" && a.format != "pdf" && a.format != "md" && a.format != "json")
    fail(2, "--format: unknown format '" + a.format + "' (html, pdf, md or json)");
  if (!reports::parse_month(a.month))
    fail(2, "--month: bad month '" + a.month + "' (expected YYYY-MM, e.g. 2026-11)");
  if (a.all == !a.client.empty()) fail(2, "give either --client ID or --all");
  if (a.all && a.out_dir.empty()) fail(2, "--all needs --out-dir DIR");
  if (a.all && !a.output.empty()) fail(2, "-o is for one client; --all writes into --out-dir");
  if (!a.all && a.format == "pdf" && a.output.empty()) fail(2, "--format pdf needs -o FILE");

  auto loaded = config::load_config_file(a.config_file, probes::check_types());
  if (!loaded.config) {
    std::cerr << loaded.errors.to_string();
    fail(2, std::to_string(loaded.errors.size()) + " problem(s) in " + a.config_file);
  }
  const config::Config& cfg = *loaded.config;
  std::unique_ptr<store::SqliteStore> store;
  try {
    store::StoreOptions so;
    so.path = cfg.agent.state_file;
    so.read_only = true;  // the agent may be running: read beside it, never take its lock
    store = std::make_unique<store::SqliteStore>(so);
  } catch (const std::exception& e) {
    fail(2, e.what());
  }
  const auto now = SystemClock::instance().now();
  reports::ReportSource source(*store);

  if (!a.all) {
    nlohmann::json report;
    try {
      report = reports::build_report(
          cfg, source,
          {a.client, a.month, now, reports::planned_maintenance(cfg, *store, a.client, a.month)});
    } catch (const reports::ReportError& e) {
      fail(2, e.what());
    }
    if (auto err = write_report(report, a.format, cfg.report, a.output); !err.empty()) fail(1, err);
    if (!a.output.empty()) std::cerr << "wrote " << a.output << "\n";
    return;
  }

  // A month that has not started anywhere yet (the earliest zone is UTC+14) is a usage error
  // for --all too; a month started in some zones only is reported per client.
  if (reports::month_span(*reports::parse_month(a.month), "Etc/GMT-14").start > now)
    fail(2, "month " + a.month + " has not started yet");
  std::error_code ec;
  fs::create_directories(a.out_dir, ec);
  if (!fs::is_directory(a.out_dir)) fail(2, "--out-dir: cannot create " + a.out_dir);
  int written = 0, failed = 0;
  auto started = std::chrono::steady_clock::now();
  size_t n = cfg.clients.size(), i = 0;
  for (const auto& c : cfg.clients) {
    ++i;
    auto t0 = std::chrono::steady_clock::now();
    std::string path = (fs::path(a.out_dir) / (c.id + "-" + a.month + "." + extension(a.format))).string();
    std::string err;
    try {
      auto report = reports::build_report(
          cfg, source, {c.id, a.month, now, reports::planned_maintenance(cfg, *store, c.id, a.month)});
      err = write_report(report, a.format, cfg.report, path);
    } catch (const reports::ReportError& e) {
      err = e.what();  // e.g. the month has not started yet in this client's zone
    } catch (const std::exception& e) {
      err = e.what();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char took[32];
    std::snprintf(took, sizeof took, "%.2f s", secs);
    if (err.empty()) {
      ++written;
      std::cerr << "[" << i << "/" << n << "] " << c.id << ": " << path << " (" << took << ")\n";
    } else {
      ++failed;
      std::cerr << "[" << i << "/" << n << "] " << c.id << ": FAILED: " << err << "\n";
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.2f s", total);
  std::cerr << "reports for " << a.month << ": " << written << " written, " << failed
            << " failed, in " << took << " (" << a.out_dir << ")\n";
  if (failed) throw CLI::RuntimeError(1);
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "write the monthly maintenance report of a client");
  cmd->add_option("-c,--config", args->config_file, "config file (YAML or JSON)")->required();
  cmd->add_option("--client", args->client, "client id");
  cmd->add_flag("--all", args->all, "every client, one file each in --out-dir");
  cmd->add_option("--month", args->month, "YYYY-MM, in each client's time zone")->required();
  cmd->add_option("--format", args->format, "html, pdf, md or json")->capture_default_str();
  cmd->add_option("-o,--output", args->output, "output file (default: stdout; required for pdf)");
  cmd->add_option("--out-dir", args->out_dir, "folder for --all");
  cmd->callback([args] {
    run(*args);
    throw CLI::Success();
  });
}

}  // namespace lookout::agent
