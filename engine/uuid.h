// Memory ids: random (version 4) UUIDs as lower-case text.
#pragma once

#include <string>
#include <string_view>

namespace signet::engine {

std::string uuid_v4();
bool looks_like_uuid(std::string_view text);

}  // namespace signet::engine
