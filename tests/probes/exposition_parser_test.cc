#include "probes/exposition_parser.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lookout::probes {
namespace {

struct Seen {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::optional<double> timestamp;
  MetricType type = MetricType::untyped;
  size_t line = 0;

  bool operator==(const Seen& o) const {
    bool same_value = (std::isnan(value) && std::isnan(o.value)) || value == o.value;
    return name == o.name && labels == o.labels && same_value && timestamp == o.timestamp &&
           type == o.type && line == o.line;
  }
};

struct Collected {
  std::vector<Seen> samples;
  std::vector<ExpositionMetadata> meta_kinds;
  std::vector<std::string> help_texts;
  ExpositionParser parser;

  explicit Collected(ExpositionParserOptions o = {})
      : parser(
            [this](const ExpositionSample& s) {
              Seen seen{std::string(s.name), {}, s.value, s.timestamp, s.type, s.line};
              for (const auto& l : s.labels)
                seen.labels.emplace_back(std::string(l.name), std::string(l.value));
              samples.push_back(std::move(seen));
              return true;
            },
            o) {
    parser.set_metadata_callback([this](const ExpositionMetadata& m) {
      if (m.kind == ExpositionMetadata::Kind::help) help_texts.emplace_back(m.text);
    });
  }
};

// The edge-case vector from the reference (prometheus-and-grafana.md section 1).
constexpr std::string_view kReferenceVector =
    "# HELP lookout_check_up Whether the last run of a check succeeded (1) or not (0).\n"
    "# TYPE lookout_check_up gauge\n"
    "lookout_check_up{check=\"shop-https\",client=\"acme\"} 1\n"
    "lookout_check_up{check=\"blog-https\",client=\"acme\",} 0\n"
    "# a plain comment that must be ignored\n"
    "# HELP lookout_notes Text with a backslash \\\\ and a newline \\n escaped.\n"
    "# TYPE lookout_notes untyped\n"
    "lookout_notes{path=\"C:\\\\tmp\",msg=\"said \\\"hi\\\"\\nbye\",empty=\"\"} NaN\n"
    "\tlookout_weird   +Inf   -1000\n"
    "lookout_no_type_line 1.7811e+09 1781100000000\n";

std::vector<Seen> parse_whole(std::string_view text) {
  Collected c;
  c.parser.feed(text);
  EXPECT_TRUE(c.parser.finish()) << c.parser.first_error();
  return c.samples;
}

TEST(ExpositionParserTest, ParsesTheReferenceVector) {
  Collected c;
  EXPECT_TRUE(c.parser.feed(kReferenceVector));
  EXPECT_TRUE(c.parser.finish()) << c.parser.first_error();
  ASSERT_EQ(c.samples.size(), 5u);

  EXPECT_EQ(c.samples[0].name, "lookout_check_up");
  EXPECT_EQ(c.samples[0].type, MetricType::gauge);
  EXPECT_EQ(c.samples[0].value, 1);
  EXPECT_EQ(c.samples[0].line, 3u);
  using L = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.samples[0].labels, (L{{"check", "shop-https"}, {"client", "acme"}}));
  // Trailing comma in the label set.
  EXPECT_EQ(c.samples[1].labels, (L{{"check", "blog-https"}, {"client", "acme"}}));
  EXPECT_EQ(c.samples[1].value, 0);

  EXPECT_EQ(c.samples[2].name, "lookout_notes");
  EXPECT_TRUE(std::isnan(c.samples[2].value));
  EXPECT_EQ(c.samples[2].labels,
            (L{{"path", "C:\\tmp"}, {"msg", "said \"hi\"\nbye"}, {"empty", ""}}));
  EXPECT_EQ(c.samples[2].type, MetricType::untyped);

  EXPECT_EQ(c.samples[3].name, "lookout_weird");
  EXPECT_EQ(c.samples[3].value, INFINITY);
  EXPECT_EQ(c.samples[3].timestamp, -1000);
  EXPECT_EQ(c.samples[3].type, MetricType::untyped);

  EXPECT_EQ(c.samples[4].value, 1.7811e+09);
  EXPECT_EQ(c.samples[4].timestamp, 1781100000000.0);
  EXPECT_EQ(c.samples[4].line, 10u);

  ASSERT_EQ(c.help_texts.size(), 2u);
  EXPECT_EQ(c.help_texts[1], "Text with a backslash \\ and a newline \n escaped.");
  EXPECT_EQ(c.parser.lines(), 10u);
  EXPECT_EQ(c.parser.samples(), 5u);
  EXPECT_EQ(c.parser.bytes(), kReferenceVector.size());
}

TEST(ExpositionParserTest, AnyChunkingGivesTheSameSamples) {
  const auto whole = parse_whole(kReferenceVector);
  ASSERT_EQ(whole.size(), 5u);
  // Every chunk size, and every single split point.
  for (size_t size = 1; size <= kReferenceVector.size(); ++size) {
    Collected c;
    for (size_t at = 0; at < kReferenceVector.size(); at += size)
      c.parser.feed(kReferenceVector.substr(at, size));
    EXPECT_TRUE(c.parser.finish()) << "chunk size " << size << ": " << c.parser.first_error();
    EXPECT_EQ(c.samples, whole) << "chunk size " << size;
  }
  for (size_t split = 0; split <= kReferenceVector.size(); ++split) {
    Collected c;
    c.parser.feed(kReferenceVector.substr(0, split));
    c.parser.feed(kReferenceVector.substr(split));
    EXPECT_TRUE(c.parser.finish()) << "split " << split;
    EXPECT_EQ(c.samples, whole) << "split " << split;
  }
}

TEST(ExpositionParserTest, ParsesGoFloatSyntax) {
  const std::pair<const char*, double> cases[] = {
      {"0", 0},          {"-0.5", -0.5},   {"1.7e+09", 1.7e9}, {"1E-3", 1e-3},
      {"+1e3", 1000},    {".25", 0.25},     {"3.", 3},          {"-Inf", -INFINITY},
      {"+inf", INFINITY}, {"Inf", INFINITY}, {"4.2e+09", 4.2e9}, {"123456789012345", 123456789012345.0}};
  for (const auto& [text, want] : cases) {
    auto s = parse_whole(std::string("m ") + text + "\n");
    ASSERT_EQ(s.size(), 1u) << text;
    EXPECT_EQ(s[0].value, want) << text;
  }
  for (const char* nan : {"NaN", "nan", "Nan"}) {
    auto s = parse_whole(std::string("m ") + nan + "\n");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_TRUE(std::isnan(s[0].value)) << nan;
  }
}

TEST(ExpositionParserTest, ReportsBadLinesWithLineNumbersAndCarriesOn) {
  Collected c;
  c.parser.feed(
      "good 1\n"
      "bad_value abc\n"
      "also_good{a=\"b\"} 2\n"
      "++1\n"
      "m{a=\"unterminated} 1\n"
      "m{a=\"x\" b=\"y\"} 1\n"
      "m{a=\"bad \\t escape\"} 1\n"
      "m{1a=\"x\"} 1\n"
      "m 1 notatimestamp\n"
      "m 1 2 3\n"
      "m{a=\"x\"}\n"
      "# TYPE m nonsense\n"
      "m 1e\n"
      "last 3\n");
  EXPECT_FALSE(c.parser.finish());
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[2].name, "last");
  EXPECT_EQ(c.samples[2].line, 14u);
  EXPECT_EQ(c.parser.bad_lines(), 11u);
  EXPECT_EQ(c.parser.first_error(), "line 2: bad value 'abc'");
  ASSERT_EQ(c.parser.errors().size(), 10u);  // max_errors_kept
  EXPECT_EQ(c.parser.errors()[1].to_string(), "line 4: bad metric name");
  EXPECT_EQ(c.parser.errors()[2].to_string(), "line 5: unterminated label value (label a)");
  EXPECT_EQ(c.parser.errors()[3].to_string(), "line 6: expected ',' or '}' after label a");
  EXPECT_EQ(c.parser.errors()[4].to_string(), "line 7: bad escape in label value (label a)");
  EXPECT_EQ(c.parser.errors()[5].to_string(), "line 8: bad label name");
  EXPECT_EQ(c.parser.errors()[6].to_string(), "line 9: bad timestamp 'notatimestamp'");
  EXPECT_EQ(c.parser.errors()[7].to_string(), "line 10: unexpected text after the value");
  EXPECT_EQ(c.parser.errors()[8].to_string(), "line 11: missing value");
  EXPECT_EQ(c.parser.errors()[9].to_string(), "line 12: unknown metric type 'nonsense'");
}

TEST(ExpositionParserTest, StopOnErrorStopsAtTheFirstBadLine) {
  ExpositionParserOptions o;
  o.stop_on_error = true;
  Collected c(o);
  EXPECT_FALSE(c.parser.feed("a 1\nb x\nc 3\n"));
  EXPECT_TRUE(c.parser.stopped());
  EXPECT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.parser.first_error(), "line 2: bad value 'x'");
}

TEST(ExpositionParserTest, StopsAtTheSizeLimit) {
  ExpositionParserOptions o;
  o.max_bytes = 1024;
  Collected c(o);
  std::string line = "node_filesystem_avail_bytes{mountpoint=\"/\"} 1\n";
  size_t fed = 0;
  bool going = true;
  while (going && fed < 100'000) {
    going = c.parser.feed(line);
    fed += line.size();
  }
  EXPECT_FALSE(going);
  EXPECT_LT(fed, 1200u);  // stopped right at the limit, not after reading everything
  EXPECT_TRUE(c.parser.limit_exceeded());
  EXPECT_EQ(c.parser.first_error(), "exposition larger than 1 KiB limit");
  EXPECT_EQ(c.parser.bytes(), 1024u);
  EXPECT_EQ(c.samples.size(), 1024 / line.size());
  EXPECT_FALSE(c.parser.feed(line));
  EXPECT_FALSE(c.parser.finish());
}

TEST(ExpositionParserTest, SkipsOverlongLinesWithBoundedMemory) {
  ExpositionParserOptions o;
  o.max_line_bytes = 100;
  Collected c(o);
  c.parser.feed("a 1\nhuge{x=\"");
  std::string filler(64, 'x');
  for (int i = 0; i < 1000; ++i) c.parser.feed(filler);  // 64 KB of one line
  c.parser.feed("\"} 1\nb 2\n");
  std::string in_one_chunk = "c{x=\"" + std::string(200, 'y') + "\"} 1\nd 4\n";
  c.parser.feed(in_one_chunk);
  EXPECT_FALSE(c.parser.finish());
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[1].name, "b");
  EXPECT_EQ(c.samples[1].line, 3u);
  EXPECT_EQ(c.samples[2].name, "d");
  EXPECT_EQ(c.samples[2].line, 5u);
  EXPECT_EQ(c.parser.bad_lines(), 2u);
  EXPECT_EQ(c.parser.first_error(), "line 2: line longer than 100 B");
}

TEST(ExpositionParserTest, AnUnterminatedLastLineIsAnError) {
  Collected c;
  c.parser.feed("a 1\nnode_filesystem_avail_bytes 4.2e+0");
  EXPECT_FALSE(c.parser.finish());
  EXPECT_EQ(c.samples.size(), 1u);  // the cut-off value is not used
  EXPECT_EQ(c.parser.first_error(), "line 2: last line has no newline (exposition cut off?)");
}

TEST(ExpositionParserTest, HandlesOpenMetrics) {
  Collected c;
  c.parser.feed(
      "# TYPE http_requests counter\n"
      "# UNIT http_requests_seconds seconds\n"
      "# HELP http_requests Requests with \\\"quotes\\\".\n"
      "http_requests_total{code=\"200\"} 1027 1520879607.789 # {trace_id=\"abc\"} 1.0\n"
      "http_requests_created{code=\"200\"} 1520879600\n"
      "# TYPE rpc histogram\n"
      "rpc_bucket{le=\"0.1\"} 5\n"
      "rpc_bucket{le=\"+Inf\"} 9\n"
      "rpc_count 9\n"
      "rpc_sum 1.5\n"
      "other 1\n"
      "# EOF");
  EXPECT_TRUE(c.parser.finish()) << c.parser.first_error();
  EXPECT_TRUE(c.parser.saw_eof());
  ASSERT_EQ(c.samples.size(), 7u);
  EXPECT_EQ(c.samples[0].type, MetricType::counter);
  EXPECT_EQ(c.samples[0].timestamp, 1520879607.789);
  EXPECT_EQ(c.samples[1].type, MetricType::counter);
  EXPECT_EQ(c.samples[2].type, MetricType::histogram);
  EXPECT_EQ(c.samples[2].labels[0].second, "0.1");
  EXPECT_EQ(c.samples[5].type, MetricType::histogram);
  EXPECT_EQ(c.samples[6].type, MetricType::untyped);
  EXPECT_EQ(c.help_texts[0], "Requests with \"quotes\".");
}

TEST(ExpositionParserTest, DataAfterEofIsAnError) {
  Collected c;
  c.parser.feed("a 1\n# EOF\nb 2\n");
  EXPECT_FALSE(c.parser.finish());
  EXPECT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.parser.first_error(), "line 3: data after # EOF");
}

TEST(ExpositionParserTest, AcceptsQuotedUtf8NamesCrlfAndBlankLines) {
  Collected c;
  c.parser.feed(
      "{\"my.dotted.metric\", \"error.message\"=\"Not Found\"} 1\r\n"
      "\n"
      "   \t \n"
      "plain {a = \"b\" , } 2 \r\n"
      "utf8{city=\"K\xc3\xb6ln\"} 3\n");
  EXPECT_TRUE(c.parser.finish()) << c.parser.first_error();
  ASSERT_EQ(c.samples.size(), 3u);
  EXPECT_EQ(c.samples[0].name, "my.dotted.metric");
  ASSERT_EQ(c.samples[0].labels.size(), 1u);
  EXPECT_EQ(c.samples[0].labels[0].first, "error.message");
  EXPECT_EQ(c.samples[0].labels[0].second, "Not Found");
  EXPECT_EQ(c.samples[1].name, "plain");
  EXPECT_EQ(c.samples[1].value, 2);
  EXPECT_EQ(c.samples[1].line, 4u);
  EXPECT_EQ(c.samples[2].labels[0].second, "K\xc3\xb6ln");
}

TEST(ExpositionParserTest, CallbackCanStopParsing) {
  int n = 0;
  ExpositionParser p([&](const ExpositionSample&) { return ++n < 2; });
  EXPECT_FALSE(p.feed("a 1\nb 2\nc 3\n"));
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(p.stopped());
}

TEST(ExpositionParserTest, SampleLabelLookupTreatsAbsentAsEmpty) {
  std::string got_device, got_missing = "unset";
  ExpositionParser p([&](const ExpositionSample& s) {
    got_device = std::string(s.label("device"));
    got_missing = std::string(s.label("nope"));
    return true;
  });
  p.feed("x{device=\"/dev/sda1\",device_error=\"\"} 1\n");
  EXPECT_TRUE(p.finish());
  EXPECT_EQ(got_device, "/dev/sda1");
  EXPECT_EQ(got_missing, "");
}

TEST(ExpositionParserTest, RejectsInvalidUtf8LikePrometheus) {
  Collected c;
  c.parser.feed(
      "a{path=\"/srv/\xff\"} 1\n"
      "b{path=\"/srv/caf\xc3\xa9\"} 2\n"
      "c{path=\"esc\\\\\xed\xa0\x80\"} 3\n"  // a surrogate after an escape
      "# HELP d broken \xc3\n"
      "e 4\xe0\n");
  EXPECT_FALSE(c.parser.finish());
  ASSERT_EQ(c.samples.size(), 1u);
  EXPECT_EQ(c.samples[0].name, "b");
  ASSERT_EQ(c.parser.errors().size(), 4u);
  EXPECT_EQ(c.parser.errors()[0].to_string(), "line 1: invalid UTF-8 in label value (label path)");
  EXPECT_EQ(c.parser.errors()[1].to_string(), "line 3: invalid UTF-8 in label value (label path)");
  EXPECT_EQ(c.parser.errors()[2].to_string(), "line 4: invalid UTF-8 in # HELP");
  // Messages quote the input escaped, so they are always safe to put into JSON.
  EXPECT_EQ(c.parser.errors()[3].to_string(), "line 5: bad value '4\\xe0'");
}

TEST(ExpositionParserTest, ValidatesAndRepairsUtf8) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("K\xc3\xb6ln \xe2\x82\xac \xf0\x9f\x92\xbe"));
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));           // cut short
  EXPECT_EQ(to_valid_utf8("/mnt/\xff\xc3\xa9"), "/mnt/\xef\xbf\xbd\xc3\xa9");
}

TEST(ExpositionParserTest, FormatsByteCounts) {
  EXPECT_EQ(format_bytes_iec(512), "512 B");
  EXPECT_EQ(format_bytes_iec(16 << 20), "16 MiB");
  EXPECT_EQ(format_bytes_iec(1.5 * (1 << 30)), "1.5 GiB");
}

}  // namespace
}  // namespace lookout::probes
