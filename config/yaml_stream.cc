#include "config/yaml_stream.h"

#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <set>
#include <streambuf>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace lookout::config::detail {
/// Tag type for the yaml-cpp access below.
struct NodeAccess {};
}  // namespace lookout::config::detail

// yaml-cpp 0.7 builds marked trees only in its internal NodeBuilder (a friend of YAML::Node).
// The detail::node layer (create, set_mark, insert, push_back) is public, but wrapping a
// detail::node and its memory into a YAML::Node needs Node's private constructor, and reading a
// Node's memory needs its private members. YAML::Node befriends every YAML::as_if<T, S>
// (`template <typename T, typename S> friend struct as_if;`), so an explicit specialisation for a
// type of ours may use them. This is the only place that relies on it.
template <>
struct YAML::as_if<lookout::config::detail::NodeAccess, void> {
  static YAML::Node wrap(YAML::detail::node& node, YAML::detail::shared_memory_holder memory) {
    return YAML::Node(node, std::move(memory));
  }
  static YAML::detail::shared_memory_holder memory_of(const YAML::Node& node) {
    return node.m_pMemory;
  }
};

namespace lookout::config {
namespace {

using Access = YAML::as_if<detail::NodeAccess, void>;
using Memory = YAML::detail::shared_memory_holder;
using RawNode = YAML::detail::node;

// Thrown through the parser to leave it when the stream is abandoned.
struct Abandoned {};

// Ignores a document.
class Discard final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Follows the parser's events to know, at every node, the key path it sits at, and reports a
// scalar key seen twice in one map. Keeps only the keys of the maps still open.
class KeyTracker {
 public:
  explicit KeyTracker(std::function<void(const DuplicateKey&)> report) : report_(std::move(report)) {}

  /// A scalar, null or alias (`scalar` only for a scalar).
  void leaf(const YAML::Mark& mark, const std::string* scalar) {
    begin(mark, scalar);
    complete();
  }
  /// A map or sequence starts.
  void open(const YAML::Mark& mark, bool map) {
    begin(mark, nullptr);
    Level level;
    level.map = map;
    stack_.push_back(std::move(level));
  }
  /// The innermost map or sequence ends.
  void close() {
    if (stack_.empty()) return;
    stack_.pop_back();
    complete();
  }

 private:
  struct Level {
    bool map = false;
    bool want_key = true;  // maps: the next node is a key
    std::string key;       // maps: the current key
    size_t index = 0;      // sequences: the current item
    std::unordered_map<std::string, YAML::Mark> keys;
  };

  void begin(const YAML::Mark& mark, const std::string* scalar) {
    if (stack_.empty() || !stack_.back().map || !stack_.back().want_key) return;
    Level& top = stack_.back();
    if (!scalar) {  // a null, alias or collection as key: not comparable
      top.key = "?";
      return;
    }
    top.key = *scalar;
    auto [it, inserted] = top.keys.emplace(*scalar, mark);
    if (!inserted) {
      std::string path = path_to(stack_.size() - 1);
      report_(DuplicateKey{path.empty() ? *scalar : path + "." + *scalar, *scalar, mark, it->second});
    }
  }

  void complete() {
    if (stack_.empty()) return;
    Level& top = stack_.back();
    if (!top.map) ++top.index;
    else top.want_key = !top.want_key;
  }

  // The path of the collection at stack level `depth` (0 = the root: "").
  std::string path_to(size_t depth) const {
    std::string path;
    for (size_t i = 0; i < depth; ++i) {
      if (stack_[i].map) path += (path.empty() ? "" : ".") + stack_[i].key;
      else path += "[" + std::to_string(stack_[i].index) + "]";
    }
    return path;
  }

  std::function<void(const DuplicateKey&)> report_;
  std::vector<Level> stack_;
};

// Only tracks keys (find_duplicate_keys).
class KeyScan final : public YAML::EventHandler {
 public:
  explicit KeyScan(std::vector<DuplicateKey>& out)
      : keys_([&out](const DuplicateKey& d) { out.push_back(d); }) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { keys_.leaf(mark, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { keys_.leaf(mark, nullptr); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    keys_.leaf(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    keys_.open(mark, false);
  }
  void OnSequenceEnd() override { keys_.close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    keys_.open(mark, true);
  }
  void OnMapEnd() override { keys_.close(); }

 private:
  KeyTracker keys_;
};

// A read-only streambuf over consecutive pieces of text owned by someone else (no copy).
class PiecesBuf final : public std::streambuf {
 public:
  explicit PiecesBuf(std::vector<std::string_view> pieces) : pieces_(std::move(pieces)) {}

 protected:
  int_type underflow() override {
    while (gptr() == egptr()) {
      if (next_ == pieces_.size()) return traits_type::eof();
      // setg() wants char*; nothing writes through it (no overflow; putback only re-reads).
      char* p = const_cast<char*>(pieces_[next_].data());
      setg(p, p, p + pieces_[next_].size());
      ++next_;
    }
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::vector<std::string_view> pieces_;
  size_t next_ = 0;
};

// Like yaml-cpp's NodeBuilder, but every root entry and every item of the streamed sequence is
// built in a memory of its own and handed over when complete instead of being attached to its
// parent; the root map and the streamed sequence stay empty shells. Lives for one parse.
class StreamBuilder final : public YAML::EventHandler {
 public:
  /// `lead_in`: that many characters were put at the start of the root's line.
  StreamBuilder(const std::string& stream_key, YamlDocumentSink& sink, int lead_in)
      : stream_key_(stream_key),
        sink_(sink),
        keys_([&sink](const DuplicateKey& d) { sink.on_duplicate_key(d); }),
        lead_in_(lead_in) {}

  bool root_is_map() const { return root_shell_ != nullptr; }

  /// After the parse: hands over a root that was not a map (whole), or no document.
  void finish() {
    if (root_shell_) return;
    sink_.on_root(root_ ? Access::wrap(*root_, memory_) : YAML::Node());
  }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    RawNode& n = begin(mark, anchor);
    n.set_null();
    keys_.leaf(n.mark(), nullptr);
    complete(n);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    enter();
    keys_.leaf(mark, nullptr);
    if (anchor >= anchors_.size() || !anchors_[anchor].first)
      throw YAML::ParserException(mark, "unknown anchor");
    auto& [node, memory] = anchors_[anchor];
    if (node == root_shell_ || node == stream_shell_) throw Abandoned{};
    // The aliased node may belong to an earlier piece: the current piece's memory must own it
    // too. Merging through a copy of the holder leaves the earlier piece's own memory alone.
    if (memory != memory_ && merged_.insert(memory.get()).second) {
      YAML::detail::memory_holder other(*memory);
      memory_->merge(other);
    }
    complete(*node);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    RawNode& n = begin(mark, anchor);
    n.set_scalar(value);
    n.set_tag(tag);
    keys_.leaf(n.mark(), &value);
    complete(n);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    RawNode* stream_key = !open_.empty() && open_.back().stream_value ? open_.back().key : nullptr;
    RawNode& n = begin(mark, anchor);
    n.set_tag(tag);
    n.set_type(YAML::NodeType::Sequence);
    n.set_style(style);
    keys_.open(n.mark(), false);
    open_.push_back(Open{&n});
    if (stream_key) {
      stream_shell_ = &n;
      shell_memories_.push_back(memory_);
      sink_.on_sequence(Access::wrap(*stream_key, memory_), n.mark());
    }
  }

  void OnSequenceEnd() override {
    keys_.close();
    close();
  }

  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    bool root = open_.empty();
    RawNode& n = begin(mark, anchor);
    n.set_type(YAML::NodeType::Map);
    n.set_tag(tag);
    n.set_style(style);
    keys_.open(n.mark(), true);
    open_.push_back(Open{&n});
    if (root) {
      root_shell_ = &n;
      shell_memories_.push_back(memory_);
      sink_.on_root_map(n.mark());
    }
  }

  void OnMapEnd() override {
    keys_.close();
    close();
  }

 private:
  struct Open {
    RawNode* node;
    RawNode* key = nullptr;     // maps: the complete key waiting for its value
    bool stream_value = false;  // root map: that key is the first stream key
  };

  // Called first for every node: a node directly under a shell starts a new piece (for the
  // root map, its key starts it and the value joins it).
  void enter() {
    bool new_piece = open_.empty() ||
                     (open_.back().node == root_shell_ && !open_.back().key) ||
                     open_.back().node == stream_shell_;
    if (new_piece) {
      memory_ = std::make_shared<YAML::detail::memory_holder>();
      merged_.clear();
    }
  }

  RawNode& begin(const YAML::Mark& mark, YAML::anchor_t anchor) {
    enter();
    RawNode& n = memory_->create_node();
    n.set_mark(lead_in_ ? unshift(mark) : mark);
    if (anchor) {
      if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
      anchors_[anchor] = {&n, memory_};
    }
    return n;
  }

  // Marks in the text as given: those on the root's line (the root is the first node) move
  // back by the lead-in, positions everywhere.
  YAML::Mark unshift(YAML::Mark mark) {
    if (!root_line_) root_line_ = mark.line;
    if (mark.line == *root_line_) mark.column -= lead_in_;
    mark.pos -= lead_in_;
    return mark;
  }

  // `n` is complete: attach it to its parent, or hand it over.
  void complete(RawNode& n) {
    if (open_.empty()) {
      root_ = &n;
      return;
    }
    Open& parent = open_.back();
    if (parent.node == stream_shell_) {
      bool go_on = sink_.on_item(Access::wrap(n, memory_));
      memory_.reset();
      if (!go_on) throw Abandoned{};
    } else if (parent.node->type() == YAML::NodeType::Sequence) {
      parent.node->push_back(n, memory_);
    } else if (!parent.key) {
      parent.key = &n;
      if (parent.node == root_shell_ && !stream_key_seen_ &&
          n.type() == YAML::NodeType::Scalar && n.scalar() == stream_key_)
        stream_key_seen_ = parent.stream_value = true;
    } else if (parent.node == root_shell_) {
      bool go_on = sink_.on_entry(Access::wrap(*parent.key, memory_), Access::wrap(n, memory_));
      parent.key = nullptr;
      parent.stream_value = false;
      memory_.reset();
      if (!go_on) throw Abandoned{};
    } else {
      parent.node->insert(*parent.key, n, memory_);
      parent.key = nullptr;
    }
  }

  void close() {
    RawNode* n = open_.back().node;
    open_.pop_back();
    if (n == stream_shell_) {  // the streamed root entry is over; its items went one by one
      open_.back().key = nullptr;
      open_.back().stream_value = false;
      memory_.reset();
    } else if (n != root_shell_) {
      complete(*n);
    }
  }

  const std::string& stream_key_;
  YamlDocumentSink& sink_;
  KeyTracker keys_;
  Memory memory_;  // the memory of the piece being built
  std::set<const YAML::detail::memory_holder*> merged_;  // other pieces' memories merged into it
  std::vector<Open> open_;
  RawNode* root_ = nullptr;          // a root that is not a map, complete
  RawNode* root_shell_ = nullptr;    // a root map (never filled)
  RawNode* stream_shell_ = nullptr;  // the streamed sequence (never filled)
  std::vector<Memory> shell_memories_;  // keep the shells (compared by address) alive
  bool stream_key_seen_ = false;
  int lead_in_;
  std::optional<int> root_line_;
  std::vector<std::pair<RawNode*, Memory>> anchors_;  // by anchor id (from 1)
};

}  // namespace

bool stream_yaml_document(std::string_view text, const std::string& stream_key,
                          YamlDocumentSink& sink) {
  // yaml-cpp's scanner holds back every token after a flow collection that may still turn out
  // to be a map key (`{a: 1}: value`) until that collection ends. A root `{` is such a
  // candidate, so a JSON config would queue up whole as tokens (about 2.5 KB per check). After
  // an explicit document start `--- ` it cannot be a key, and parses to the same events; the
  // builder moves the marks back. When that parse fails (say the root `{...}` really is a key)
  // or anything follows the root, return false: the caller parses the text as given.
  size_t line = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // skip a UTF-8 byte order mark
  size_t root = line;
  for (; root < text.size() && std::string_view(" \t\r\n").find(text[root]) != std::string_view::npos;
       ++root)
    if (text[root] == '\n') line = root + 1;
  // `---` must start its line: the root's line gets the lead-in in front
  static constexpr std::string_view kLeadIn = "--- ";
  // (yaml-cpp guesses UTF-16/32 from NULs in the first 4 bytes: keep those texts as they are)
  bool lead_in = root < text.size() && text[root] == '{' &&
                 text.substr(line, root - line).find('\r') == std::string_view::npos &&
                 text.substr(0, 4).find('\0') == std::string_view::npos;
  PiecesBuf buf(lead_in ? std::vector{text.substr(0, line), kLeadIn, text.substr(line)}
                        : std::vector{text});
  std::istream in(&buf);
  YAML::Parser parser(in);
  StreamBuilder builder(stream_key, sink, lead_in ? static_cast<int>(kLeadIn.size()) : 0);
  try {
    parser.HandleNextDocument(builder);
    // Text after the root `{...}` on its last line: yaml-cpp scans it while the root may still
    // be a key, and may fail there; after the lead-in it does not. Play safe on anything after.
    Discard rest;
    if (lead_in && parser.HandleNextDocument(rest)) return false;
  } catch (const Abandoned&) {
    return false;
  } catch (const YAML::Exception&) {
    if (lead_in) return false;
    throw;
  }
  if (lead_in && !builder.root_is_map()) return false;  // cannot happen; never guess
  builder.finish();
  return true;
}

YAML::Node load_yaml_tree(std::string_view text) {
  PiecesBuf buf({text});
  std::istream in(&buf);
  return YAML::Load(in);
}

std::vector<DuplicateKey> find_duplicate_keys(std::string_view text) {
  std::vector<DuplicateKey> out;
  PiecesBuf buf({text});
  std::istream in(&buf);
  YAML::Parser parser(in);
  KeyScan scan(out);
  parser.HandleNextDocument(scan);
  return out;
}

YAML::Node new_map_sharing_memory(const YAML::Node& owner) {
  Memory memory = Access::memory_of(owner);
  if (!memory) return YAML::Node(YAML::NodeType::Map);
  RawNode& n = memory->create_node();
  n.set_type(YAML::NodeType::Map);
  return Access::wrap(n, std::move(memory));
}

}  // namespace lookout::config
