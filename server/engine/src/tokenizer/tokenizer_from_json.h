// A tokenizer from tokenizer.json (and tokenizer_config.json) already in memory as JSON values: what
// Tokenizer::fromJson does once it has parsed the texts. For the GGUF reader, which builds those values itself: a
// 32,000-token vocabulary written out as text and parsed back was three quarters of a Q8_0 file's load-to-ready
// (about 35 of 50 ms on the 768x12 model). Private to the engine.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "smartbot/engine/tokenizer.h"

namespace smartbot::engine {

// config: nullptr when there is none. Errors name origin, as fromJson's do.
Result<std::unique_ptr<Tokenizer>> tokenizerFromJson(nlohmann::json root, const nlohmann::json *config,
                                                     const std::string &origin);

} // namespace smartbot::engine
