#include "probes/result.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace lookout::probes {
namespace {
constexpr std::array<std::string_view, 4> kStatusNames{"ok", "warning", "critical", "unknown"};
}  // namespace

std::string_view to_string(Status s) { return kStatusNames[static_cast<size_t>(s)]; }

std::optional<Status> status_from_string(std::string_view s) {
  for (size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == s) return static_cast<Status>(i);
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

nlohmann::json Result::to_stored_json() const {
  nlohmann::json j = to_json();
  if (!samples.empty()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& smp : samples) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : smp.labels) labels[k] = v;
      arr.push_back({{"name", smp.name}, {"labels", labels}, {"value", smp.value}});
    }
    j["samples"] = std::move(arr);
  }
  return j;
}

std::optional<Result> Result::from_json_text(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    Result r;
    auto st = status_from_string(j.value("status", ""));
    if (!st) return std::nullopt;
    r.status = *st;
    r.summary = j.value("summary", "");
    if (j.contains("failure_kind") && j["failure_kind"].is_string())
      r.failure = failure_kind_from_string(j["failure_kind"].get<std::string>())
                      .value_or(FailureKind::internal);
    if (j.contains("phases") && j["phases"].is_object())
      for (auto it = j["phases"].begin(); it != j["phases"].end(); ++it)
        if (it.value().is_number()) r.phases.emplace_back(it.key(), it.value().get<double>());
    r.duration_seconds = j.value("duration_seconds", 0.0);
    r.started = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(j.value("started", 0.0))));
    if (j.contains("facts") && j["facts"].is_object()) r.facts = j["facts"];
    if (j.contains("samples") && j["samples"].is_array())
      for (const auto& smp : j["samples"]) {
        if (!smp.is_object() || !smp.contains("value") || !smp["value"].is_number()) continue;
        std::vector<std::pair<std::string, std::string>> labels;
        if (smp.contains("labels") && smp["labels"].is_object())
          for (auto it = smp["labels"].begin(); it != smp["labels"].end(); ++it)
            if (it.value().is_string()) labels.emplace_back(it.key(), it.value().get<std::string>());
        r.add_sample(smp.value("name", ""), smp["value"].get<double>(), std::move(labels));
      }
    return r;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Result make_result(Status s, FailureKind k, std::string summary) {
  Result r;
  r.status = s;
  r.failure = k;
  r.summary = std::move(summary);
  return r;
}


}  // namespace lookout::probes
