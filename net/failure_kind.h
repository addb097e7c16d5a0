// net::FailureKind: why a network operation (and so a check) failed. One list: the enum, its
// names and its count all come from LOOKOUT_FAILURE_KINDS, so adding one means editing one line.
// A small fixed set so it can be a bounded metric label.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace lookout::net {

// X(name): none first; the order is the numeric value.
#define LOOKOUT_FAILURE_KINDS(X) \
  X(none) X(dns) X(connect) X(tls) X(timeout) X(http_status) X(assertion) X(protocol) X(internal)

enum class FailureKind {
#define LOOKOUT_FK_ENUM(n) n,
  LOOKOUT_FAILURE_KINDS(LOOKOUT_FK_ENUM)
#undef LOOKOUT_FK_ENUM
};

inline constexpr std::array kFailureKindNames = {
#define LOOKOUT_FK_NAME(n) std::string_view(#n),
    LOOKOUT_FAILURE_KINDS(LOOKOUT_FK_NAME)
#undef LOOKOUT_FK_NAME
};
inline constexpr std::size_t kFailureKindCount = kFailureKindNames.size();

constexpr std::string_view to_string(FailureKind k) {
  auto i = static_cast<std::size_t>(k);
  return i < kFailureKindCount ? kFailureKindNames[i] : std::string_view("internal");
}

constexpr std::optional<FailureKind> failure_kind_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kFailureKindCount; ++i)
    if (kFailureKindNames[i] == s) return static_cast<FailureKind>(i);
  return std::nullopt;
}

}  // namespace lookout::net
