// The engine's results are the project's common Result/Error (smartbot/common/result.h), named here too so that
// engine code and its callers can say engine::Result.
#pragma once

#include "smartbot/common/result.h"

namespace smartbot::engine {

using smartbot::Error;
using smartbot::ErrorCode;
using smartbot::makeError;
using smartbot::Result;

} // namespace smartbot::engine
