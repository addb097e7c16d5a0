#include "probes/result.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace lookout::probes {
namespace {
constexpr std::array<std::string_view, 4> kStatusNames{"ok", "warning", "critical", "unknown"};
constexpr std::array<std::string_view, 9> kFailureNames{
    "none", "dns", "connect", "tls", "timeout", "http_status", "assertion", "protocol", "internal"};
}  // namespace

std::string_view to_string(Status s) { return kStatusNames[static_cast<size_t>(s)]; }
std::string_view to_string(FailureKind k) { return kFailureNames[static_cast<size_t>(k)]; }

std::optional<Status> status_from_string(std::string_view s) {
  for (size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == s) return static_cast<Status>(i);
  return std::nullopt;
}

std::optional<FailureKind> failure_kind_from_string(std::string_view s) {
  for (size_t i = 0; i < kFailureNames.size(); ++i)
    if (kFailureNames[i] == s) return static_cast<FailureKind>(i);
  return std::nullopt;
}

Status worst(Status a, Status b) {
  auto rank = [](Status s) {
    switch (s) {
      case Status::ok: return 0;
      case Status::unknown: return 1;
      case Status::warning: return 2;
      case Status::critical: return 3;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

void Result::set_phase(std::string_view name, double seconds) {
  for (auto& [n, v] : phases)
    if (n == name) {
      v += seconds;  // phases sum over redirects, as blackbox_exporter does
      return;
    }
  phases.emplace_back(std::string(name), seconds);
}

double Result::phase(std::string_view name) const {
  for (const auto& [n, v] : phases)
    if (n == name) return v;
  return 0;
}

void Result::add_sample(std::string name, double value,
                        std::vector<std::pair<std::string, std::string>> labels) {
  samples.push_back(Sample{std::move(name), std::move(labels), value});
}

nlohmann::json Result::to_json() const {
  nlohmann::json j;
  j["status"] = to_string(status);
  j["summary"] = summary;
  j["failure_kind"] = failure == FailureKind::none ? nlohmann::json(nullptr)
                                                   : nlohmann::json(to_string(failure));
  nlohmann::json ph = nlohmann::json::object();
  for (const auto& [n, v] : phases) ph[n] = v;
  j["phases"] = ph;
  j["duration_seconds"] = duration_seconds;
  j["started"] = std::chrono::duration<double>(started.time_since_epoch()).count();
  j["facts"] = facts;
  return j;
}

Result make_result(Status s, FailureKind k, std::string summary) {
  Result r;
  r.status = s;
  r.failure = k;
  r.summary = std::move(summary);
  return r;
}

std::string human_duration(double seconds) {
  char buf[64];
  if (seconds < 1.0)
    std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000);
  else if (std::fabs(seconds - std::round(seconds)) < 0.05)
    std::snprintf(buf, sizeof buf, "%.0f s", std::round(seconds));
  else
    std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  return buf;
}

}  // namespace lookout::probes
