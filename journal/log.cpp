#include "journal/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/daily_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>

#include "journal/clock.h"

namespace signet::log {
namespace {

std::string_view level_word(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARN";
    case spdlog::level::err:
    case spdlog::level::critical: return "ERROR";
    default: return "INFO";
  }
}

int64_t to_us(spdlog::log_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// "[2026-02-21T10:00:00.000Z] [INFO] [memory] message"
class LineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "[" + format_iso8601_ms(to_us(msg.time)) + "] [" + std::string(level_word(msg.level)) + "] [" +
                       std::string(msg.logger_name.data(), msg.logger_name.size()) + "] ";
    dest.append(line.data(), line.data() + line.size());
    dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(); }
};

class RingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RingSink(Ring& ring) : ring_(ring) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    Entry e;
    e.ts_us = to_us(msg.time);
    std::string_view w = level_word(msg.level);
    e.level.resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) e.level[i] = static_cast<char>(std::tolower(w[i]));
    e.category.assign(msg.logger_name.data(), msg.logger_name.size());
    e.message.assign(msg.payload.data(), msg.payload.size());
    ring_.push(std::move(e));
  }
  void flush_() override {}

 private:
  Ring& ring_;
};

struct State {
  std::mutex mu;
  std::vector<spdlog::sink_ptr> sinks;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
  spdlog::level::level_enum level = spdlog::level::info;
  std::unique_ptr<Ring> ring = std::make_unique<Ring>(2000);
};

State& state() {
  static State* s = new State();  // never destroyed: loggers may be used during exit
  return *s;
}

spdlog::level::level_enum parse_level(const std::string& l) {
  if (l == "debug") return spdlog::level::debug;
  if (l == "warn") return spdlog::level::warn;
  if (l == "error") return spdlog::level::err;
  return spdlog::level::info;
}

std::string daily_name(const std::string& dir) {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "daemon-%Y-%m-%d.log", &tm);
  return (std::filesystem::path(dir) / buf).string();
}

}  // namespace

void Ring::push(Entry e) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    e.id = next_id_++;
    entries_.push_back(std::move(e));
    while (entries_.size() > capacity_) entries_.pop_front();
  }
  cv_.notify_all();
}

std::vector<Entry> Ring::since(uint64_t after_id, size_t limit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Entry> out;
  auto it = entries_.begin();
  while (it != entries_.end() && it->id <= after_id) ++it;
  size_t available = static_cast<size_t>(entries_.end() - it);
  if (available > limit) it += static_cast<long>(available - limit);
  out.assign(it, entries_.end());
  return out;
}

bool Ring::wait(uint64_t after_id, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return next_id_ - 1 > after_id; });
}

uint64_t Ring::last_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_id_ - 1;
}

void Ring::wake_all() { cv_.notify_all(); }

void Ring::set_capacity(size_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = std::max<size_t>(capacity, 16);
  while (entries_.size() > capacity_) entries_.pop_front();
}

std::string current_file(const Options& options) {
  if (!options.file.empty()) return options.file;
  if (!options.dir.empty()) return daily_name(options.dir);
  return {};
}

std::string configure(const Options& options) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.ring->set_capacity(options.ring_entries);
  std::vector<spdlog::sink_ptr> sinks;
  std::string path;
  try {
    if (!options.file.empty()) {
      std::filesystem::create_directories(std::filesystem::path(options.file).parent_path());
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file));
      path = options.file;
    } else if (!options.dir.empty()) {
      std::filesystem::create_directories(options.dir);
      std::string pattern = (std::filesystem::path(options.dir) / "daemon-%Y-%m-%d.log").string();
      sinks.push_back(std::make_shared<spdlog::sinks::daily_file_format_sink_mt>(pattern, 0, 0));
      path = daily_name(options.dir);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "signet: cannot open log file: %s\n", e.what());
  }
  if (options.console) sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  sinks.push_back(std::make_shared<RingSink>(*s.ring));
  for (auto& sink : sinks) sink->set_formatter(std::make_unique<LineFormatter>());
  s.sinks = sinks;
  s.level = parse_level(options.level);
  for (auto& [name, logger] : s.loggers) {
    logger->sinks() = sinks;
    logger->set_level(s.level);
  }
  return path;
}

void set_level(const std::string& level) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.level = parse_level(level);
  for (auto& [name, logger] : s.loggers) logger->set_level(s.level);
}

std::shared_ptr<spdlog::logger> get(std::string_view category) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.loggers.find(category);
  if (it != s.loggers.end()) return it->second;
  if (s.sinks.empty()) {
    auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    err->set_formatter(std::make_unique<LineFormatter>());
    s.sinks.push_back(err);
    s.sinks.push_back(std::make_shared<RingSink>(*s.ring));
    s.sinks.back()->set_formatter(std::make_unique<LineFormatter>());
  }
  auto logger = std::make_shared<spdlog::logger>(std::string(category), s.sinks.begin(), s.sinks.end());
  logger->set_level(s.level);
  // Every line reaches the file at once: `signet daemon logs --follow` and a
  // crash both need it, and the daemon logs events, not requests.
  logger->flush_on(spdlog::level::trace);
  s.loggers.emplace(std::string(category), logger);
  return logger;
}

Ring& ring() { return *state().ring; }

void flush() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto& [name, logger] : s.loggers) logger->flush();
}

}  // namespace signet::log
