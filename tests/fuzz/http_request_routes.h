// The routes http_request_fuzz.cpp chooses from, by the input's first byte
// (index mod kRouteCount). Shared with seed_corpus.cpp, which writes seeds by
// route name. Append only: committed seeds and regressions start with the
// route's index itself (not any byte that maps to it), so appending keeps
// them meaning what they meant.
#pragma once

#include <cstddef>
#include <string_view>

#include "api/http.h"

namespace signet::fuzz {

using api::Method;

struct Route {
  Method method;
  const char* target;  // "{id}" is replaced by the chosen id
};

// Every route of api/routes/memory.cpp and search.cpp, and the read-only
// ones of health.cpp, embeddings.cpp and logs.cpp (the SSE stream aside).
inline constexpr Route kRoutes[] = {
    {Method::kPost, "/api/memory/remember"},
    {Method::kPost, "/api/memory/save"},
    {Method::kPost, "/api/hook/remember"},
    {Method::kPost, "/api/memory/recall"},
    {Method::kGet, "/api/memory/search"},
    {Method::kGet, "/memory/search"},
    {Method::kGet, "/memory/similar"},
    {Method::kGet, "/api/memory/{id}"},
    {Method::kPatch, "/api/memory/{id}"},
    {Method::kDelete, "/api/memory/{id}"},
    {Method::kPost, "/api/memory/{id}/recover"},
    {Method::kGet, "/api/memory/{id}/history"},
    {Method::kPost, "/api/memory/forget"},  // batch forget: preview or execute, by the body's mode
    {Method::kPost, "/api/memory/modify"},  // batch modify
    {Method::kGet, "/api/memories"},
    {Method::kGet, "/api/embeddings"},
    {Method::kGet, "/api/embeddings/status"},
    {Method::kGet, "/api/embeddings/health"},
    {Method::kGet, "/health"},
    {Method::kGet, "/api/status"},
    {Method::kGet, "/api/features"},
    {Method::kGet, "/api/logs"},
    {Method::kPut, "/api/memory/{id}"},  // no such route: 405
    {Method::kGet, "/{id}"},             // mostly 404
};
inline constexpr size_t kRouteCount = sizeof(kRoutes) / sizeof(kRoutes[0]);

// The index of `target` under `method` in kRoutes; kRouteCount if absent.
constexpr size_t route_index(Method method, std::string_view target) {
  for (size_t i = 0; i < kRouteCount; ++i)
    if (kRoutes[i].method == method && target == kRoutes[i].target) return i;
  return kRouteCount;
}

}  // namespace signet::fuzz
