// ModelSummary: what a model folder (or GGUF file) holds, read without loading it: config.json and the safetensors
// headers, or the GGUF header and metadata (memory-mapped, no tensor data touched; milliseconds even for sharded
// multi-GB models). For model lists: the
// desktop app's Models panel. No torch, no Qt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

struct ModelSummary {
    std::string path; // absolute, normalized
    std::string name; // the folder's name, or the GGUF file's without .gguf
    std::string architecture;
    int64_t parameters = 0;
    std::string storedDtype;   // of the weights on disk: "float32", "bfloat16", "float16", "mixed", or for GGUF the
                               // type most parameters have ("Q4_K", "Q8_0", "F32", ...)
    int64_t contextLength = 0; // max_position_embeddings, capped by a sliding window
    int64_t layers = 0;
    int64_t hiddenSize = 0;
    int64_t vocabSize = 0;
    int64_t bytesOnDisk = 0;   // every regular file in the folder
    bool chatTemplate = false; // tokenizer_config.json carries one (else the plain fallback is used)
};

// Reads dir as Engine::load would read it, without building the model; the error is the one load would give
// for a missing or malformed config.json, weights or tokenizer.json.
Result<ModelSummary> summarizeModel(const std::string &dir);

// The models in dir: dir itself when it holds config.json or is a .gguf file, else its subfolders that hold
// config.json or one .gguf file, and the .gguf files in it (sorted by path).
std::vector<std::string> findModelFolders(const std::string &dir);

} // namespace smartbot::engine
