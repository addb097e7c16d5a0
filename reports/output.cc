#include "reports/output.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "reports/report.h"

namespace lookout::reports {

std::string render_format(const nlohmann::json& report, const std::string& format,
                          const config::ReportSettings& settings) {
  if (format == "json")
    return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (format == "md") return render_markdown(report);
  if (format != "html")
    throw std::invalid_argument("unknown format '" + format + "' (json, html or md)");
  std::string logo, type;
  if (!settings.logo_file.empty()) {
    std::ifstream in(settings.logo_file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the logo file " + settings.logo_file);
    std::ostringstream ss;
    ss << in.rdbuf();
    logo = ss.str();
    if (logo.size() > 1024 * 1024)
      throw std::runtime_error("the logo file " + settings.logo_file + " is larger than 1 MiB");
    type = logo_media_type(settings.logo_file);
  }
  return render_html(report, logo, type);
}

std::string find_chromium() {
  if (const char* env = std::getenv("LOOKOUT_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (const char* name : {"chromium", "chromium-browser"}) {
    std::stringstream ss(dirs);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
      auto p = std::filesystem::path(dir.empty() ? "." : dir) / name;
      if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
  }
  return "";
}

std::string run_chromium(const std::string& html_file, const std::vector<std::string>& args,
                         std::chrono::seconds timeout) {
  std::string chromium = find_chromium();
  if (chromium.empty())
    return "headless Chromium is not installed (Debian package `chromium`; or set LOOKOUT_CHROMIUM)";
  // A profile of its own, so a running browser of the user's is never touched.
  std::string profile = (std::filesystem::temp_directory_path() /
                         ("lookout-chromium-" + std::to_string(::getpid()) + "-" +
                          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count())))
                            .string();
  std::vector<std::string> argv_s = {chromium, "--headless", "--disable-gpu", "--no-sandbox",
                                     "--no-first-run", "--no-default-browser-check",
                                     "--disable-extensions", "--hide-scrollbars",
                                     "--user-data-dir=" + profile};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  argv_s.push_back("file://" + std::filesystem::absolute(html_file).string());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  std::string error;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) {
      error = "waitpid failed";
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      error = "Chromium did not finish within " + std::to_string(timeout.count()) + " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Chromium may leave helper processes of its group behind: end them too.
  ::kill(-pid, SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(profile, ec);
  if (!error.empty()) return error;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "Chromium failed (" + (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                                    : std::string("killed by a signal")) + ")";
  return "";
}

std::string html_to_pdf(const std::string& html_file, const std::string& pdf_file) {
  std::error_code ec;
  std::filesystem::remove(pdf_file, ec);
  std::string err = run_chromium(html_file, {"--no-pdf-header-footer", "--print-to-pdf-no-header",
                                             "--print-to-pdf=" + std::filesystem::absolute(pdf_file).string()});
  if (!err.empty()) return err;
  if (!std::filesystem::exists(pdf_file) || std::filesystem::file_size(pdf_file, ec) == 0)
    return "Chromium wrote no PDF to " + pdf_file;
  return "";
}

}  // namespace lookout::reports
