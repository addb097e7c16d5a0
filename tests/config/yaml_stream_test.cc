#include "config/yaml_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "probes/probe_registry.h"

using lookout::config::load_config_text;
using lookout::config::load_config_text_whole;
using lookout::config::load_yaml_tree;
using lookout::config::LoadResult;
using lookout::config::new_map_sharing_memory;
using lookout::config::stream_yaml_document;
using lookout::config::YamlDocumentSink;
using ::testing::HasSubstr;

namespace {

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors.list()) out.push_back(e.to_string());
  return out;
}

// Keeps everything it is handed, in order.
class RecordingSink : public YamlDocumentSink {
 public:
  void on_root(const YAML::Node& root) override {
    root_called = true;
    root_node = root;
  }
  void on_root_map(const YAML::Mark& mark) override { root_mark = mark; }
  bool on_entry(const YAML::Node& key, const YAML::Node& value) override {
    entries.emplace_back(key, value);
    return stop_at_entry < 0 || static_cast<int>(entries.size()) < stop_at_entry;
  }
  void on_sequence(const YAML::Node& key, const YAML::Mark& mark) override {
    sequence_key = key;
    sequence_mark = mark;
  }
  bool on_item(const YAML::Node& item) override {
    items.push_back(item);
    return true;
  }

  bool root_called = false;
  YAML::Node root_node{YAML::NodeType::Undefined};
  YAML::Mark root_mark = YAML::Mark::null_mark();
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  YAML::Node sequence_key{YAML::NodeType::Undefined};
  YAML::Mark sequence_mark = YAML::Mark::null_mark();
  std::vector<YAML::Node> items;
  int stop_at_entry = -1;
};

std::string where(const YAML::Mark& m) {
  return std::to_string(m.line) + ":" + std::to_string(m.column) + "@" + std::to_string(m.pos);
}

// Type, value, tag, style and mark of every node, depth first (aliases are followed; the test
// documents have no cycles).
std::string dump(const YAML::Node& n) {
  std::string out = std::to_string(static_cast<int>(n.Type())) + "<" + n.Tag() + "," +
                    std::to_string(static_cast<int>(n.Style())) + "," + where(n.Mark()) + ">";
  if (n.IsScalar()) return out + "'" + n.Scalar() + "'";
  if (n.IsSequence()) {
    out += "[";
    for (const auto& item : n) out += dump(item) + ",";
    return out + "]";
  }
  if (n.IsMap()) {
    out += "{";
    for (const auto& kv : n) out += dump(kv.first) + ":" + dump(kv.second) + ",";
    return out + "}";
  }
  return out;
}

// The streamed pieces must be exactly what YAML::Load builds for the same text.
void expect_same_as_load(const std::string& text) {
  SCOPED_TRACE(text.substr(0, 200));
  YAML::Node whole = YAML::Load(text);
  ASSERT_TRUE(whole.IsMap());
  RecordingSink sink;
  ASSERT_TRUE(stream_yaml_document(text, "clients", sink));
  EXPECT_FALSE(sink.root_called);
  EXPECT_EQ(where(sink.root_mark), where(whole.Mark()));
  size_t entry = 0;
  bool clients_seen = false;
  for (const auto& kv : whole) {
    if (!clients_seen && kv.first.IsScalar() && kv.first.Scalar() == "clients" &&
        kv.second.IsSequence()) {
      clients_seen = true;
      EXPECT_EQ(dump(sink.sequence_key), dump(kv.first));
      EXPECT_EQ(where(sink.sequence_mark), where(kv.second.Mark()));
      ASSERT_EQ(sink.items.size(), kv.second.size());
      for (size_t i = 0; i < sink.items.size(); ++i)
        EXPECT_EQ(dump(sink.items[i]), dump(kv.second[i])) << "item " << i;
      continue;
    }
    ASSERT_LT(entry, sink.entries.size());
    EXPECT_EQ(dump(sink.entries[entry].first), dump(kv.first));
    EXPECT_EQ(dump(sink.entries[entry].second), dump(kv.second));
    ++entry;
  }
  EXPECT_EQ(entry, sink.entries.size());
}

const char* kBlock = R"(# a comment
agent:
  workers: 2
defaults: &d
  interval: 2m
  http: {keyword: "Shop \u00e9", max_redirects: 3}
clients:
  - id: c1
    defaults: *d
    sites:
      - &site
        id: s1
        url: 'http://127.0.0.1:1/'
        tags: [a, b]
        checks:
          - type: http
            keyword: ~
  - {id: c2, sites: [*site]}
  - id: c3
    holidays:
      - 2026-12-25
    sites: []
x-extra: |
  literal
  text
clients: [ignored]
)";

const char* kJson = R"({
  "agent": {"workers": 2},
  "defaults": {"interval": "2m", "http": {"keyword": "Shop \u00e9", "max_redirects": 3}},
  "clients": [
    {"id": "c1", "sites": [{"id": "s1", "url": "http://127.0.0.1:1/", "tags": ["a", "b"],
      "checks": [{"type": "http", "keyword": null, "enabled": true, "timeout": 5}]}]},
    {"id": "c2", "sites": []}
  ]
})";

TEST(YamlStreamTest, BlockPiecesEqualWhatYamlLoadBuilds) { expect_same_as_load(kBlock); }

TEST(YamlStreamTest, JsonPiecesEqualWhatYamlLoadBuilds) {
  expect_same_as_load(kJson);
  // the root `{` parsed after a lead-in: marks on its line, with whitespace and a BOM before it
  expect_same_as_load(std::string("\xEF\xBB\xBF  \n\n   ") + kJson);
  std::string compact = R"({"clients":[{"id":"a"},{"id":"b","sites":[{"id":"s"}]}],"agent":{}})";
  expect_same_as_load(compact);
  expect_same_as_load("  " + compact);
}

TEST(YamlStreamTest, FlowRootEqualsYamlLoad) {
  expect_same_as_load("{clients: [{id: a}, {id: b}], x: &a [1, 2], y: *a}");
}

TEST(YamlStreamTest, OnlyTheFirstClientsKeyIsStreamed) {
  RecordingSink sink;
  ASSERT_TRUE(stream_yaml_document(kBlock, "clients", sink));
  ASSERT_EQ(sink.items.size(), 3u);
  ASSERT_FALSE(sink.entries.empty());
  EXPECT_EQ(sink.entries.back().first.Scalar(), "clients");
  EXPECT_TRUE(sink.entries.back().second.IsSequence());
}

TEST(YamlStreamTest, AliasedPiecesOutliveTheirOwnTree) {
  // Item 3 aliases nodes of item 1 and of a root entry; the sink keeps only item 3.
  class KeepThird : public RecordingSink {
   public:
    bool on_entry(const YAML::Node&, const YAML::Node&) override { return true; }
    bool on_item(const YAML::Node& item) override {
      if (++seen == 3) kept = item;
      return true;
    }
    int seen = 0;
    YAML::Node kept;
  } sink;
  ASSERT_TRUE(stream_yaml_document(R"(
base: &b {interval: 1m}
clients:
  - id: one
    sites:
      - &s {id: www, url: "http://127.0.0.1:1/", checks: [{type: http}]}
  - id: two
  - id: three
    defaults: *b
    sites: [*s, *s]
)", "clients", sink));
  ASSERT_TRUE(sink.kept.IsMap());
  EXPECT_EQ(sink.kept["defaults"]["interval"].Scalar(), "1m");
  EXPECT_EQ(sink.kept["defaults"].Mark().line, 1);
  ASSERT_EQ(sink.kept["sites"].size(), 2u);
  EXPECT_EQ(sink.kept["sites"][1]["url"].Scalar(), "http://127.0.0.1:1/");
  EXPECT_EQ(sink.kept["sites"][1]["url"].Mark().line, 5);
  EXPECT_EQ(sink.kept["sites"][1]["checks"][0]["type"].Scalar(), "http");
}

TEST(YamlStreamTest, AliasToTheRootOrTheStreamedListAbandons) {
  RecordingSink a;
  EXPECT_FALSE(stream_yaml_document("&r {clients: [], agent: *r}", "clients", a));
  RecordingSink b;
  EXPECT_FALSE(stream_yaml_document("clients: &c [{id: a}]\nagent: *c\n", "clients", b));
  RecordingSink c;  // an alias to an item is fine
  EXPECT_TRUE(stream_yaml_document("clients: [&c {id: a}, *c]\n", "clients", c));
  EXPECT_EQ(c.items.size(), 2u);
}

TEST(YamlStreamTest, SinkCanAbandon) {
  RecordingSink sink;
  sink.stop_at_entry = 1;
  EXPECT_FALSE(stream_yaml_document("a: 1\nb: 2\n", "clients", sink));
  EXPECT_EQ(sink.entries.size(), 1u);
}

TEST(YamlStreamTest, RootThatIsNotAMapComesWhole) {
  RecordingSink list;
  ASSERT_TRUE(stream_yaml_document("- a\n- b\n", "clients", list));
  ASSERT_TRUE(list.root_called);
  EXPECT_EQ(dump(list.root_node), dump(YAML::Load("- a\n- b\n")));
  RecordingSink empty;
  ASSERT_TRUE(stream_yaml_document("", "clients", empty));
  ASSERT_TRUE(empty.root_called);
  EXPECT_TRUE(empty.root_node.IsNull());
}

TEST(YamlStreamTest, SyntaxErrorThrowsWithItsMarkAfterTheEarlierPieces) {
  const std::string text =
      "clients:\n  - id: one\n  - id: two\n    name: [unclosed\n  - id: three\n";
  RecordingSink sink;
  try {
    stream_yaml_document(text, "clients", sink);
    FAIL() << "no exception";
  } catch (const YAML::ParserException& e) {
    YAML::Mark expected;
    try {
      YAML::Load(text);
    } catch (const YAML::ParserException& whole) {
      expected = whole.mark;
    }
    EXPECT_EQ(where(e.mark), where(expected));
  }
  EXPECT_EQ(sink.items.size(), 1u);
}

TEST(YamlStreamTest, FlowMapThatIsAKeyFallsBackToTheWholeText) {
  const std::string text = "{a: 1}: x\n";
  RecordingSink sink;
  EXPECT_FALSE(stream_yaml_document(text, "clients", sink));
  YAML::Node root = load_yaml_tree(text);
  ASSERT_TRUE(root.IsMap());
  EXPECT_EQ(root.begin()->second.Scalar(), "x");
}

TEST(YamlStreamTest, AnythingAfterAFlowRootFallsBackToTheWholeText) {
  // yaml-cpp reads on after `{...}` while it may be a key and fails on that line; it must not
  // be accepted just because the lead-in parse stops earlier.
  const std::string text = R"({"agent": {}, "x": 1},m {"a": "2"}]}, {"id": "b"}]}]d)";
  EXPECT_THROW(YAML::Load(text), YAML::ParserException);
  RecordingSink sink;
  EXPECT_FALSE(stream_yaml_document(text, "clients", sink));
  // "{" and a NUL: yaml-cpp reads UTF-16, which a lead-in would change
  const std::string utf16_guess("{\0\tgent\": 1}", 13);
  EXPECT_THROW(YAML::Load(utf16_guess), YAML::ParserException);
  RecordingSink nul;
  EXPECT_THROW(stream_yaml_document(utf16_guess, "clients", nul), YAML::ParserException);
  RecordingSink next_doc;
  EXPECT_FALSE(stream_yaml_document("{a: 1}\n---\nb: 2\n", "clients", next_doc));
  RecordingSink comment;
  EXPECT_TRUE(stream_yaml_document("{a: 1} # the end\n\n", "clients", comment));
  EXPECT_THAT(messages(load_config_text(text, "x.json", lookout::probes::check_types())),
              ::testing::ElementsAre(::testing::HasSubstr("YAML syntax error")));
}

TEST(YamlStreamTest, MapSharingMemoryKeepsMarks) {
  YAML::Node doc = YAML::Load("a: 1\nb: [2]\n");
  YAML::Node single = new_map_sharing_memory(doc);
  for (const auto& kv : doc) single[kv.first] = kv.second;
  ASSERT_TRUE(single.IsMap());
  ASSERT_EQ(single.size(), 2u);
  auto it = single.begin();
  EXPECT_EQ(dump(it->first) + dump(it->second), dump(doc.begin()->first) + dump(doc["a"]));
  EXPECT_EQ(dump(single["b"]), dump(doc["b"]));
  EXPECT_EQ(single["b"].Mark().line, 1);
  YAML::Node alone = new_map_sharing_memory(YAML::Node());
  EXPECT_TRUE(alone.IsMap());
}

// ---- The loader on streamed documents ----

std::string summary(const LoadResult& r) {
  std::ostringstream out;
  for (const auto& e : r.errors.list()) out << "E " << e.to_string() << "\n";
  if (!r.config) return out.str();
  const auto& c = *r.config;
  out << "agent " << c.agent.listen << " " << c.agent.workers << " " << c.agent.max_in_flight << "\n";
  for (const auto& cl : c.clients) {
    out << "client " << cl.id << " " << cl.name << " " << cl.hours.timezone << " "
        << cl.hours.holidays.size() << " " << cl.contract.tier << "\n";
    for (const auto& s : cl.sites) {
      out << " site " << s.id << " " << s.url;
      for (const auto& t : s.tags) out << " #" << t;
      out << "\n";
    }
  }
  for (const auto& ch : c.checks)
    out << "check " << ch->spec.key() << " " << ch->spec.type << " " << ch->spec.target << " "
        << ch->spec.interval.count() << " " << ch->spec.timeout.count() << " "
        << ch->spec.retry_interval.count() << "\n";
  return out.str();
}

// Line and column (1-based) of the n-th occurrence (from 0) of `needle`.
std::string line_col(const std::string& text, const std::string& needle, int n = 0) {
  size_t at = text.find(needle);
  while (n-- > 0) at = text.find(needle, at + 1);
  size_t line_start = text.rfind('\n', at);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
  return std::to_string(line) + ":" + std::to_string(at - line_start + 1);
}

const char* kClientsYaml = R"(agent:
  workers: 2
defaults:
  interval: 2m
  http: {max_redirects: 2}
clients:
  - id: c1
    timezone: Europe/London
    sites:
      - id: s1
        url: http://127.0.0.1:1/
        tags: [shop]
        checks:
          - {type: http}
  - id: c2
    defaults: {timeout: 5s}
    sites:
      - id: s1
        url: http://127.0.0.1:2/
        checks: [{type: http, id: a, interval: 1m}, {type: http, id: b}]
  - id: c3
    sites:
      - id: s1
        url: http://127.0.0.1:3/
        checks:
          - type: http
            max_redirects: 99
)";

TEST(ConfigStreamTest, ErrorInThirdClientNamesItsLineAndColumnYaml) {
  std::string text = kClientsYaml;
  auto r = load_config_text(text, "c.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  EXPECT_THAT(messages(r), ::testing::ElementsAre(
                               "c.yaml:" + line_col(text, "99") +
                               ": clients[2].sites[0].checks[0].max_redirects: must be between 0 and 30"));
}

TEST(ConfigStreamTest, ErrorInThirdClientNamesItsLineAndColumnJson) {
  const std::string text = R"({"clients": [
  {"id": "c1", "sites": [{"id": "s", "url": "http://127.0.0.1:1/", "checks": [{"type": "http"}]}]},
  {"id": "c2", "sites": [{"id": "s", "url": "http://127.0.0.1:1/", "checks": [{"type": "http"}]}]},
  {"id": "c3", "sites": [{"id": "s", "url": "http://127.0.0.1:1/", "checks": [{"type": "http", "max_redirects": 99}]}]}
], "agent": {"workers": 1, "colour": "red"}})";
  auto r = load_config_text(text, "c.json", lookout::probes::check_types());
  EXPECT_THAT(messages(r),
              ::testing::ElementsAre(
                  "c.json:" + line_col(text, "99") +
                      ": clients[2].sites[0].checks[0].max_redirects: must be between 0 and 30",
                  "c.json:" + line_col(text, "\"colour\"") + ": agent.colour: unknown key"));
  // on the root's own line too (compact JSON: one line, marks after the `{`)
  std::string compact = R"({"agent": {"colour": 1}, "clients": [{"id": "a", "bogus": 2}]})";
  EXPECT_THAT(messages(load_config_text(compact, "c.json", lookout::probes::check_types())),
              ::testing::ElementsAre("c.json:1:12: agent.colour: unknown key",
                                     "c.json:" + line_col(compact, "\"bogus\"") +
                                         ": clients[0].bogus: unknown key"));
}

TEST(ConfigStreamTest, DefaultsAfterClientsGiveTheSameConfig) {
  const std::string normal = kClientsYaml;
  // move the root defaults after the clients
  std::string defaults = "defaults:\n  interval: 2m\n  http: {max_redirects: 2}\n";
  std::string late = normal;
  late.erase(late.find(defaults), defaults.size());
  late += defaults;
  auto a = load_config_text(normal, "x.yaml", lookout::probes::check_types());
  auto b = load_config_text(late, "x.yaml", lookout::probes::check_types());
  // the same config and the same error, at the error's own place in each text
  EXPECT_EQ(summary(a).substr(summary(a).find(": clients")),
            summary(b).substr(summary(b).find(": clients")));
  std::string fixed = normal;
  fixed.replace(fixed.find("max_redirects: 99"), 17, "max_redirects: 1");
  std::string fixed_late = late;
  fixed_late.replace(fixed_late.find("max_redirects: 99"), 17, "max_redirects: 1");
  auto c = load_config_text(fixed, "x.yaml", lookout::probes::check_types());
  auto d = load_config_text(fixed_late, "x.yaml", lookout::probes::check_types());
  ASSERT_TRUE(c.config) << c.errors.to_string();
  ASSERT_TRUE(d.config) << d.errors.to_string();
  EXPECT_EQ(summary(c), summary(d));
  EXPECT_EQ(d.config->checks[0]->spec.interval, std::chrono::minutes(2));
}

TEST(ConfigStreamTest, StreamingAndWholeTreeGiveTheSameResult) {
  std::ifstream in(std::string(LOOKOUT_TESTDATA) + "/config/invalid-many.yaml");
  std::stringstream invalid;
  invalid << in.rdbuf();
  std::ifstream demo_in(std::string(LOOKOUT_SOURCE_DIR) + "/config/examples/demo.yaml");
  std::stringstream demo;
  demo << demo_in.rdbuf();
  for (const std::string& text : {invalid.str(), demo.str(), std::string(kClientsYaml),
                                  std::string(kBlock)}) {
    auto streamed = load_config_text(text, "f.yaml", lookout::probes::check_types());
    auto whole = load_config_text_whole(text, "f.yaml", lookout::probes::check_types());
    EXPECT_EQ(summary(streamed), summary(whole));
  }
}

TEST(ConfigStreamTest, ErrorsAreInFileOrderWhateverTheKeyOrder) {
  // root entries are read before the clients, but reported in file order
  auto r = load_config_text("clients:\n  - {id: a, bogus: 1}\nzzz: 1\n", "x.yaml", lookout::probes::check_types());
  EXPECT_THAT(messages(r), ::testing::ElementsAre("x.yaml:2:13: clients[0].bogus: unknown key",
                                                  "x.yaml:3:1: zzz: unknown key (expected agent, defaults, alerting, catalog, report or clients)"));
}

TEST(ConfigStreamTest, AnchorsAndAliasesAcrossClients) {
  auto r = load_config_text(R"(
clients:
  - id: c1
    defaults: &slow {interval: 5m, timeout: 30s}
    sites:
      - &site {id: www, url: "http://127.0.0.1:1/", checks: [{type: http}]}
  - id: c2
  - id: c3
    defaults: *slow
    sites: [*site]
)", "a.yaml", lookout::probes::check_types());
  ASSERT_TRUE(r.config) << r.errors.to_string();
  ASSERT_EQ(r.config->checks.size(), 2u);
  const auto& c3 = r.config->checks[1]->spec;
  EXPECT_EQ(c3.key(), "c3/www/http");
  EXPECT_EQ(c3.interval, std::chrono::minutes(5));
  EXPECT_EQ(c3.timeout, std::chrono::seconds(30));
  EXPECT_EQ(c3.target, "http://127.0.0.1:1/");
  // an error inside the aliased site names its anchored place, for both clients
  const std::string text = R"(clients:
  - id: c1
    sites:
      - &site {id: www, url: "http://127.0.0.1:1/", checks: [{type: http, max_redirects: -1}]}
  - id: c3
    sites: [*site]
)";
  auto bad = load_config_text(text, "a.yaml", lookout::probes::check_types());
  const std::string at = "a.yaml:" + line_col(text, "-1");
  EXPECT_THAT(messages(bad),
              ::testing::ElementsAre(
                  at + ": clients[0].sites[0].checks[0].max_redirects: must be between 0 and 30",
                  at + ": clients[1].sites[0].checks[0].max_redirects: must be between 0 and 30"));
}

TEST(ConfigStreamTest, FlowBlockAndJsonGiveEqualConfigs) {
  const std::string block = R"(
agent: {workers: 3}
defaults:
  timeout: 4s
clients:
  - id: c1
    name: Client One
    holidays: [2026-12-25]
    sites:
      - id: s1
        url: http://127.0.0.1:1/
        tags: [a, b]
        checks:
          - type: http
          - type: http
            id: slow
            interval: 2m
  - id: c2
    sites:
      - id: s2
        url: http://127.0.0.1:2/
)";
  const std::string flow =
      "{agent: {workers: 3}, defaults: {timeout: 4s}, clients: [{id: c1, name: Client One, "
      "holidays: [2026-12-25], sites: [{id: s1, url: \"http://127.0.0.1:1/\", tags: [a, b], "
      "checks: [{type: http}, {type: http, id: slow, interval: 2m}]}]}, {id: c2, sites: [{id: s2, "
      "url: \"http://127.0.0.1:2/\"}]}]}";
  const std::string json = R"({"agent": {"workers": 3}, "defaults": {"timeout": "4s"},
  "clients": [{"id": "c1", "name": "Client One", "holidays": ["2026-12-25"],
               "sites": [{"id": "s1", "url": "http://127.0.0.1:1/", "tags": ["a", "b"],
                          "checks": [{"type": "http"}, {"type": "http", "id": "slow", "interval": "2m"}]}]},
              {"id": "c2", "sites": [{"id": "s2", "url": "http://127.0.0.1:2/"}]}]})";
  auto a = load_config_text(block, "x", lookout::probes::check_types());
  auto b = load_config_text(flow, "x", lookout::probes::check_types());
  auto c = load_config_text(json, "x", lookout::probes::check_types());
  ASSERT_TRUE(a.config) << a.errors.to_string();
  EXPECT_EQ(a.config->checks.size(), 2u);
  EXPECT_EQ(summary(a), summary(b));
  EXPECT_EQ(summary(a), summary(c));
}

// What the loader used to say: YAML::Load's error.
std::string load_mark(const std::string& text, const std::string& file = "s.yaml") {
  try {
    YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
           ": YAML syntax error: " + e.msg;
  }
  return "no error";
}

TEST(ConfigStreamTest, SyntaxErrorInSecondClientIsTheOnlyError) {
  const std::string yaml =
      "agent: {bogus: 1}\nclients:\n  - id: c1\n    nope: 1\n  - id: c2\n    name: [unclosed\n"
      "  - id: c3\n";
  auto r = load_config_text(yaml, "s.yaml", lookout::probes::check_types());
  ASSERT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u) << r.errors.to_string();
  EXPECT_THAT(r.errors.list()[0].to_string(), HasSubstr("YAML syntax error"));
  EXPECT_EQ(r.errors.list()[0].to_string(), load_mark(yaml));
  const std::string json =
      "{\"agent\": {\"bogus\": 1}, \"clients\": [\n{\"id\": \"c1\", \"nope\": 1},\n"
      "{\"id\": \"c2\", \"name\": [1, }\n]}";
  auto j = load_config_text(json, "s.json", lookout::probes::check_types());
  ASSERT_EQ(j.errors.size(), 1u) << j.errors.to_string();
  EXPECT_THAT(j.errors.list()[0].to_string(), HasSubstr("YAML syntax error"));
  // the mark the whole text gives, not the one after the lead-in
  EXPECT_EQ(j.errors.list()[0].to_string(), load_mark(json, "s.json"));
}

TEST(ConfigStreamTest, ClientsShapesAsBefore) {
  EXPECT_THAT(messages(load_config_text("agent: {}\nclients:\n", "x", lookout::probes::check_types())),
              ::testing::ElementsAre("x:1:1: clients: missing field 'clients' (at least one client with sites)"));
  EXPECT_THAT(messages(load_config_text("agent: {}\nclients: {a: 1}\n", "x", lookout::probes::check_types())),
              ::testing::ElementsAre("x:2:10: clients: expected a list of clients"));
  EXPECT_THAT(messages(load_config_text("- a\n", "x", lookout::probes::check_types())),
              ::testing::ElementsAre("x:1:1: the config must be a map with agent, defaults and clients"));
  EXPECT_THAT(messages(load_config_text("", "x", lookout::probes::check_types())),
              ::testing::ElementsAre("x: the config must be a map with agent, defaults and clients"));
  // clients through an alias (not streamed) and a second clients key (an error, else ignored)
  auto r = load_config_text("x-list: &l [{id: a}]\nclients: *l\nclients: [{id: b}]\n", "x", lookout::probes::check_types());
  EXPECT_THAT(messages(r), ::testing::ElementsAre(
                               "x:1:1: x-list: unknown key (expected agent, defaults, alerting, catalog, report or clients)",
                               "x:3:1: clients: duplicate key 'clients' (first at line 2)"));
  // an alias to the clients list: parsed whole, as before
  auto s = load_config_text("clients: &c [{id: a}]\nagent: *c\n", "x", lookout::probes::check_types());
  EXPECT_THAT(messages(s), ::testing::ElementsAre("x:1:10: agent: expected a map"));
  auto t = load_config_text("clients: [{id: a, sites: []}]\n", "x", lookout::probes::check_types());
  ASSERT_TRUE(t.config);
  EXPECT_EQ(t.config->clients.size(), 1u);
}

}  // namespace
