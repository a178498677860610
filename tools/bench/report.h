// Rows of results, their targets (issue 6 item 2, issue 4 "Speed") and the
// upstream figures beside them; the text table and the JSON.
//
// A Row is one measurement (e.g. "hybrid recall, 8 clients" at 10k
// memories) with named figures (ops_per_s, p50_ms, p99_ms, errors, ...).
// Over several rounds a figure is the median of the rounds' values, except
// `errors`, which is summed: one error in any round is an error of the run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace signet::bench {

struct Target {
  std::string figure;   // the figure it applies to
  bool at_least = true; // >= value when true, <= value when false
  double value = 0;
};

struct Row {
  std::string id;       // stable key, e.g. "recall.c8@10000"
  std::string phase;    // idle, remember, load, health, recall, list, quality, startup, replay
  std::string label;    // what the table shows
  uint64_t scale = 0;   // memories in the store, 0 when it does not apply
  std::vector<std::pair<std::string, double>> figures;  // in display order
  std::vector<Target> targets;
  std::string upstream;                                 // as the issue states it
  std::vector<std::pair<std::string, double>> upstream_figures;
  std::string note;     // skipped: why; otherwise anything the reader needs
  bool skipped = false;
  std::vector<std::vector<std::pair<std::string, double>>> rounds;  // per-round figures (after aggregate())

  Row& set(const std::string& name, double v);
  std::optional<double> get(const std::string& name) const;
};

struct Verdict {
  bool any_target = false;
  bool met = true;
  std::string text;     // "met", "MISSED: q/s 0.25x target, p99 2.4x target", "-"
  nlohmann::json targets = nlohmann::json::array();
};
Verdict judge(const Row& row);

// Merges the rows of several rounds of one configuration (same ids).
std::vector<Row> aggregate(const std::vector<std::vector<Row>>& rounds);

// Targets and upstream figures for a row, by its id and scale.
void attach_targets(Row& row);

// The table: measurement | scale | result | target | upstream | verdict.
std::string format_table(const std::vector<Row>& rows);
// A / B medians and B/A per figure, for --compare.
std::string format_comparison(const std::vector<Row>& a, const std::vector<Row>& b, const std::string& a_name,
                              const std::string& b_name);
nlohmann::json comparison_json(const std::vector<Row>& a, const std::vector<Row>& b);

nlohmann::json row_json(const Row& row);
uint64_t total_errors(const std::vector<Row>& rows);

std::string scale_name(uint64_t n);  // 1000 -> "1k", 1000000 -> "1M", 200 -> "200"

}  // namespace signet::bench
