// Memory ids: random (version 4) UUIDs as lower-case text.
#pragma once

#include <string>
#include <string_view>

namespace signet::engine {

std::string uuid_v4();
// The same form from a per-thread generator seeded once from OpenSSL: for
// request ids, which only tell log lines apart and are asked for on every
// request (OpenSSL's generator was 1% of a recall's CPU). Not for ids that
// must be unguessable.
std::string request_uuid();
bool looks_like_uuid(std::string_view text);

}  // namespace signet::engine
