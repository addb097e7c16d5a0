// Streaming YAML: yaml-cpp parser events -> ordinary YAML::Node trees (with marks, anchors and
// aliases, like YAML::Load builds them), handed over piece by piece, so that a huge document
// never exists as one tree. Used by the config loader for the root map and its `clients` list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace lookout::config {

/// A key that appears a second time in one map (YAML::Load keeps both; lookups see the first).
struct DuplicateKey {
  std::string path;  // the key's path: clients[0].sites[1].url
  std::string key;
  YAML::Mark mark;   // the repeated key
  YAML::Mark first;  // the first one
};

/// Receives one streamed document (see stream_yaml_document). The callbacks run inside the
/// parse, in document order. The nodes handed over own their memory: keep a copy to keep them.
class YamlDocumentSink {
 public:
  virtual ~YamlDocumentSink() = default;
  /// The root is not a map: the whole tree (a default Node() when the input has no document).
  virtual void on_root(const YAML::Node& root) = 0;
  /// The root is a map starting at `mark`; its entries follow.
  virtual void on_root_map(const YAML::Mark& mark) = 0;
  /// One complete root entry (except the streamed one). Return false to abandon the stream.
  virtual bool on_entry(const YAML::Node& key, const YAML::Node& value) = 0;
  /// The first root entry named by the stream key holds a sequence (at `mark`); its items follow.
  virtual void on_sequence(const YAML::Node& key, const YAML::Mark& mark) = 0;
  /// One complete item of that sequence. Return false to abandon the stream.
  virtual bool on_item(const YAML::Node& item) = 0;
  /// A scalar key repeated in one map, anywhere in the document, as soon as it is read.
  virtual void on_duplicate_key(const DuplicateKey&) {}
};

/// Parses the first YAML document of `text` (as YAML::Load does) and hands it to `sink`: a root
/// map entry by entry, and the sequence under the root key `stream_key` item by item. Only the
/// piece being built stays in memory, plus the pieces holding anchors (an alias may still point
/// into them). Returns false when the stream was abandoned: the sink said so, an alias named
/// the root map or the streamed sequence (which never exist whole), or a root `{` could not be
/// streamed (see the .cc). The caller should then use load_yaml_tree. Throws
/// YAML::ParserException on a syntax error, after having handed over the pieces before it.
bool stream_yaml_document(std::string_view text, const std::string& stream_key,
                          YamlDocumentSink& sink);

/// YAML::Load(text) without copying the text. Throws YAML::ParserException.
YAML::Node load_yaml_tree(std::string_view text);

/// The repeated scalar keys of the first document of `text`, in document order (what
/// stream_yaml_document reports through on_duplicate_key, for a text read by load_yaml_tree).
/// Throws YAML::ParserException.
std::vector<DuplicateKey> find_duplicate_keys(std::string_view text);

/// A new empty map that shares `owner`'s node memory. Putting owner's nodes into it then costs
/// nothing; into a map of its own, yaml-cpp merges owner's whole memory on every insert.
YAML::Node new_map_sharing_memory(const YAML::Node& owner);

}  // namespace lookout::config
