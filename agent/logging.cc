#include "agent/logging.h"

#include <chrono>
#include <memory>

#include <date/date.h>
#include <nlohmann/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace lookout::agent {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto t = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
    std::string line = format_json_log_line(
        date::format("%FT%TZ", t),
        std::string(spdlog::level::to_string_view(msg.level).data(),
                    spdlog::level::to_string_view(msg.level).size()),
        std::string(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::string format_json_log_line(const std::string& time_rfc3339, const std::string& level,
                                 const std::string& message) {
  nlohmann::json j{{"time", time_rfc3339}, {"level", level}, {"msg", message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::optional<std::string> setup_logging(const std::string& level, const std::string& format) {
  auto lvl = spdlog::level::from_str(level);
  // from_str maps anything unknown to "off": only accept what was really spelled.
  if (lvl == spdlog::level::off && level != "off")
    return "bad log level '" + level + "' (trace, debug, info, warn, error, critical, off)";
  if (format != "text" && format != "json")
    return "bad log format '" + format + "' (text or json)";
  auto logger = std::make_shared<spdlog::logger>(
      "lookout", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  if (format == "json") logger->set_formatter(std::make_unique<JsonFormatter>());
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return std::nullopt;
}

}  // namespace lookout::agent
