#include "engine/content.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace signet::engine {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

// Whole-word search in lower-cased text; `word` may contain a space.
bool has_word(std::string_view text, std::string_view word) {
  auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || !is_word_char(text[pos - 1]);
    size_t end = pos + word.size();
    bool right = end >= text.size() || !is_word_char(text[end]);
    if (left && right) return true;
    pos = end;
  }
  return false;
}

}  // namespace

std::string storage_form(std::string_view content) {
  std::string out;
  out.reserve(content.size());
  bool in_space = false;
  for (char c : trim(content)) {
    if (is_space(c)) {
      in_space = true;
      continue;
    }
    if (in_space) out.push_back(' ');
    in_space = false;
    out.push_back(c);
  }
  return out;
}

std::string normalized_form(std::string_view storage) {
  std::string out = lower_ascii(storage);
  while (!out.empty() && std::string_view(".,!?;:").find(out.back()) != std::string_view::npos) out.pop_back();
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 0xf];
  }
  return out;
}

std::string content_hash(std::string_view storage) {
  std::string basis = normalized_form(storage);
  if (basis.empty()) basis = lower_ascii(storage);
  return sha256_hex(basis);
}

ParsedContent parse_prefixes(std::string_view storage) {
  ParsedContent out;
  std::string_view rest = trim(storage);
  if (starts_with_ci(rest, "critical:")) {
    out.critical = true;
    rest = trim(rest.substr(9));
  }
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find("]:");
    size_t newline = rest.find('\n');
    if (close != std::string_view::npos && (newline == std::string_view::npos || close < newline)) {
      out.tags = split_tags(rest.substr(1, close - 1));
      rest = trim(rest.substr(close + 2));
    }
  }
  out.content = std::string(rest);
  return out;
}

std::string infer_type(std::string_view content) {
  std::string text = lower_ascii(content);
  struct Rule {
    const char* type;
    std::initializer_list<const char*> words;
  };
  static const Rule rules[] = {
      {"preference", {"prefers", "prefer", "likes", "wants"}},
      {"decision", {"decided", "agreed", "will use"}},
      {"rule", {"never", "always", "must"}},
      {"learning", {"learned", "discovered"}},
      {"issue", {"bug", "broken", "problem"}},
  };
  for (const auto& rule : rules)
    for (const char* w : rule.words)
      if (has_word(text, w)) return rule.type;
  return "fact";
}

std::vector<std::string> clean_tags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& t : tags) {
    std::string v(trim(t));
    if (v.empty() || std::find(out.begin(), out.end(), v) != out.end()) continue;
    out.push_back(std::move(v));
  }
  return out;
}

std::vector<std::string> split_tags(std::string_view csv) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= csv.size()) {
    size_t comma = csv.find(',', start);
    if (comma == std::string_view::npos) comma = csv.size();
    parts.emplace_back(csv.substr(start, comma - start));
    start = comma + 1;
  }
  return clean_tags(parts);
}

std::string join_tags(const std::vector<std::string>& tags) {
  std::string out;
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i) out.push_back(',');
    out += tags[i];
  }
  return out;
}

}  // namespace signet::engine
