// Memory content rules shared with upstream Signet (MEMORY.md, "Content
// Normalization"): the stored form, the normalised form the content hash is
// taken over, the `critical:` and `[tag,tag]:` prefixes, and type inference.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signet::engine {

// Trimmed, every run of whitespace collapsed to one space.
std::string storage_form(std::string_view content);

// storage_form, lower-cased (ASCII), trailing [.,!?;:] run removed.
std::string normalized_form(std::string_view storage);

// SHA-256 (hex) of the normalised form, or of the lower-cased storage form
// when normalising leaves nothing. Equal hashes are the same memory.
std::string content_hash(std::string_view storage);

std::string sha256_hex(std::string_view bytes);

struct ParsedContent {
  std::string content;                            // with prefixes removed
  bool critical = false;                          // "critical:" seen
  std::optional<std::vector<std::string>> tags;   // "[a,b]:" seen
};

// "critical: [project,auth]: never expose tokens" -> critical, tags {project, auth}.
ParsedContent parse_prefixes(std::string_view storage);

// fact, preference, decision, rule, learning or issue, by keyword.
std::string infer_type(std::string_view content);

// "a, b,,c" -> {a, b, c}: trimmed, empties and repeats dropped, order kept.
std::vector<std::string> split_tags(std::string_view csv);
std::vector<std::string> clean_tags(const std::vector<std::string>& tags);
std::string join_tags(const std::vector<std::string>& tags);  // "a,b,c"

}  // namespace signet::engine
