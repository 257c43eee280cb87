#include "smartbot/engine/engine.h"

namespace smartbot::engine {

const char *finishReasonName(FinishReason reason)
{
    return reason == FinishReason::Stop ? "stop" : "length";
}

} // namespace smartbot::engine
