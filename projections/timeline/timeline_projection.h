// The timeline projection: which journal events a request or a session caused,
// for GET /api/timeline/:id. (A memory's own events are its stream, read from
// the journal directly.) Lives in the views RocksDB under namespace "tl".
//
// Keys:  tl/r/<request id> 0x00 <seq BE8>   ""
//        tl/s/<session id> 0x00 <seq BE8>   ""
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "projections/projection.h"
#include "projections/views_db.h"

namespace signet::projections {

class TimelineProjection final : public Projection {
 public:
  static constexpr uint32_t kVersion = 1;
  static Result<std::unique_ptr<TimelineProjection>> open(std::shared_ptr<ViewsDb> views, std::string ns = "tl");

  std::string_view name() const override { return "timeline"; }
  uint32_t version() const override { return kVersion; }
  uint64_t checkpoint() const override { return checkpoint_.load(); }
  Status apply(std::span<const journal::Event> events) override;
  Status reset() override;

  // Seqs of the events committed by a request / in a session, oldest first.
  Result<std::vector<uint64_t>> seqs_of_request(std::string_view request_id, size_t max) const;
  Result<std::vector<uint64_t>> seqs_of_session(std::string_view session_id, size_t max) const;

 private:
  TimelineProjection(std::shared_ptr<ViewsDb> views, std::string ns) : views_(std::move(views)), ns_(std::move(ns)) {}
  Result<std::vector<uint64_t>> scan(char kind, std::string_view id, size_t max) const;
  std::string key(char kind, std::string_view id, uint64_t seq) const;

  std::shared_ptr<ViewsDb> views_;
  std::string ns_;
  std::atomic<uint64_t> checkpoint_{0};
};

}  // namespace signet::projections
