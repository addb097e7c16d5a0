#include "probes/exposition_parser.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace lookout::probes {
namespace {

// Character classes as lookup tables: the hot loop touches every byte of a 10 MB payload.
enum : uint8_t { kNameStart = 1, kNameChar = 2, kLabelStart = 4, kLabelChar = 8, kBlank = 16 };

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    uint8_t v = 0;
    if (alpha || c == '_' || c == ':') v |= kNameStart;
    if (alpha || digit || c == '_' || c == ':') v |= kNameChar;
    if (alpha || c == '_') v |= kLabelStart;
    if (alpha || digit || c == '_') v |= kLabelChar;
    if (c == ' ' || c == '\t') v |= kBlank;
    t[c] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = make_classes();

inline bool is(char c, uint8_t cls) { return kClass[static_cast<unsigned char>(c)] & cls; }

inline void skip_blank(const char*& p, const char* end) {
  while (p < end && is(*p, kBlank)) ++p;
}

inline std::string_view scan_name(const char*& p, const char* end) {
  const char* b = p;
  if (p < end && is(*p, kNameStart)) {
    ++p;
    while (p < end && is(*p, kNameChar)) ++p;
  }
  return {b, static_cast<size_t>(p - b)};
}

inline std::string_view scan_token(const char*& p, const char* end) {
  const char* b = p;
  while (p < end && !is(*p, kBlank)) ++p;
  return {b, static_cast<size_t>(p - b)};
}

// Go ParseFloat syntax as Prometheus accepts it: decimal, exponent, NaN, [+-]Inf in any case.
// std::from_chars covers all of it except a leading '+'.
bool parse_float(std::string_view tok, double& out) {
  const char* b = tok.data();
  const char* e = b + tok.size();
  if (b < e && *b == '+') {
    ++b;
    if (b < e && (*b == '-' || *b == '+')) return false;
  }
  if (b == e) return false;
  auto [ptr, ec] = std::from_chars(b, e, out, std::chars_format::general);
  return ec == std::errc() && ptr == e;
}

constexpr std::string_view kTypeNames[] = {"untyped", "counter", "gauge",
                                           "histogram", "summary", "unknown",
                                           "stateset", "info", "gaugehistogram"};

std::optional<MetricType> type_from_string(std::string_view s) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i)
    if (kTypeNames[i] == s) return static_cast<MetricType>(i);
  return std::nullopt;
}

std::string printable(std::string_view s, size_t max = 40) {
  std::string out;
  for (char c : s.substr(0, max)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {  // messages stay printable ASCII (and valid UTF-8)
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace

std::string_view to_string(MetricType t) { return kTypeNames[static_cast<size_t>(t)]; }

std::string_view ExpositionSample::label(std::string_view n) const {
  for (const auto& l : labels)
    if (l.name == n) return l.value;
  return {};
}

std::string ExpositionError::to_string() const {
  return line ? "line " + std::to_string(line) + ": " + message : message;
}

namespace {
/// Length of the well-formed UTF-8 sequence starting at s[i], 0 when ill-formed (RFC 3629).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (c == 0xe0) lo = 0xa0;            // overlong
  if (c == 0xed) hi = 0x9f;            // surrogates
  if (c == 0xf0) lo = 0x90;            // overlong
  if (c == 0xf4) hi = 0x8f;            // > U+10FFFF
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  return n;
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  if (is_valid_utf8(s)) return std::string(s);
  std::string out;
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

std::string format_bytes_iec(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t u = 0;
  double v = bytes;
  while (std::fabs(v) >= 1024 && u + 1 < std::size(kUnits)) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  if (u == 0 || std::fabs(v - std::round(v)) < 0.05)
    std::snprintf(buf, sizeof buf, "%.0f %s", v, kUnits[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[u]);
  return buf;
}

ExpositionParser::ExpositionParser(SampleCallback on_sample, ExpositionParserOptions options)
    : on_sample_(std::move(on_sample)), options_(options) {
  labels_.reserve(16);
}

std::string ExpositionParser::first_error() const {
  if (errors_.empty()) return {};
  return errors_.front().to_string();
}

void ExpositionParser::bad_line(size_t line, std::string message) {
  ++bad_lines_;
  if (errors_.size() < options_.max_errors_kept) errors_.push_back({line, std::move(message)});
  if (options_.stop_on_error) stopped_ = true;
}

bool ExpositionParser::feed(std::string_view chunk) {
  if (stopped_ || finished_) return false;
  bool over = false;
  if (chunk.size() > options_.max_bytes - bytes_) {
    chunk = chunk.substr(0, options_.max_bytes - bytes_);
    over = true;
  }
  bytes_ += chunk.size();
  const char* p = chunk.data();
  const char* end = p + chunk.size();

  // Finish a line started in an earlier chunk (or skip the rest of an over-long one).
  if (skipping_line_ || !carry_.empty()) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (!nl) {
      if (!skipping_line_) append_carry({p, static_cast<size_t>(end - p)});
      p = end;
    } else {
      ++line_no_;
      if (skipping_line_) {
        skipping_line_ = false;
      } else if (carry_.size() + (nl - p) > options_.max_line_bytes) {
        bad_line(line_no_, "line longer than " + format_bytes_iec(options_.max_line_bytes));
        carry_.clear();
      } else {
        carry_.append(p, nl - p);
        process_line(carry_);
        carry_.clear();
      }
      p = nl + 1;
    }
  }

  while (p < end && !stopped_) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    if (!nl) {
      append_carry({p, static_cast<size_t>(end - p)});
      break;
    }
    ++line_no_;
    if (static_cast<size_t>(nl - p) > options_.max_line_bytes)
      bad_line(line_no_, "line longer than " + format_bytes_iec(options_.max_line_bytes));
    else
      process_line({p, static_cast<size_t>(nl - p)});
    p = nl + 1;
  }

  if (over && !stopped_) {
    limit_exceeded_ = true;
    stopped_ = true;
    carry_.clear();
    errors_.insert(errors_.begin(),
                   {0, "exposition larger than " + format_bytes_iec(options_.max_bytes) + " limit"});
  }
  return !stopped_;
}

void ExpositionParser::append_carry(std::string_view part) {
  if (carry_.size() + part.size() > options_.max_line_bytes) {
    bad_line(line_no_ + 1, "line longer than " + format_bytes_iec(options_.max_line_bytes));
    carry_.clear();
    carry_.shrink_to_fit();
    skipping_line_ = true;
    return;
  }
  carry_.append(part);
}

bool ExpositionParser::finish() {
  if (!finished_ && !stopped_) {
    finished_ = true;
    if (skipping_line_) {
      ++line_no_;
    } else if (!carry_.empty()) {
      ++line_no_;
      std::string_view rest = carry_;
      while (!rest.empty() && (is(rest.back(), kBlank) || rest.back() == '\r'))
        rest.remove_suffix(1);
      while (!rest.empty() && is(rest.front(), kBlank)) rest.remove_prefix(1);
      if (rest == "# EOF") {
        process_line(rest);
      } else if (!rest.empty()) {
        // A body cut mid-line would otherwise yield a wrong value ("4.2e+0" for "4.2e+09").
        bad_line(line_no_, "last line has no newline (exposition cut off?)");
      }
      carry_.clear();
    }
  }
  finished_ = true;
  return ok();
}

void ExpositionParser::process_line(std::string_view line) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (end > p && (is(end[-1], kBlank) || end[-1] == '\r')) --end;
  skip_blank(p, end);
  if (p == end) return;  // blank lines are ignored
  if (saw_eof_) {
    bad_line(line_no_, "data after # EOF");
    stopped_ = true;
    return;
  }
  std::string_view l{p, static_cast<size_t>(end - p)};
  if (*p == '#')
    parse_comment(l);
  else
    parse_sample(l);
}

MetricType ExpositionParser::type_for(std::string_view name) const {
  if (type_name_.empty() || name.size() < type_name_.size() ||
      name.compare(0, type_name_.size(), type_name_) != 0)
    return MetricType::untyped;
  std::string_view suffix = name.substr(type_name_.size());
  if (suffix.empty()) return type_;
  static constexpr std::string_view kSuffixes[] = {"_bucket", "_sum",     "_count", "_total",
                                                   "_created", "_gsum",  "_gcount", "_info"};
  for (auto s : kSuffixes)
    if (suffix == s) return type_;
  return MetricType::untyped;
}

bool ExpositionParser::parse_comment(std::string_view line) {
  const char* p = line.data() + 1;
  const char* end = line.data() + line.size();
  skip_blank(p, end);
  std::string_view keyword = scan_token(p, end);
  ExpositionMetadata meta;
  meta.line = line_no_;
  if (keyword == "HELP") {
    meta.kind = ExpositionMetadata::Kind::help;
  } else if (keyword == "TYPE") {
    meta.kind = ExpositionMetadata::Kind::type;
  } else if (keyword == "UNIT") {
    meta.kind = ExpositionMetadata::Kind::unit;
  } else {
    if (keyword == "EOF" && p == end) saw_eof_ = true;
    return true;  // a plain comment
  }
  skip_blank(p, end);
  meta.name = scan_name(p, end);
  if (meta.name.empty() || (p < end && !is(*p, kBlank))) {
    bad_line(line_no_, "bad metric name in # " + std::string(keyword));
    return false;
  }
  skip_blank(p, end);
  std::string_view rest{p, static_cast<size_t>(end - p)};

  if (meta.kind == ExpositionMetadata::Kind::type) {
    auto t = type_from_string(rest);
    if (!t) {
      bad_line(line_no_, "unknown metric type '" + printable(rest) + "'");
      return false;
    }
    type_name_.assign(meta.name);
    type_ = *t;
    meta.type = *t;
    meta.text = rest;
  } else if (meta.kind == ExpositionMetadata::Kind::help) {
    if (!is_valid_utf8(rest)) {
      bad_line(line_no_, "invalid UTF-8 in # HELP");
      return false;
    }
    if (rest.find('\\') == std::string_view::npos) {
      meta.text = rest;
    } else {
      // Escapes: \\ and \n (0.0.4), also \" (OpenMetrics); anything else is kept verbatim.
      scratch_.clear();
      for (size_t i = 0; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == '\\' && i + 1 < rest.size()) {
          char n = rest[i + 1];
          if (n == 'n' || n == '\\' || n == '"') {
            scratch_ += n == 'n' ? '\n' : n;
            ++i;
            continue;
          }
        }
        scratch_ += c;
      }
      meta.text = scratch_;
    }
  } else {
    meta.text = rest;
  }
  if (on_metadata_) on_metadata_(meta);
  return true;
}

// Parses a double-quoted string at *p (which is '"'); unescapes into scratch_ only when needed.
// Returns false with `error` set on a bad or unterminated string.
static bool parse_quoted(const char*& p, const char* end, std::string& scratch,
                         std::string_view& out, const char*& error) {
  ++p;
  const char* b = p;
  unsigned char high = 0;  // any byte >= 0x80 seen: then the value needs a UTF-8 check
  while (p < end && *p != '"' && *p != '\\') high |= static_cast<unsigned char>(*p++);
  if (p < end && *p == '"') {
    out = {b, static_cast<size_t>(p - b)};
    ++p;
    if ((high & 0x80) && !is_valid_utf8(out)) {
      error = "invalid UTF-8 in label value";
      return false;
    }
    return true;
  }
  if (p == end) {
    error = "unterminated label value";
    return false;
  }
  // Slow path: escapes. scratch has capacity for the whole line, so views stay valid.
  size_t start = scratch.size();
  scratch.append(b, p - b);
  while (p < end) {
    char c = *p;
    if (c == '"') {
      out = {scratch.data() + start, scratch.size() - start};
      ++p;
      if (!is_valid_utf8(out)) {
        error = "invalid UTF-8 in label value";
        return false;
      }
      return true;
    }
    if (c == '\\') {
      if (p + 1 == end) break;
      char n = p[1];
      if (n == 'n')
        scratch += '\n';
      else if (n == '\\' || n == '"')
        scratch += n;
      else {
        error = "bad escape in label value";
        return false;
      }
      p += 2;
      continue;
    }
    scratch += c;
    ++p;
  }
  error = "unterminated label value";
  return false;
}

bool ExpositionParser::parse_labels(const char*& p, const char* end,
                                    std::string_view& quoted_name) {
  ++p;  // '{'
  bool first = true;
  const char* error = nullptr;
  for (;;) {
    skip_blank(p, end);
    if (p == end) {
      bad_line(line_no_, "unterminated label set");
      return false;
    }
    if (*p == '}') {
      ++p;
      return true;
    }
    std::string_view name;
    if (*p == '"') {
      // Quoted UTF-8 name: the metric name when it stands alone first, else a label name.
      if (!parse_quoted(p, end, scratch_, name, error)) {
        bad_line(line_no_, error);
        return false;
      }
      skip_blank(p, end);
      if (first && p < end && (*p == ',' || *p == '}')) {
        quoted_name = name;
        if (*p == ',') ++p;
        first = false;
        continue;
      }
    } else {
      const char* b = p;
      if (is(*p, kLabelStart)) {
        ++p;
        while (p < end && is(*p, kLabelChar)) ++p;
      }
      name = {b, static_cast<size_t>(p - b)};
      if (name.empty()) {
        bad_line(line_no_, "bad label name");
        return false;
      }
      skip_blank(p, end);
    }
    first = false;
    if (p == end || *p != '=') {
      bad_line(line_no_, "expected '=' after label " + printable(name));
      return false;
    }
    ++p;
    skip_blank(p, end);
    if (p == end || *p != '"') {
      bad_line(line_no_, "expected '\"' to start the value of label " + printable(name));
      return false;
    }
    std::string_view value;
    if (!parse_quoted(p, end, scratch_, value, error)) {
      bad_line(line_no_, std::string(error) + " (label " + printable(name) + ")");
      return false;
    }
    if (labels_.size() >= options_.max_labels) {
      bad_line(line_no_, "more than " + std::to_string(options_.max_labels) + " labels");
      return false;
    }
    labels_.push_back({name, value});
    skip_blank(p, end);
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    if (p < end && *p == '}') {
      ++p;
      return true;
    }
    bad_line(line_no_, "expected ',' or '}' after label " + printable(name));
    return false;
  }
}

bool ExpositionParser::parse_sample(std::string_view line) {
  const char* p = line.data();
  const char* end = p + line.size();
  labels_.clear();
  scratch_.clear();
  if (scratch_.capacity() < line.size()) scratch_.reserve(line.size());

  ExpositionSample s;
  s.line = line_no_;
  s.name = scan_name(p, end);
  if (s.name.empty() && *p != '{') {
    bad_line(line_no_, "bad metric name");
    return false;
  }
  skip_blank(p, end);
  if (p < end && *p == '{') {
    std::string_view quoted;
    if (!parse_labels(p, end, quoted)) return false;
    if (!quoted.empty()) {
      if (!s.name.empty()) {
        bad_line(line_no_, "metric name given twice");
        return false;
      }
      s.name = quoted;
    }
    if (s.name.empty()) {
      bad_line(line_no_, "missing metric name");
      return false;
    }
    skip_blank(p, end);
  } else if (p < end && p > line.data() && !is(p[-1], kBlank)) {
    bad_line(line_no_, "bad metric name");
    return false;
  }
  if (p == end) {
    bad_line(line_no_, "missing value");
    return false;
  }
  std::string_view value = scan_token(p, end);
  if (!parse_float(value, s.value)) {
    bad_line(line_no_, "bad value '" + printable(value) + "'");
    return false;
  }
  skip_blank(p, end);
  if (p < end && *p != '#') {
    std::string_view ts = scan_token(p, end);
    double t = 0;
    if (!parse_float(ts, t) || !std::isfinite(t)) {
      bad_line(line_no_, "bad timestamp '" + printable(ts) + "'");
      return false;
    }
    s.timestamp = t;
    skip_blank(p, end);
  }
  // What may follow is an OpenMetrics exemplar ("# {trace_id=...} 1.0"), which we skip.
  if (p < end && *p != '#') {
    bad_line(line_no_, "unexpected text after the value");
    return false;
  }
  s.labels = labels_;
  s.type = type_for(s.name);
  ++samples_;
  if (on_sample_ && !on_sample_(s)) stopped_ = true;
  return true;
}

}  // namespace lookout::probes
