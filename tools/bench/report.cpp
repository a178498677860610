#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

namespace signet::bench {
namespace {

using nlohmann::json;

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

// 1234567 -> "1,234,567"
std::string grouped(double v) {
  auto n = static_cast<long long>(std::llround(v));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string ms(double v) {
  if (v < 1) return fmt("%.3f", v);
  if (v < 10) return fmt("%.2f", v);
  if (v < 100) return fmt("%.1f", v);
  return grouped(v);
}

using Formatter = std::function<std::string(double)>;

// Figures shown in the table, in this text; the rest are in the JSON only.
const std::map<std::string, Formatter>& formatters() {
  static const std::map<std::string, Formatter> f = {
      {"ops_per_s", [](double v) { return grouped(v) + "/s"; }},
      {"p50_ms", [](double v) { return "p50 " + ms(v) + " ms"; }},
      {"p99_ms", [](double v) { return "p99 " + ms(v) + " ms"; }},
      {"errors", [](double v) { return grouped(v) + " err"; }},
      {"deduped", [](double v) { return v > 0 ? grouped(v) + " deduped" : std::string(); }},
      {"stale", [](double v) { return v > 0 ? grouped(v) + " stale" : std::string(); }},
      {"listen_overflows", [](double v) { return v > 0 ? grouped(v) + " listen overflows" : std::string(); }},
      {"syncs_per_remember", [](double v) { return fmt("%.2f fsyncs/remember", v); }},
      {"added", [](double v) { return "+" + grouped(v) + " in"; }},
      {"seconds", [](double v) { return fmt("%.2f s", v); }},
      {"catchup_s", [](double v) { return fmt("(catch-up %.2f s)", v); }},
      {"rss_mib", [](double v) { return fmt("%.1f MiB", v); }},
      {"rss_anon_mib", [](double v) { return fmt("(anon %.1f,", v); }},
      {"rss_file_mib", [](double v) { return fmt("files %.1f)", v); }},
      {"rss_after_queries_mib", [](double v) { return fmt("(%.1f after queries)", v); }},
      {"open_fds", [](double v) { return grouped(v) + " fds"; }},
      {"threads", [](double v) { return grouped(v) + " threads"; }},
      {"startup_ms", [](double v) { return ms(v) + " ms"; }},
      {"shutdown_ms", [](double v) { return "(stop " + ms(v) + " ms)"; }},
      {"events", [](double v) { return grouped(v) + " events"; }},
      {"events_per_s", [](double v) { return grouped(v) + " events/s"; }},
      {"rebuild_s", [](double v) { return fmt("rebuild %.2f s", v); }},
      {"empty_answerable", [](double v) { return grouped(v) + " empty"; }},
      {"answerable", [](double v) { return "of " + grouped(v) + " answerable,"; }},
      {"found_top10_pct", [](double v) { return fmt("source in top 10: %.0f%%", v); }},
  };
  return f;
}

const char* figure_short(const std::string& figure) {
  static const std::map<std::string, const char*> names = {
      {"ops_per_s", "/s"}, {"p50_ms", "p50"}, {"p99_ms", "p99"}, {"rss_mib", "RSS"}, {"startup_ms", "start-up"}};
  auto it = names.find(figure);
  return it == names.end() ? figure.c_str() : it->second;
}

std::string target_text(const Target& t) {
  std::string v;
  if (t.figure == "ops_per_s") v = grouped(t.value) + "/s";
  else if (t.figure == "rss_mib") v = grouped(t.value) + " MiB";
  else if (t.figure.size() > 3 && t.figure.compare(t.figure.size() - 3, 3, "_ms") == 0) v = ms(t.value) + " ms";
  else v = ms(t.value);
  std::string name = t.figure == "ops_per_s" || t.figure == "rss_mib" || t.figure == "startup_ms" ? "" : std::string(figure_short(t.figure)) + " ";
  return name + (t.at_least ? ">= " : "<= ") + v;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string pad(const std::string& s, size_t w) {
  // Column widths count bytes; every string here is ASCII.
  return s.size() >= w ? s : s + std::string(w - s.size(), ' ');
}

std::string result_text(const Row& row) {
  if (row.skipped) return "skipped: " + row.note;
  std::string out;
  const auto& f = formatters();
  for (const auto& [name, v] : row.figures) {
    auto it = f.find(name);
    if (it == f.end()) continue;
    std::string s = it->second(v);
    if (s.empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += s;
  }
  return out;
}

}  // namespace

Row& Row::set(const std::string& name, double v) {
  for (auto& [k, old] : figures)
    if (k == name) {
      old = v;
      return *this;
    }
  figures.emplace_back(name, v);
  return *this;
}

std::optional<double> Row::get(const std::string& name) const {
  for (const auto& [k, v] : figures)
    if (k == name) return v;
  return std::nullopt;
}

std::string scale_name(uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

void attach_targets(Row& row) {
  auto at = [&](const char* phase_id, uint64_t scale) { return row.id == phase_id && (scale == 0 || row.scale == scale); };
  if (at("remember.c1", 0)) {
    row.targets = {{"ops_per_s", true, 2500}};
    row.upstream = "694/s (not fsynced)";
    row.upstream_figures = {{"ops_per_s", 694}};
  } else if (at("remember.c8", 0)) {
    row.targets = {{"ops_per_s", true, 10000}};
    row.upstream = "1,038/s (not fsynced)";
    row.upstream_figures = {{"ops_per_s", 1038}};
  } else if (row.phase == "recall" && row.id.rfind("recall.c8@", 0) == 0 && row.scale == 10000) {
    row.targets = {{"ops_per_s", true, 5000}, {"p99_ms", false, 5}};
    row.upstream = "41/s with vectors (p50 24 ms), 624/s keyword-only";
    row.upstream_figures = {{"ops_per_s", 41}, {"p50_ms", 24}};
  } else if (row.phase == "recall" && row.id.rfind("recall.c8@", 0) == 0 && row.scale == 1000000) {
    row.targets = {{"p99_ms", false, 25}};
  } else if (row.phase == "health") {
    row.targets = {{"ops_per_s", true, 15000}};
  } else if (row.id == "rss.idle") {
    row.targets = {{"rss_mib", false, 20}};
    row.upstream = "102 MiB";
    row.upstream_figures = {{"rss_mib", 102}};
  } else if (row.phase == "rss" && row.scale == 10000) {
    row.targets = {{"rss_mib", false, 60}};
    row.upstream = "157 MiB";
    row.upstream_figures = {{"rss_mib", 157}};
  } else if (row.phase == "startup" && row.scale == 10000) {
    row.targets = {{"startup_ms", false, 100}};
    row.upstream = "968 ms";
    row.upstream_figures = {{"startup_ms", 968}};
  } else if (row.phase == "startup" && row.scale == 1000000) {
    row.targets = {{"startup_ms", false, 1000}};
  } else if (row.phase == "quality" && row.scale == 10000) {
    row.upstream = "nothing found for 35/200";
    row.upstream_figures = {{"empty_answerable", 35}};
  } else if (row.phase == "quality" && row.scale == 1000) {
    row.upstream = "nothing found for 132/200";
    row.upstream_figures = {{"empty_answerable", 132}};
  }
}

Verdict judge(const Row& row) {
  Verdict v;
  auto errors = row.get("errors");
  if (row.skipped || row.targets.empty()) {
    v.text = row.skipped ? "skipped" : (errors && *errors > 0) ? "ERRORS" : "-";
    return v;
  }
  v.any_target = true;
  std::string missed;
  for (const auto& t : row.targets) {
    auto value = row.get(t.figure);
    json tj = {{"figure", t.figure}, {"op", t.at_least ? ">=" : "<="}, {"value", t.value}};
    if (!value) {
      tj["met"] = nullptr;
      v.targets.push_back(tj);
      continue;
    }
    bool met = t.at_least ? *value >= t.value : *value <= t.value;
    double ratio = t.value != 0 ? *value / t.value : 0;
    tj["measured"] = *value;
    tj["met"] = met;
    tj["ratio"] = ratio;  // measured / target
    v.targets.push_back(tj);
    if (!met) {
      v.met = false;
      if (!missed.empty()) missed += ", ";
      missed += std::string(figure_short(t.figure)) + " " + fmt(ratio < 0.1 ? "%.3fx" : "%.2fx", ratio) + " target";
    }
  }
  // An error in a measured phase voids the verdict.
  if (errors && *errors > 0) {
    v.met = false;
    missed = (missed.empty() ? "" : missed + ", ") + "ERRORS";
  }
  v.text = v.met ? "met" : "MISSED: " + missed;
  return v;
}

std::vector<Row> aggregate(const std::vector<std::vector<Row>>& rounds) {
  std::vector<Row> out;
  // Every id of any round, in order of first appearance: a row only some
  // rounds have (a daemon that exited badly) must not be lost.
  std::vector<const Row*> firsts;
  for (const auto& round : rounds)
    for (const Row& x : round)
      if (std::none_of(firsts.begin(), firsts.end(), [&](const Row* f) { return f->id == x.id; }))
        firsts.push_back(&x);
  for (const Row* first_row : firsts) {
    const Row& first = *first_row;
    Row r = first;
    r.figures.clear();
    r.rounds.clear();
    std::vector<const Row*> same;
    for (const auto& round : rounds)
      for (const Row& x : round)
        if (x.id == first.id) same.push_back(&x);
    for (const auto& [name, ignored] : first.figures) {
      std::vector<double> values;
      for (const Row* x : same)
        if (auto v = x->get(name)) values.push_back(*v);
      double agg = 0;
      if (name == "errors")
        for (double v : values) agg += v;
      else
        agg = median(values);
      r.figures.emplace_back(name, agg);
    }
    for (const Row* x : same) r.rounds.push_back(x->figures);
    r.skipped = std::all_of(same.begin(), same.end(), [](const Row* x) { return x->skipped; });
    out.push_back(std::move(r));
  }
  return out;
}

std::string format_table(const std::vector<Row>& rows) {
  struct Line {
    std::string label, scale, result, target, upstream, verdict;
  };
  std::vector<Line> lines = {{"measurement", "scale", "result", "target", "upstream", "verdict"}};
  for (const Row& r : rows) {
    Line l;
    l.label = r.label;
    l.scale = r.scale ? scale_name(r.scale) : "-";
    l.result = result_text(r);
    for (const auto& t : r.targets) l.target += (l.target.empty() ? "" : ", ") + target_text(t);
    if (l.target.empty()) l.target = "-";
    l.upstream = r.upstream.empty() ? "-" : r.upstream;
    l.verdict = judge(r).text;
    lines.push_back(std::move(l));
  }
  size_t w[5] = {0, 0, 0, 0, 0};
  for (const auto& l : lines) {
    w[0] = std::max(w[0], l.label.size());
    w[1] = std::max(w[1], l.scale.size());
    w[2] = std::max(w[2], l.result.size());
    w[3] = std::max(w[3], l.target.size());
    w[4] = std::max(w[4], l.upstream.size());
  }
  std::ostringstream out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    out << pad(l.label, w[0]) << "  " << pad(l.scale, w[1]) << "  " << pad(l.result, w[2]) << "  "
        << pad(l.target, w[3]) << "  " << pad(l.upstream, w[4]) << "  " << l.verdict << "\n";
    if (i == 0) {
      size_t total = w[0] + w[1] + w[2] + w[3] + w[4] + 10 + 7;
      out << std::string(total, '-') << "\n";
    }
  }
  return out.str();
}

namespace {

struct Pair {
  const Row* a;
  const Row* b;
};

std::vector<Pair> pairs_of(const std::vector<Row>& a, const std::vector<Row>& b) {
  std::vector<Pair> out;
  for (const Row& x : a)
    for (const Row& y : b)
      if (x.id == y.id && !x.skipped && !y.skipped) out.push_back({&x, &y});
  return out;
}

bool compared(const std::string& figure) {
  return formatters().count(figure) && figure != "added" && figure != "answerable";
}

}  // namespace

std::string format_comparison(const std::vector<Row>& a, const std::vector<Row>& b, const std::string& a_name,
                              const std::string& b_name) {
  std::vector<std::vector<std::string>> lines = {{"measurement", "scale", "figure", a_name, b_name, "B/A"}};
  for (const auto& p : pairs_of(a, b)) {
    for (const auto& [name, av] : p.a->figures) {
      if (!compared(name)) continue;
      auto bv = p.b->get(name);
      if (!bv) continue;
      if (name != "errors" && av == 0 && *bv == 0) continue;
      std::string ratio = av != 0 ? fmt("%.2f", *bv / av) : (*bv == 0 ? "=" : "inf");
      lines.push_back({p.a->label, p.a->scale ? scale_name(p.a->scale) : "-", name, ms(av), ms(*bv), ratio});
    }
  }
  std::vector<size_t> w(6, 0);
  for (const auto& l : lines)
    for (size_t i = 0; i < 6; ++i) w[i] = std::max(w[i], l[i].size());
  std::ostringstream out;
  for (size_t n = 0; n < lines.size(); ++n) {
    for (size_t i = 0; i < 6; ++i) out << pad(lines[n][i], w[i]) << (i + 1 < 6 ? "  " : "\n");
    if (n == 0) {
      size_t total = 10;
      for (size_t x : w) total += x;
      out << std::string(total, '-') << "\n";
    }
  }
  return out.str();
}

json comparison_json(const std::vector<Row>& a, const std::vector<Row>& b) {
  json out = json::array();
  for (const auto& p : pairs_of(a, b))
    for (const auto& [name, av] : p.a->figures) {
      auto bv = p.b->get(name);
      if (!bv) continue;
      out.push_back({{"id", p.a->id},
                     {"label", p.a->label},
                     {"scale", p.a->scale},
                     {"figure", name},
                     {"a", av},
                     {"b", *bv},
                     {"ratio_b_over_a", av != 0 ? json(*bv / av) : json(nullptr)}});
    }
  return out;
}

json row_json(const Row& row) {
  json figures = json::object();
  for (const auto& [k, v] : row.figures) figures[k] = v;
  json rounds = json::array();
  for (const auto& r : row.rounds) {
    json o = json::object();
    for (const auto& [k, v] : r) o[k] = v;
    rounds.push_back(o);
  }
  Verdict v = judge(row);
  json upstream = json::object();
  for (const auto& [k, x] : row.upstream_figures) upstream[k] = x;
  json j = {{"id", row.id},
            {"phase", row.phase},
            {"label", row.label},
            {"scale", row.scale},
            {"figures", figures},
            {"rounds", rounds},
            {"targets", v.targets},
            {"met", v.any_target ? json(v.met) : json(nullptr)},
            {"verdict", v.text},
            {"upstream", row.upstream.empty() ? json(nullptr) : json{{"text", row.upstream}, {"figures", upstream}}},
            {"skipped", row.skipped}};
  if (!row.note.empty()) j["note"] = row.note;
  return j;
}

uint64_t total_errors(const std::vector<Row>& rows) {
  uint64_t n = 0;
  for (const auto& r : rows)
    if (auto e = r.get("errors")) n += static_cast<uint64_t>(*e);
  return n;
}

}  // namespace signet::bench
