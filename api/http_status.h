// Errors to HTTP: one place. A documented refusal maps by its kind (the switch
// has no default, so a new Refusal left unmapped fails the build with
// -Wswitch); any other failure maps by its Status code.
#pragma once

#include "api/http.h"
#include "engine/engine.h"

namespace signet::api {

int http_code(engine::Refusal refusal);
int http_code(Code code);
// {"error": message}; a 5xx is logged with the request id.
Response error_response(const Request& req, const Status& status);

}  // namespace signet::api
