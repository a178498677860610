#include "tools/bench/workload.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <stdexcept>

namespace signet::bench {
namespace {

using u128 = unsigned __int128;

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A small deterministic stream of numbers from one 64-bit state.
class Rng {
 public:
  explicit Rng(uint64_t state) : s_(state) {}
  uint64_t next() { return s_ = splitmix64(s_); }
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  uint64_t s_;
};

using Vocab = std::vector<std::string>;

Vocab list(std::initializer_list<const char*> words) { return Vocab(words.begin(), words.end()); }

Vocab cross(const Vocab& a, const Vocab& b, const char* sep) {
  Vocab out;
  out.reserve(a.size() * b.size());
  for (const auto& x : a)
    for (const auto& y : b) out.push_back(x + sep + y);
  return out;
}

Vocab numbered(const char* prefix, int from, int to, int step = 1) {
  Vocab out;
  for (int i = from; i <= to; i += step) out.push_back(prefix + std::to_string(i));
  return out;
}

std::map<std::string, Vocab> make_vocabularies() {
  std::map<std::string, Vocab> v;
  v["person"] = list({"Alice", "Bob", "Priya", "Chen", "Mateo", "Aisha", "Kenji", "Olga", "Tomasz", "Fatima", "Lucas",
                      "Ingrid", "Ravi", "Sofia", "Dmitri", "Amara", "Hiroshi", "Elena", "Kwame", "Noor", "Jonas",
                      "Valentina", "Arjun", "Mei", "Santiago", "Leila", "Oskar", "Yuki", "Gabriel", "Zainab", "Henrik",
                      "Camila", "Anders", "Nadia", "Emeka", "Ling", "Pablo", "Astrid", "Farid", "Beatriz", "Malik",
                      "Hannah", "Viktor", "Ayesha", "Rohan", "Greta", "Tariq", "Chloe", "Mikhail", "Isabela", "Sven",
                      "Aaliyah", "Hugo", "Keiko", "Omar", "Freya", "Diego", "Anjali", "Lars", "Marisol", "Jamal",
                      "Saoirse", "Bjorn", "Esther", "Kofi", "Naomi", "Andrei", "Lucia", "Yusuf", "Elif", "Tobias",
                      "Marta", "Sanjay", "Clara", "Idris", "Petra", "Wei", "Rosa", "Emil", "Zara", "Niko", "Adaeze",
                      "Felix", "Sunita", "Otto", "Carmen", "Ibrahim", "Lena", "Jorge", "Mira", "Kai", "Ines", "Theo",
                      "Salma", "Rafael", "Hana", "Ilya", "Nia", "Marco", "Divya", "Karl", "Ana", "Bongani", "Siobhan",
                      "Pierre", "Akiko", "Musa", "Ewa", "Ahmed", "Linnea", "Vikram", "Joanna", "Chidi", "Paula",
                      "Stefan", "Yara", "Kirill", "Dana"});
  v["manager"] = list({"Margaret Okafor", "Daniel Reyes", "Grace Lindqvist", "Samuel Haddad", "Helen Nakamura",
                       "Victor Almeida", "Ruth Kowalski", "Patrick Mensah", "Julia Fernandes", "Arthur Bell",
                       "Monica Sato", "Edward Varga", "Lydia Castillo", "Philip Osei", "Irene Novak", "Charles Dube",
                       "Vera Holm", "Simon Achebe", "Teresa Moreau", "Martin Ivanov", "Alicia Banerjee",
                       "Gordon Tan", "Miriam Cohen", "Douglas Eze"});
  v["team"] = list({"platform", "billing", "search", "infra", "mobile", "data", "security", "design", "growth",
                    "support", "payments", "identity", "observability", "release", "frontend", "ML", "storage",
                    "networking", "developer experience", "analytics", "compliance", "onboarding", "messaging",
                    "edge"});
  v["editor"] = list({"vim", "Neovim", "Emacs", "VS Code", "Helix", "Zed", "Sublime Text", "IntelliJ IDEA", "CLion",
                      "GoLand", "PyCharm", "Xcode", "Kakoune", "nano", "Cursor", "RustRover"});
  v["theme"] = list({"Solarized Dark", "Gruvbox", "Nord", "Dracula", "One Dark", "Monokai", "Catppuccin Mocha",
                     "Tokyo Night", "Everforest", "Rose Pine", "Solarized Light", "GitHub Light", "Ayu Mirage",
                     "Kanagawa", "Zenburn", "high-contrast"});
  v["lang"] = list({"Rust", "Go", "TypeScript", "Python", "C++", "Kotlin", "Swift", "Elixir", "Java", "Ruby", "Zig",
                    "Haskell", "OCaml", "Scala", "C#", "PHP", "Lua", "Dart", "Julia", "Clojure", "Erlang", "Nim",
                    "R", "Perl"});
  v["db"] = list({"PostgreSQL", "SQLite", "Redis", "MySQL", "ClickHouse", "DuckDB", "MongoDB", "Cassandra",
                  "RocksDB", "DynamoDB", "Elasticsearch", "CockroachDB", "TimescaleDB", "Neo4j", "etcd",
                  "FoundationDB"});
  v["ci"] = list({"GitHub Actions", "GitLab CI", "Buildkite", "Jenkins", "CircleCI", "Drone", "Argo Workflows",
                  "Tekton", "TeamCity", "Travis"});
  v["infra"] = list({"Kubernetes", "Nomad", "Docker Compose", "AWS Lambda", "Cloudflare Workers", "Fly.io", "Heroku",
                     "Google Cloud Run", "ECS Fargate", "bare metal", "systemd units", "Azure Container Apps",
                     "OpenShift", "k3s", "Render", "a single VPS"});
  v["project"] = cross(list({"amber", "cobalt", "crimson", "silent", "rapid", "golden", "frozen", "hidden", "lunar",
                             "solar", "iron", "velvet", "copper", "misty", "northern", "quiet", "bright", "hollow",
                             "wild", "ancient", "electric", "paper", "glass", "stone", "coral", "ivory", "jade",
                             "onyx", "scarlet", "tidal", "winter", "autumn", "swift", "brave", "lucky", "clever",
                             "distant", "emerald", "polar", "violet"}),
                       list({"falcon", "otter", "heron", "badger", "lynx", "raven", "marten", "ibex", "condor",
                             "gecko", "walrus", "bison", "puffin", "jackal", "kestrel", "mantis", "narwhal", "ocelot",
                             "pelican", "quokka", "salmon", "tapir", "urchin", "vulture", "wombat", "yak", "zebra",
                             "beetle", "cougar", "dingo", "egret", "ferret", "gazelle", "hornet", "iguana", "koala",
                             "lemur", "moose", "newt", "osprey"}),
                       "-");
  v["service"] = cross(list({"billing", "search", "auth", "checkout", "notification", "inventory", "ledger",
                             "gateway", "profile", "catalog", "upload", "report", "scheduler", "webhook", "pricing",
                             "session", "media", "export", "audit", "feature-flag", "recommendation", "email",
                             "geo", "invoice", "chat", "metrics", "shipping", "ranking", "tenant", "sync"}),
                       list({"api", "worker", "service", "indexer", "proxy", "daemon", "frontend", "consumer",
                             "cron", "gateway", "store", "router"}),
                       "-");
  {
    Vocab versions;
    for (int major = 1; major <= 9; ++major)
      for (int minor = 0; minor <= 24; ++minor) versions.push_back(std::to_string(major) + "." + std::to_string(minor));
    v["version"] = versions;
  }
  v["port"] = numbered("", 3000, 9999);
  v["ticket"] = cross(list({"SIG", "OPS", "PLAT", "BUG", "INFRA", "DATA"}), numbered("", 100, 4999), "-");
  v["day"] = list({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"});
  {
    Vocab times;
    for (int h = 7; h <= 19; ++h)
      for (int m : {0, 15, 30, 45}) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%d:%02d", h, m);
        times.push_back(buf);
      }
    v["time"] = times;
  }
  v["date"] = cross(list({"January", "February", "March", "April", "May", "June", "July", "August", "September",
                          "October", "November", "December"}),
                    numbered("", 1, 28), " ");
  v["year"] = numbered("", 2016, 2025);
  v["duration"] = list({"15 minutes", "30 minutes", "an hour", "two hours", "four hours", "a day", "two days",
                        "three days", "a week", "two weeks", "a month", "90 days", "six months", "a quarter"});
  v["interval"] = list({"15 minutes", "30 minutes", "hour", "two hours", "six hours", "day", "two days", "week",
                        "two weeks", "month", "90 days", "quarter", "six months", "year"});
  v["reason"] = list({"because the old setup kept timing out", "to cut the cloud bill", "because the build was flaky",
                      "to simplify on-call", "since the licence expired", "to get better p99 latency",
                      "because the vendor was sunsetting it", "to unblock the mobile release",
                      "after the March outage", "to meet the audit deadline", "because nobody knew the old stack",
                      "to reduce cold starts", "to share tooling with the data team",
                      "because backups were too slow", "to support multiple regions", "to drop a dependency",
                      "because the tests took forty minutes", "so that staging matches production",
                      "to make local development easier", "because the schema kept drifting",
                      "after a security review", "to halve memory use", "because of rate limits upstream",
                      "to get rid of manual deploys", "so the interns can contribute",
                      "because the queue kept backing up", "to keep customer data in the EU",
                      "because it was the team's strongest skill", "to prepare for the IPO audit",
                      "after benchmarking three options"});
  v["meeting"] = list({"standup", "retro", "sprint planning", "one-on-one", "design review", "on-call handoff",
                       "architecture sync", "demo day", "incident review", "roadmap review", "hiring debrief",
                       "security office hours", "backlog grooming", "all-hands", "pairing session", "tech talk"});
  v["channel"] = list({"the #eng-general Slack channel", "Zoom", "Google Meet", "the big conference room",
                       "Microsoft Teams", "Discord", "room 4B", "the cafeteria", "a Slack huddle", "Jitsi",
                       "the Berlin office", "the Lisbon office"});
  v["review_channel"] = list({"Slack", "email", "GitHub comments", "Linear", "Jira", "Signal", "a phone call",
                              "Gerrit", "Phabricator", "Discord"});
  v["city"] = list({"Berlin", "Lisbon", "Toronto", "Nairobi", "Bangalore", "Tokyo", "Sao Paulo", "Warsaw",
                    "Melbourne", "Austin", "Dublin", "Seoul", "Lagos", "Mexico City", "Stockholm", "Cape Town",
                    "Singapore", "Montreal", "Amsterdam", "Madrid", "Helsinki", "Istanbul", "Denver", "Vancouver",
                    "Prague", "Buenos Aires", "Taipei", "Edinburgh", "Zurich", "Auckland", "Chicago", "Hanoi",
                    "Accra", "Vienna", "Oslo", "Manila", "Bogota", "Krakow", "Cairo", "Seattle"});
  v["drink"] = list({"black coffee", "oat milk lattes", "green tea", "sparkling water", "chai", "espresso",
                     "yerba mate", "hot chocolate", "rooibos", "cold brew", "flat whites", "earl grey"});
  v["diet"] = list({"vegetarian", "vegan", "gluten-free", "allergic to peanuts", "lactose intolerant",
                    "pescatarian", "on a low-sugar diet", "halal", "kosher", "fine with anything"});
  v["hobby"] = list({"bouldering", "sourdough baking", "chess", "trail running", "birdwatching", "woodworking",
                     "sailing", "film photography", "jazz piano", "board games", "gardening", "cycling",
                     "pottery", "kayaking", "origami", "astronomy", "salsa dancing", "knitting", "fly fishing",
                     "retro gaming"});
  v["role"] = list({"tech lead", "product owner", "engineering manager", "designer", "QA lead", "staff engineer",
                    "release manager", "security champion", "data scientist", "SRE", "technical writer",
                    "architect"});
  v["style"] = list({"short comments", "detailed explanations", "bullet points", "code suggestions over prose",
                     "one review per commit", "a summary first", "nitpicks labelled as optional",
                     "links to the style guide", "questions instead of demands", "approval only after CI passes",
                     "screenshots for UI changes", "small pull requests", "rationale for every change",
                     "tests next to the fix", "no emoji", "a checklist at the end"});
  v["cmd"] = list({"make lint", "npm test", "cargo fmt --check", "go vet ./...", "pre-commit run -a", "ruff check",
                   "mvn verify", "bazel test //...", "yarn typecheck", "cargo clippy", "pytest -x", "golangci-lint run",
                   "mix format --check-formatted", "swiftlint", "ktlint", "eslint .", "clang-format --dry-run",
                   "terraform validate", "helm lint", "shellcheck scripts/*.sh", "dotnet test", "bundle exec rspec",
                   "gradle check", "prettier --check ."});
  v["tool"] = list({"ESLint", "Prettier", "Renovate", "Dependabot", "Sentry", "Grafana", "Prometheus", "Datadog",
                    "PagerDuty", "Terraform", "Ansible", "Vault", "Helm", "Storybook", "Playwright", "Cypress",
                    "Webpack", "Vite", "Babel", "OpenTelemetry"});
  v["path"] = cross(list({"config", "deploy", "infra", "tools", "ci", ".github", "ops", "build", "scripts", "etc",
                          "settings", "platform", "charts", "env", "conf", "dev", "cluster", "stacks", "meta",
                          "support"}),
                    list({"main.yaml", "settings.toml", "values.yaml", "base.json", "rules.yml", "defaults.ini",
                          "pipeline.yml", "overrides.yaml", "local.env", "shared.toml", "policy.hcl", "app.conf",
                          "service.json", "stack.yaml", "lint.cfg", "targets.bzl", "profile.yaml", "checks.yml",
                          "release.toml", "limits.json"}),
                    "/");
  v["bug"] = list({"memory leak", "race condition", "timeout", "slow query", "flaky test", "broken login redirect",
                   "double charge", "stale cache", "deadlock", "off-by-one pagination", "timezone bug",
                   "unicode crash", "connection pool exhaustion", "missing index", "retry storm", "null pointer crash",
                   "CSV export truncation", "broken password reset", "duplicate emails", "wrong currency rounding",
                   "file descriptor leak", "CORS error", "certificate mismatch", "disk space alert"});
  v["alert"] = list({"high latency", "disk almost full", "5xx spike", "queue backlog", "certificate expiry",
                     "memory pressure", "replication lag", "error budget burn", "CPU saturation",
                     "failed health checks", "too many restarts", "DNS failures"});
  v["action"] = list({"check the Grafana dashboard", "scale up the replicas", "restart the worker pool",
                      "fail over to the standby", "drain the affected node", "roll back the last deploy",
                      "purge the CDN cache", "pause the cron jobs", "raise the connection limit",
                      "open an incident channel", "rotate the leader", "throttle the importer"});
  v["secret"] = list({"database password", "API keys", "TLS certificates", "SSH host keys", "OAuth client secret",
                      "webhook signing key", "service account tokens", "encryption keys", "SMTP credentials",
                      "deploy keys"});
  v["instruction"] = list({"write tests first", "keep functions under fifty lines", "use conventional commits",
                           "explain trade-offs before coding", "answer briefly", "avoid new dependencies",
                           "prefer composition over inheritance", "document every public function",
                           "run the full test suite before committing", "never force-push to main",
                           "use British spelling in docs", "keep pull requests under 400 lines",
                           "log in structured JSON", "ask before deleting files", "use tabs for indentation",
                           "pin every dependency version", "add a changelog entry", "benchmark before optimising",
                           "name branches after the ticket", "squash commits before merging"});
  v["step_build"] = list({"bump the version", "update the changelog", "run the migrations", "build the container",
                          "tag the release", "regenerate the API client", "freeze the lockfile",
                          "compile the assets"});
  v["step_deploy"] = list({"deploy to staging", "run the canary for an hour", "flip the feature flag",
                           "push to the blue cluster", "drain the old pods", "announce in the release channel",
                           "promote the image", "apply the Terraform plan"});
  v["step_verify"] = list({"watch the error rate", "run the smoke tests", "check the billing totals",
                           "verify the dashboards", "ask QA to sign off", "compare the metrics with last week",
                           "tail the logs for ten minutes", "close the release ticket"});
  v["fake"] = list({"Zanzibar", "quetzal", "Brindlewood", "Okonkwo", "Marzipan", "Thunderhead", "Vellichor",
                    "Quillon", "Saffronbay", "Gorseway", "Pemberly", "Juniperhall", "Tessellate", "Obsidianne",
                    "Wanderlark", "Halcyonix", "Fernweh", "Copperleaf", "Driftmoor", "Kittiwake", "Lanternfish",
                    "Moonraker", "Nimbostrat", "Orrery", "Pellucid", "Quagmire", "Rosewater", "Sable Point",
                    "Tamarind", "Umbrage", "Verdigris", "Whinstone", "Xylograph", "Yarrowfield", "Zephyrine",
                    "Albatross Nine", "Bellwether", "Cinnabar", "Dovecote", "Eiderdown"});
  return v;
}

const Vocab kHarnesses = {"claude-code", "opencode", "cursor", "codex", "openclaw", "mcp-client"};

struct TemplateSpec {
  const char* type;
  const char* tag;
  const char* sentence;
  std::vector<const char*> questions;
};

// Each template's combination space must hold at least kPerTemplateMin
// sentences, so capacity() = templates x that is at least 1M with room.
const std::vector<TemplateSpec>& template_specs() {
  static const std::vector<TemplateSpec> specs = {
      {"preference", "editor", "{person} prefers {editor} with the {theme} theme when writing {lang} for {project}.",
       {"which editor does {person} use for {lang}?", "what theme does {person} like in {editor}?",
        "what are {person}'s editor preferences on {project}?"}},
      {"preference", "reviews", "{person} likes {style} in code reviews on {service} and wants feedback through {review_channel} before {time}.",
       {"how does {person} like code reviews?", "where should review feedback for {person} go?",
        "what review style does {person} want on {service}?"}},
      {"preference", "storage", "For project {project}, {person} prefers {db} for storage {reason}.",
       {"which database does {person} want for {project}?", "why does {person} prefer {db} for {project}?",
        "what storage should {project} use?"}},
      {"preference", "personal", "{person} from the {team} team drinks {drink}, is {diet}, and enjoys {hobby} on weekends in {city}.",
       {"what does {person} drink?", "does {person} have dietary restrictions?", "what hobby does {person} have?"}},
      {"decision", "migration", "On {date} the {team} team decided to move {service} to {infra} {reason}.",
       {"where is {service} being moved?", "why did the {team} team move {service} to {infra}?",
        "what did {team} decide about {service}?"}},
      {"decision", "versions", "We decided to pin {lang} at version {version} for {service} until {ticket} is fixed.",
       {"which {lang} version is {service} pinned to?", "why is {service} pinned to {lang} {version}?",
        "what is blocking the {lang} upgrade for {service}?"}},
      {"decision", "storage", "The {team} team agreed to use {db} as the primary store for {project}, with backups every {interval} to {city}.",
       {"what database does {project} use?", "how often are {project} backups taken?",
        "where are the {project} backups stored?"}},
      {"fact", "people", "{person} is the {role} for {project} and works from {city} in the {team} team.",
       {"who is the {role} on {project}?", "where is {person} based?", "what does {person} do on {project}?"}},
      {"fact", "people", "{person}'s birthday is on {date}; they love {hobby} and {drink}, and joined in {year}.",
       {"when is {person}'s birthday?", "what hobby does {person} have?", "when did {person} join?"}},
      {"fact", "people", "{person} joined the {team} team in {year}, reports to {manager}, and mentors on {project}.",
       {"who does {person} report to?", "when did {person} join the {team} team?",
        "who is {manager} managing?"}},
      {"fact", "services", "The {service} service listens on port {port} and is deployed with {infra} by the {team} team.",
       {"what port does {service} use?", "how is {service} deployed?", "which service runs on port {port}?"}},
      {"rule", "ci", "Always run `{cmd}` before pushing to {service}, or the {ci} pipeline fails on {project}.",
       {"what should I run before pushing to {service}?", "why does the {ci} pipeline fail on {service}?",
        "which checks does {project} run in {ci}?"}},
      {"fact", "config", "The {tool} config for {project} lives in {path} and is owned by {person}.",
       {"where is the {tool} config for {project}?", "who owns the {tool} setup on {project}?",
        "what is in {path}?"}},
      {"fact", "releases", "Project {project} ships version {version} on {date}; {person} owns the release notes for {service}.",
       {"when does {project} ship {version}?", "who owns the release notes for {project}?",
        "what is the release date of {project} {version}?"}},
      {"issue", "bugs", "Ticket {ticket} tracks the {bug} in {service}; {person} is fixing it for {project}.",
       {"which ticket covers the {bug} in {service}?", "who is fixing the {service} {bug}?",
        "what is {ticket} about?"}},
      {"fact", "schedule", "The {team} {meeting} is every {day} at {time} in {channel}, hosted by {person}.",
       {"when is the {team} {meeting}?", "where is the {meeting} for {team} held?",
        "who hosts the {team} {meeting}?"}},
      {"fact", "on-call", "{person} is on call for {service} starting {date}, backed up by {manager}.",
       {"who is on call for {service}?", "when is {person} on call?", "who backs up {person} on call?"}},
      {"fact", "schedule", "{person} is out of office from {date} for {duration}; {manager} covers {service} meanwhile.",
       {"who covers {service} while {person} is away?", "when is {person} out of office?",
        "how long is {person} away?"}},
      {"procedure", "release", "To release {service}: {step_build}, then {step_deploy}, then {step_verify}; ask {person} if stuck.",
       {"how do I release {service}?", "what comes after {step_build} when releasing {service}?",
        "what is the release procedure for {service}?"}},
      {"procedure", "runbook", "When {service} alerts on {alert}, first {action}, then page {person} from the {team} team.",
       {"what should I do when {service} alerts on {alert}?", "who should be paged for {service} {alert}?",
        "what is the runbook for {alert} on {service}?"}},
      {"procedure", "security", "Rotate the {secret} for {service} every {interval} using {tool}; {person} keeps the checklist.",
       {"how often do we rotate the {secret} for {service}?", "which tool rotates the {service} {secret}?",
        "who keeps the {secret} rotation checklist?"}},
      {"rule", "instructions", "{person} asked to always {instruction} when working on {project} in {lang}.",
       {"what did {person} ask for on {project}?", "how should I work on {project}?",
        "what are {person}'s rules for {lang} code?"}},
  };
  return specs;
}

const std::vector<const char*>& no_answer_questions() {
  static const std::vector<const char*> q = {
      "what is the wifi password at the {fake} office?", "who maintains the {fake} plugin?",
      "when is the {fake} offsite?", "which vendor supplies {fake}?", "how do I reset the {fake} badge reader?",
      "what is the budget for {fake}?"};
  return q;
}

// A pattern split into literal text and slot references.
struct Piece {
  std::string text;
  int slot = -1;  // index into the template's slots, or -1 for literal text
};

struct Pattern {
  std::vector<Piece> pieces;
};

struct Template {
  std::string type;
  std::string tag;
  std::vector<const Vocab*> vocabs;   // per slot
  std::vector<std::string> slot_names;
  Pattern sentence;
  std::vector<Pattern> questions;
  int project_slot = -1;
  uint64_t space = 1;                 // product of the slots' vocabulary sizes
  uint64_t mul = 1;                   // the permutation's a (coprime with space)
  uint64_t add = 0;                   // the permutation's b
};

Pattern parse_pattern(const std::string& text, std::vector<std::string>& slot_names, bool may_add,
                      const std::map<std::string, Vocab>& vocabs, std::vector<const Vocab*>* slot_vocabs) {
  Pattern p;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) {
      p.pieces.push_back({text.substr(i), -1});
      break;
    }
    if (open > i) p.pieces.push_back({text.substr(i, open - i), -1});
    size_t close = text.find('}', open);
    if (close == std::string::npos) throw std::logic_error("unclosed slot in pattern: " + text);
    std::string name = text.substr(open + 1, close - open - 1);
    auto it = std::find(slot_names.begin(), slot_names.end(), name);
    int slot;
    if (it != slot_names.end()) {
      slot = static_cast<int>(it - slot_names.begin());
    } else {
      if (!may_add) throw std::logic_error("question uses a slot its sentence lacks: " + text);
      auto v = vocabs.find(name);
      if (v == vocabs.end()) throw std::logic_error("unknown vocabulary {" + name + "}");
      slot_names.push_back(name);
      slot_vocabs->push_back(&v->second);
      slot = static_cast<int>(slot_names.size() - 1);
    }
    p.pieces.push_back({"", slot});
    i = close + 1;
  }
  return p;
}

std::string render(const Pattern& p, const std::vector<const std::string*>& values) {
  std::string out;
  for (const auto& piece : p.pieces) out += piece.slot < 0 ? piece.text : *values[static_cast<size_t>(piece.slot)];
  return out;
}

uint64_t gcd64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Cuts one word to a prefix of 60-75% of its length (at least 4 letters).
std::string cut_word(const std::string& w, Rng& rng) {
  if (w.size() < 6) return w;
  size_t keep = std::max<size_t>(4, w.size() * (60 + rng.below(16)) / 100);
  return w.substr(0, keep);
}

// One typing mistake in a word of 5+ letters: swap, drop, double or replace.
std::string misspell_word(const std::string& w, Rng& rng) {
  std::string s = w;
  size_t pos = 1 + rng.below(s.size() - 2);  // never the first letter
  switch (rng.below(4)) {
    case 0: std::swap(s[pos], s[pos + 1 < s.size() ? pos + 1 : pos - 1]); break;
    case 1: s.erase(pos, 1); break;
    case 2: s.insert(pos, 1, s[pos]); break;
    default: {
      static const char* kNear = "qwertyuiopasdfghjklzxcvbnm";
      char c = kNear[rng.below(26)];
      s[pos] = std::isupper(static_cast<unsigned char>(s[pos])) ? static_cast<char>(std::toupper(c)) : c;
    }
  }
  return s == w ? w + "s" : s;
}

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (is_word_char(c)) {
      cur.push_back(c);
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

struct Workload::Impl {
  uint64_t seed = 0;
  std::map<std::string, Vocab> vocabs;
  std::vector<Template> templates;
  uint64_t capacity = 0;

  void decode(uint64_t i, const Template*& t, std::vector<const std::string*>& values) const {
    t = &templates[i % templates.size()];
    uint64_t k = i / templates.size();
    uint64_t combo = static_cast<uint64_t>((static_cast<u128>(k) * t->mul + t->add) % t->space);
    values.resize(t->vocabs.size());
    for (size_t s = 0; s < t->vocabs.size(); ++s) {
      const Vocab& v = *t->vocabs[s];
      values[s] = &v[combo % v.size()];
      combo /= v.size();
    }
  }
};

Workload::Workload(uint64_t seed) : impl_(std::make_unique<Impl>()) {
  impl_->seed = seed;
  impl_->vocabs = make_vocabularies();
  uint64_t min_space = UINT64_MAX;
  size_t index = 0;
  for (const auto& spec : template_specs()) {
    Template t;
    t.type = spec.type;
    t.tag = spec.tag;
    t.sentence = parse_pattern(spec.sentence, t.slot_names, true, impl_->vocabs, &t.vocabs);
    for (const char* q : spec.questions)
      t.questions.push_back(parse_pattern(q, t.slot_names, false, impl_->vocabs, nullptr));
    for (size_t s = 0; s < t.slot_names.size(); ++s)
      if (t.slot_names[s] == "project") t.project_slot = static_cast<int>(s);
    for (const Vocab* v : t.vocabs) t.space *= v->size();
    // a near the golden section of the space scatters consecutive k over every slot.
    Rng rng(splitmix64(seed ^ (0x5851f42d4c957f2dULL * (index + 1))));
    t.mul = static_cast<uint64_t>(static_cast<long double>(t.space) * 0.6180339887L) + rng.below(1000);
    while (gcd64(t.mul % t.space, t.space) != 1) ++t.mul;
    t.mul %= t.space;
    t.add = rng.below(t.space);
    min_space = std::min(min_space, t.space);
    impl_->templates.push_back(std::move(t));
    ++index;
  }
  impl_->capacity = min_space * impl_->templates.size();
}

Workload::~Workload() = default;

uint64_t Workload::capacity() const { return impl_->capacity; }
size_t Workload::template_count() const { return impl_->templates.size(); }

Memory Workload::memory(uint64_t i) const {
  const Template* t = nullptr;
  std::vector<const std::string*> values;
  impl_->decode(i, t, values);
  Memory m;
  m.content = render(t->sentence, values);
  m.type = t->type;
  m.tags = {t->tag};
  if (t->project_slot >= 0) {
    m.project = *values[static_cast<size_t>(t->project_slot)];
    m.tags.push_back(m.project);
  }
  Rng rng(splitmix64(impl_->seed * 31 + i));
  m.who = kHarnesses[rng.below(kHarnesses.size())];
  m.importance = static_cast<double>(3 + rng.below(7)) / 10.0;
  return m;
}

Question Workload::question(uint64_t q, uint64_t loaded) const {
  Rng rng(splitmix64(splitmix64(impl_->seed ^ 0xa0761d6478bd642fULL) + q));
  Question out;
  uint64_t roll = rng.below(100);
  out.kind = roll < 60 ? QuestionKind::kNatural
             : roll < 80 ? QuestionKind::kPartial
             : roll < 92 ? QuestionKind::kMisspelled
                         : QuestionKind::kNoAnswer;
  if (out.kind == QuestionKind::kNoAnswer) {
    const auto& patterns = no_answer_questions();
    std::string p = patterns[rng.below(patterns.size())];
    const Vocab& fake = impl_->vocabs.at("fake");
    size_t at = p.find("{fake}");
    out.text = p.substr(0, at) + fake[rng.below(fake.size())] + p.substr(at + 6);
    return out;
  }
  out.source = rng.below(std::max<uint64_t>(1, loaded));
  const Template* t = nullptr;
  std::vector<const std::string*> values;
  impl_->decode(out.source, t, values);
  if (out.kind == QuestionKind::kPartial) {
    // Two or three of the memory's slot values, as words, some cut short.
    std::vector<size_t> slots(values.size());
    std::iota(slots.begin(), slots.end(), 0);
    for (size_t i = slots.size(); i > 1; --i) std::swap(slots[i - 1], slots[rng.below(i)]);
    size_t take = std::min<size_t>(slots.size(), 2 + rng.below(2));
    bool cut_any = false;
    for (size_t n = 0; n < take; ++n) {
      std::vector<std::string> words;
      for (auto& w : words_of(*values[slots[n]]))  // numbers alone make poor keywords
        if (!std::all_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
          words.push_back(std::move(w));
      if (words.size() > 3) words.resize(3);  // long phrases: their first words
      for (auto& w : words) {
        std::string lower = w;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool cut = lower.size() >= 6 && (rng.below(2) == 0 || !cut_any);
        if (cut) {
          lower = cut_word(lower, rng);
          cut_any = true;
        }
        if (!out.text.empty()) out.text.push_back(' ');
        out.text += lower;
      }
    }
    if (out.text.empty()) out.text = render(t->questions.front(), values);
    return out;
  }
  const Pattern& p = t->questions[rng.below(t->questions.size())];
  if (out.kind == QuestionKind::kNatural) {
    out.text = render(p, values);
    return out;
  }
  // Misspelled: one word of 5+ letters inside a slot value of the question.
  std::vector<int> used;
  for (const auto& piece : p.pieces)
    if (piece.slot >= 0) used.push_back(piece.slot);
  std::vector<std::string> own(values.size());
  for (size_t s = 0; s < values.size(); ++s) own[s] = *values[s];
  for (size_t attempt = 0; attempt < used.size() * 2; ++attempt) {
    auto s = static_cast<size_t>(used[rng.below(used.size())]);
    auto words = words_of(own[s]);
    std::vector<std::string> long_words;
    for (const auto& w : words)
      if (w.size() >= 5) long_words.push_back(w);
    if (long_words.empty()) continue;
    const std::string& w = long_words[rng.below(long_words.size())];
    size_t at = own[s].find(w);
    own[s] = own[s].substr(0, at) + misspell_word(w, rng) + own[s].substr(at + w.size());
    break;
  }
  std::vector<const std::string*> ptrs;
  for (const auto& s : own) ptrs.push_back(&s);
  out.text = render(p, ptrs);
  if (out.text == render(p, values)) {
    // No slot word long enough (e.g. "Wei"): misspell a word of the question itself.
    std::vector<std::string> long_words;
    for (const auto& w : words_of(out.text))
      if (w.size() >= 5) long_words.push_back(w);
    if (!long_words.empty()) {
      const std::string& w = long_words[rng.below(long_words.size())];
      size_t at = out.text.find(w);
      out.text = out.text.substr(0, at) + misspell_word(w, rng) + out.text.substr(at + w.size());
    }
  }
  return out;
}

const char* question_kind_name(QuestionKind k) {
  switch (k) {
    case QuestionKind::kNatural: return "natural";
    case QuestionKind::kPartial: return "partial";
    case QuestionKind::kMisspelled: return "misspelled";
    case QuestionKind::kNoAnswer: return "no-answer";
  }
  return "natural";
}

std::string Memory::remember_body() const {
  nlohmann::json j = {{"content", content}, {"type", type}, {"tags", tags}, {"importance", importance},
                      {"who", who}};
  if (!project.empty()) j["project"] = project;
  return j.dump();
}

std::string Question::recall_body(size_t limit) const {
  return nlohmann::json{{"query", text}, {"limit", limit}}.dump();
}

}  // namespace signet::bench
