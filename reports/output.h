// reports::output: the report in a requested format, and PDF/PNG through headless Chromium
// (Debian `chromium`: `--headless --print-to-pdf`), the same HTML printed on A4.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace lookout::reports {

/// "json", "html" or "md" as text (the logo file of `settings` is inlined into the HTML).
/// Throws std::invalid_argument for another format, std::runtime_error for an unreadable logo.
std::string render_format(const nlohmann::json& report, const std::string& format,
                          const config::ReportSettings& settings);

/// The Chromium binary: $LOOKOUT_CHROMIUM, else `chromium` or `chromium-browser` on PATH;
/// "" when none is found.
std::string find_chromium();

/// Runs headless Chromium on `html_file` with `args` (e.g. --print-to-pdf=OUT), killing it
/// after `timeout`. Returns "" on success, else why it failed.
std::string run_chromium(const std::string& html_file, const std::vector<std::string>& args,
                         std::chrono::seconds timeout = std::chrono::seconds(90));

/// Prints `html_file` to `pdf_file` (A4, no browser header/footer). "" on success.
std::string html_to_pdf(const std::string& html_file, const std::string& pdf_file);

}  // namespace lookout::reports
