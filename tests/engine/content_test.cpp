// Content rules shared with upstream Signet: storage form, normalisation and
// hashing, prefixes, type inference, tags.
#include <catch2/catch.hpp>

#include "engine/content.h"

using namespace signet::engine;

TEST_CASE("storage form trims and collapses whitespace", "[content]") {
  CHECK(storage_form("  User   prefers\t\tvim \n keys  ") == "User prefers vim keys");
  CHECK(storage_form("\n\t ") == "");
}

TEST_CASE("normalised form lowercases and strips trailing punctuation", "[content]") {
  CHECK(normalized_form("User Prefers Vim!!") == "user prefers vim");
  CHECK(normalized_form("What? Really.,;:") == "what? really");
  CHECK(normalized_form("...") == "");
}

TEST_CASE("content that differs only in case, spacing or final punctuation hashes the same", "[content]") {
  std::string h = content_hash(storage_form("User prefers vim keybindings"));
  CHECK(content_hash(storage_form("  user PREFERS   vim keybindings. ")) == h);
  CHECK(content_hash(storage_form("User prefers vim keybindings!?")) == h);
  CHECK(content_hash(storage_form("User prefers emacs keybindings")) != h);
  CHECK(h.size() == 64);
}

TEST_CASE("content that normalises to nothing hashes its lower-cased storage form", "[content]") {
  CHECK(content_hash("...") == sha256_hex("..."));
  CHECK(content_hash("?!") != content_hash("..."));
}

TEST_CASE("sha256 matches a known vector", "[content]") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("critical and tag prefixes are parsed and removed", "[content]") {
  auto p = parse_prefixes("critical: never expose tokens");
  CHECK(p.critical);
  CHECK_FALSE(p.tags);
  CHECK(p.content == "never expose tokens");

  p = parse_prefixes("[project, auth]: rotate keys monthly");
  CHECK_FALSE(p.critical);
  REQUIRE(p.tags);
  CHECK(*p.tags == std::vector<std::string>{"project", "auth"});
  CHECK(p.content == "rotate keys monthly");

  p = parse_prefixes("CRITICAL: [project,auth]: never expose tokens");
  CHECK(p.critical);
  CHECK(*p.tags == std::vector<std::string>{"project", "auth"});
  CHECK(p.content == "never expose tokens");

  p = parse_prefixes("[not a tag list] just text");
  CHECK_FALSE(p.tags);
  CHECK(p.content == "[not a tag list] just text");
}

TEST_CASE("type is inferred from keywords, fact by default", "[content]") {
  CHECK(infer_type("User prefers dark mode") == "preference");
  CHECK(infer_type("We decided to use PostgreSQL") == "decision");
  CHECK(infer_type("Team will use bun") == "decision");
  CHECK(infer_type("Never commit secrets") == "rule");
  CHECK(infer_type("I learned that X") == "learning");
  CHECK(infer_type("The login page is broken") == "issue");
  CHECK(infer_type("Signet stores data") == "fact");
  CHECK(infer_type("debugging is fun") == "fact");  // "bug" only as a word
}

TEST_CASE("tags are trimmed, deduplicated, order kept", "[content]") {
  CHECK(split_tags(" a, b,,a , c ") == std::vector<std::string>{"a", "b", "c"});
  CHECK(split_tags("") == std::vector<std::string>{});
  CHECK(join_tags({"a", "b"}) == "a,b");
}
