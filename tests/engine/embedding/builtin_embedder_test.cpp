// The builtin embedder: deterministic unit vectors of the configured dims;
// shared words, word forms and misspellings land closer than unrelated text;
// blank text gets the fixed blank vector; the stemmer's rules. Prints a rough
// µs/embedding figure (measured, not asserted).
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <thread>

#include "engine/embedding/builtin_embedder.h"
#include "engine/embedding/unit_vector.h"

using namespace signet;
using namespace signet::engine;

namespace {

std::unique_ptr<BuiltinEmbedder> builtin(uint32_t dims = BuiltinEmbedder::kDefaultDims) {
  auto e = BuiltinEmbedder::create(dims);
  REQUIRE(e.ok());
  return std::move(e).value();
}

std::vector<float> embed(Embedder& e, const std::string& text) {
  auto r = e.embed({text});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  return (*r)[0];
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += static_cast<double>(a[i]) * b[i];
  return dot;  // both are unit vectors
}

double norm(const std::vector<float>& v) { return std::sqrt(cosine(v, v)); }

}  // namespace

TEST_CASE("builtin reports its provider, model and default dims", "[embedding][builtin]") {
  auto e = builtin();
  CHECK(e->provider() == "builtin");
  CHECK(e->model() == "builtin-v1");
  CHECK(e->dims() == 256);
  CHECK(e->check().ok());
}

TEST_CASE("builtin gives the same unit vector for the same text every time", "[embedding][builtin]") {
  auto e = builtin();
  const std::string text = "User prefers vim keybindings in every editor";
  auto a = embed(*e, text);
  auto b = embed(*e, text);
  auto other = builtin();
  auto c = embed(*other, text);
  REQUIRE(a.size() == 256);
  CHECK(a == b);
  CHECK(a == c);
  CHECK(norm(a) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("builtin vectors are the same on another thread", "[embedding][builtin]") {
  auto e = builtin();
  const std::string text = "Deploys go through the staging cluster first";
  auto here = embed(*e, text);
  std::vector<float> there;
  std::thread t([&] {
    auto r = e->embed({"warm up the thread's table with other text", text});
    if (r.ok()) there = (*r)[1];
  });
  t.join();
  CHECK(here == there);
}

TEST_CASE("builtin vectors do not change between releases", "[embedding][builtin]") {
  // builtin-v1 vectors are stored in journals; any change to the features,
  // weights or hashing must come with a new model name instead.
  auto e = builtin(16);
  auto v = embed(*e, "The deploy failed");
  uint64_t fingerprint = 0xcbf29ce484222325ull;
  for (float x : v) {
    uint32_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    for (int k = 0; k < 4; ++k) fingerprint = (fingerprint ^ ((bits >> (8 * k)) & 0xFF)) * 0x100000001b3ull;
  }
  INFO("fingerprint " << fingerprint);
  CHECK(fingerprint == 11174544470868914406ull);
}

TEST_CASE("builtin puts sentences that share words closer than unrelated ones", "[embedding][builtin]") {
  auto e = builtin();
  auto deploy_a = embed(*e, "The deploy to staging failed because the database migration timed out");
  auto deploy_b = embed(*e, "Deploying to staging failed: the database migration timeout again");
  auto editor = embed(*e, "User prefers dark mode and vim keybindings in the editor");
  auto food = embed(*e, "Alice is allergic to peanuts and shellfish");
  CHECK(cosine(deploy_a, deploy_b) > 0.5);
  CHECK(cosine(deploy_a, deploy_b) > cosine(deploy_a, editor) + 0.3);
  CHECK(cosine(deploy_a, deploy_b) > cosine(deploy_a, food) + 0.3);
  CHECK(std::abs(cosine(editor, food)) < 0.2);
}

TEST_CASE("builtin keeps a misspelt word near the right sentence", "[embedding][builtin]") {
  auto e = builtin();
  auto editor = embed(*e, "User prefers vim keybindings in the editor");
  auto deploy = embed(*e, "The deploy to staging failed on Tuesday");
  auto food = embed(*e, "Alice is allergic to peanuts");
  auto typo = embed(*e, "keybindngs");
  CHECK(cosine(typo, editor) > 0.1);
  CHECK(cosine(typo, editor) > cosine(typo, deploy) + 0.1);
  CHECK(cosine(typo, editor) > cosine(typo, food) + 0.1);

  auto typo_sentence = embed(*e, "what are the users keybindngs in vim");
  CHECK(cosine(typo_sentence, editor) > cosine(typo_sentence, deploy) + 0.2);
}

TEST_CASE("builtin puts word forms of one verb close together", "[embedding][builtin]") {
  auto e = builtin();
  auto deploy = embed(*e, "deploy");
  auto deploying = embed(*e, "deploying");
  auto deployed = embed(*e, "deployed");
  auto deploys = embed(*e, "deploys");
  auto database = embed(*e, "database");
  CHECK(cosine(deploy, deploying) > 0.75);
  CHECK(cosine(deploy, deployed) > 0.75);
  CHECK(cosine(deploy, deploys) > 0.75);
  CHECK(std::abs(cosine(deploy, database)) < 0.2);
}

TEST_CASE("builtin stems common English endings", "[embedding][builtin]") {
  CHECK(builtin_stem("deploying") == "deploy");
  CHECK(builtin_stem("deployed") == "deploy");
  CHECK(builtin_stem("deploys") == "deploy");
  CHECK(builtin_stem("deployments") == "deploy");
  CHECK(builtin_stem("memories") == "memory");
  CHECK(builtin_stem("memory") == "memory");
  CHECK(builtin_stem("stored") == builtin_stem("store"));
  CHECK(builtin_stem("storing") == builtin_stem("store"));
  CHECK(builtin_stem("running") == "run");
  CHECK(builtin_stem("migration") == builtin_stem("migrated"));
  CHECK(builtin_stem("implemented") == builtin_stem("implement"));
  CHECK(builtin_stem("embedded") == "embed");
  CHECK(builtin_stem("embedding") == "embed");
  CHECK(builtin_stem("embed") == "embed");
  CHECK(builtin_stem("speed") == "speed");   // -eed is not -ed
  CHECK(builtin_stem("status") == "status"); // -us is not a plural
  CHECK(builtin_stem("class") == "class");
  CHECK(builtin_stem("vim") == "vim");       // short words are left alone
}

TEST_CASE("builtin ignores case, punctuation and apostrophes", "[embedding][builtin]") {
  auto e = builtin();
  CHECK(embed(*e, "User prefers VIM.") == embed(*e, "user prefers vim"));
  CHECK(embed(*e, "the user's editor") == embed(*e, "the users editor"));
  CHECK(embed(*e, "the user\xE2\x80\x99s editor") == embed(*e, "the users editor"));
}

TEST_CASE("builtin honours the dims setting and rejects impossible ones", "[embedding][builtin]") {
  for (uint32_t dims : {16u, 100u, 768u, 4096u}) {
    auto e = builtin(dims);
    auto v = embed(*e, "a sentence about vim keybindings");
    CHECK(e->dims() == dims);
    CHECK(v.size() == dims);
    CHECK(norm(v) == Approx(1.0).epsilon(1e-5));
  }
  CHECK(BuiltinEmbedder::create(15).status().code() == Code::kInvalidArgument);
  CHECK(BuiltinEmbedder::create(4097).status().code() == Code::kInvalidArgument);
  CHECK(BuiltinEmbedder::create(0).status().code() == Code::kInvalidArgument);
}

TEST_CASE("builtin gives blank text one fixed unit vector, far from real text", "[embedding][builtin]") {
  auto e = builtin();
  auto r = e->embed({"", "   \n\t", "!!! ... ---", "vim keybindings"});
  REQUIRE(r.ok());
  const auto& v = *r;
  std::vector<float> blank(256);
  fill_blank_text_vector(blank);
  CHECK(v[0] == blank);
  CHECK(v[1] == blank);
  CHECK(v[2] == blank);  // punctuation only: nothing to embed either
  CHECK(norm(v[0]) == Approx(1.0).epsilon(1e-6));
  CHECK(std::abs(cosine(v[0], v[3])) < 0.3);
}

TEST_CASE("builtin embeds a batch in order, and an empty batch as nothing", "[embedding][builtin]") {
  auto e = builtin();
  auto batch = e->embed({"first text about vim", "second text about deploys", "third about peanuts"});
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 3);
  CHECK((*batch)[0] == embed(*e, "first text about vim"));
  CHECK((*batch)[2] == embed(*e, "third about peanuts"));
  auto none = e->embed({});
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("builtin handles long tokens, long texts and non-ASCII text", "[embedding][builtin]") {
  auto e = builtin();
  std::string hash(200, 'a');
  auto v = embed(*e, "commit " + hash + " fixed the build");
  CHECK(norm(v) == Approx(1.0).epsilon(1e-5));
  std::string book;
  for (int i = 0; i < 5000; ++i) book += "word" + std::to_string(i % 700) + " and more words ";
  auto long_text = embed(*e, book);
  CHECK(norm(long_text) == Approx(1.0).epsilon(1e-5));
  auto cafe = embed(*e, "Le café est fermé le dimanche");
  auto cafe2 = embed(*e, "le café ferme tard");
  CHECK(cosine(cafe, cafe2) > 0.2);
  auto invalid_utf8 = embed(*e, std::string("bad \xFF\xFE bytes"));
  CHECK(norm(invalid_utf8) == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("builtin speed (printed, not asserted)", "[embedding][builtin][bench]") {
  auto e = builtin();
  const std::vector<std::string> sentences = {
      "User prefers vim keybindings in every editor",
      "The deploy to staging failed because the database migration timed out",
      "Alice is allergic to peanuts and shellfish",
      "Always run the test suite before pushing to main",
      "The project uses CMake and builds on Debian bookworm",
  };
  std::vector<float> out(e->dims());
  const int rounds = 20000;
  double checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    e->embed_into(sentences[i % sentences.size()], out);
    checksum += out[i % out.size()];
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double us = std::chrono::duration<double, std::micro>(elapsed).count() / rounds;
  std::printf("builtin embedder: %.2f us per embedding (256 dims, ~8-word sentences; checksum %.3f)\n", us, checksum);
  SUCCEED();
}
