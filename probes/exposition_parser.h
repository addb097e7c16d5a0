// probes::ExpositionParser: a streaming parser for the Prometheus text exposition format 0.0.4
// and the parts of OpenMetrics 1.0 a scraper meets (`# EOF`, `# UNIT`, exemplars, float
// timestamps). Fed in chunks of any size (a line split across chunks parses like any other);
// calls back once per sample; stops with an error once more than `max_bytes` were fed.
// Bad lines are counted and the first few kept with their line numbers; parsing goes on.
//
// Lifetime: one parser per exposition; single-threaded; not reusable. The string_views handed
// to callbacks point into the chunk or the parser's buffers and are valid only during the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lookout::probes {

/// Family type from `# TYPE` (0.0.4 and OpenMetrics names); untyped when no TYPE line applies.
enum class MetricType {
  untyped, counter, gauge, histogram, summary, unknown, stateset, info, gaugehistogram
};
std::string_view to_string(MetricType t);

struct ExpositionLabel {
  std::string_view name;
  std::string_view value;  // unescaped
};

struct ExpositionSample {
  std::string_view name;
  std::span<const ExpositionLabel> labels;  // in exposition order
  double value = 0;
  /// As written: milliseconds in 0.0.4, seconds in OpenMetrics. Absent when not given.
  std::optional<double> timestamp;
  /// Type of the family this sample belongs to (matched by name and the usual suffixes).
  MetricType type = MetricType::untyped;
  size_t line = 0;  // 1-based

  /// Value of label `name`, "" when absent (Prometheus treats "" and absent alike).
  std::string_view label(std::string_view name) const;
};

/// A `# HELP`, `# TYPE` or `# UNIT` line. `text` is the docstring (unescaped), the type word
/// or the unit.
struct ExpositionMetadata {
  enum class Kind { help, type, unit } kind = Kind::help;
  std::string_view name;
  std::string_view text;
  MetricType type = MetricType::untyped;  // for Kind::type
  size_t line = 0;
};

struct ExpositionError {
  size_t line = 0;  // 0 = not about one line (size limit)
  std::string message;
  std::string to_string() const;  // "line 12: bad value"
};

struct ExpositionParserOptions {
  /// Total bytes accepted; more stops parsing with an error.
  size_t max_bytes = 16u << 20;
  /// A longer line is reported and skipped (keeps memory bounded for a line split across chunks).
  size_t max_line_bytes = 1u << 20;
  /// At most this many labels per sample; more is a bad line.
  size_t max_labels = 128;
  /// Error messages kept (all bad lines are still counted).
  size_t max_errors_kept = 10;
  /// Stop at the first bad line instead of carrying on.
  bool stop_on_error = false;
};

class ExpositionParser {
 public:
  /// Return false to stop parsing (feed() then returns false).
  using SampleCallback = std::function<bool(const ExpositionSample&)>;
  using MetadataCallback = std::function<void(const ExpositionMetadata&)>;

  explicit ExpositionParser(SampleCallback on_sample, ExpositionParserOptions options = {});

  void set_metadata_callback(MetadataCallback cb) { on_metadata_ = std::move(cb); }

  /// Parses the complete lines in `chunk` and keeps a trailing partial line for the next call.
  /// Returns false once parsing has stopped (size limit, callback, stop_on_error, `# EOF`
  /// followed by more data); further calls do nothing.
  bool feed(std::string_view chunk);
  /// End of input: an unterminated last line is an error (it may be a cut-off value), except
  /// `# EOF`. Returns true when the whole exposition parsed without any error.
  bool finish();

  bool stopped() const { return stopped_; }
  bool limit_exceeded() const { return limit_exceeded_; }
  bool saw_eof() const { return saw_eof_; }  // OpenMetrics `# EOF` seen
  size_t bytes() const { return bytes_; }
  size_t lines() const { return line_no_; }
  size_t samples() const { return samples_; }
  size_t bad_lines() const { return bad_lines_; }
  bool ok() const { return bad_lines_ == 0 && !limit_exceeded_; }
  /// The first errors (limit errors are always kept, line 0).
  const std::vector<ExpositionError>& errors() const { return errors_; }
  /// "exposition larger than 16 MiB limit" or "line 12: bad value"; "" when none.
  std::string first_error() const;

 private:
  void process_line(std::string_view line);
  bool parse_sample(std::string_view line);
  bool parse_comment(std::string_view line);
  bool parse_labels(const char*& p, const char* end, std::string_view& quoted_name);
  void bad_line(size_t line, std::string message);
  MetricType type_for(std::string_view sample_name) const;
  void append_carry(std::string_view part);

  SampleCallback on_sample_;
  MetadataCallback on_metadata_;
  ExpositionParserOptions options_;

  std::string carry_;          // a line split across chunks
  bool skipping_line_ = false;  // inside an over-long line, discarding up to the next LF
  std::string scratch_;        // unescaped label values of the current line
  std::vector<ExpositionLabel> labels_;
  std::string type_name_;      // family of the last # TYPE line
  MetricType type_ = MetricType::untyped;

  size_t bytes_ = 0;
  size_t line_no_ = 0;
  size_t samples_ = 0;
  size_t bad_lines_ = 0;
  bool stopped_ = false;
  bool limit_exceeded_ = false;
  bool saw_eof_ = false;
  bool finished_ = false;
  std::vector<ExpositionError> errors_;
};

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view s);
/// `s` with every ill-formed byte replaced by U+FFFD, for text that must be valid (JSON, labels).
std::string to_valid_utf8(std::string_view s);

/// Formats a byte count for messages: "16 MiB", "1.5 GiB", "512 B".
std::string format_bytes_iec(double bytes);

}  // namespace lookout::probes
