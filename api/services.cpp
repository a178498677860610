#include "api/services.h"

namespace signet::api {

bool Services::wait_for(projections::ProjectionRunner* runner, const Request& req) const {
  if (!runner) return true;
  uint64_t seq = req.arrival_seq();
  if (runner->progress().checkpoint_seq >= seq) return true;
  return runner->wait_for(seq, wait_left(req));
}

std::chrono::milliseconds Services::wait_left(const Request& req) const {
  auto wait = std::chrono::milliseconds(config()->search.read_wait_ms);
  // The budget counts from the request's arrival, not from each wait.
  auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - req.arrived_at());
  return wait > spent ? wait - spent : std::chrono::milliseconds(0);
}

}  // namespace signet::api
