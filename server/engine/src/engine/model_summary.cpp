#include "smartbot/engine/model_summary.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gguf/gguf_model.h"
#include "model/config.h"
#include "model/weight_set.h"

namespace smartbot::engine {

namespace fs = std::filesystem;

namespace {
// A GGUF file's summary: its header and metadata, checked as Engine::load checks them, no tensor data read.
Result<ModelSummary> summarizeGguf(const std::string &path)
{
    auto file = gguf::File::open(path);
    if (!file)
        return file.failure();
    auto cfg = gguf::checkModel(*file.value());
    if (!cfg)
        return makeError(path + ": " + cfg.error());
    std::error_code ec;
    ModelSummary s;
    s.path = fs::absolute(fs::path(path), ec).lexically_normal().string();
    s.name = fs::path(s.path).stem().string();
    s.architecture = cfg->architecture;
    std::map<std::string, int64_t> byType;
    for (const gguf::Tensor &t : file.value()->tensors()) {
        s.parameters += t.elements();
        byType[gguf::ggmlTypeName(t.type)] += t.elements();
    }
    // The type most of the parameters have ("Q4_K" for a Q4_K_M file, whose few Q6_K tensors are the minority).
    s.storedDtype = std::max_element(byType.begin(), byType.end(), [](const auto &a, const auto &b) {
                        return a.second < b.second;
                    })->first;
    s.contextLength = cfg->maxPositions;
    s.layers = cfg->numLayers;
    s.hiddenSize = cfg->hiddenSize;
    s.vocabSize = cfg->vocabSize;
    s.bytesOnDisk = int64_t(fs::file_size(path, ec));
    auto tmpl = file.value()->string("tokenizer.chat_template", "");
    s.chatTemplate = tmpl.ok() && !tmpl.value().empty();
    return s;
}
} // namespace

Result<ModelSummary> summarizeModel(const std::string &dirText)
{
    auto gguf = gguf::ggufPath(dirText);
    if (!gguf)
        return gguf.failure();
    if (!gguf.value().empty())
        return summarizeGguf(gguf.value());
    std::error_code ec;
    const fs::path dir = fs::absolute(fs::path(dirText), ec).lexically_normal();
    if (ec || !fs::is_directory(dir, ec))
        return makeError("model folder " + dirText + " does not exist or is not a folder");
    auto cfg = ModelConfig::load((dir / "config.json").string());
    if (!cfg)
        return makeError(dirText + ": " + cfg.error());
    auto weights = WeightSet::open(dir.string());
    if (!weights)
        return makeError(dirText + ": " + weights.error());
    if (!fs::is_regular_file(dir / "tokenizer.json", ec))
        return makeError(dirText + ": tokenizer.json is missing");

    ModelSummary s;
    s.path = dir.string();
    s.name = dir.filename().string();
    s.architecture = cfg->architecture;
    s.parameters = weights->parameterCount();
    const auto byDtype = weights->parametersByDtype();
    static const std::map<DType, const char *> kNames = {
        {DType::F32, "float32"}, {DType::F16, "float16"}, {DType::BF16, "bfloat16"}};
    s.storedDtype = byDtype.size() == 1 ? kNames.at(byDtype.begin()->first) : "mixed";
    s.contextLength = cfg->slidingWindow > 0 ? std::min(cfg->maxPositions, cfg->slidingWindow) : cfg->maxPositions;
    s.layers = cfg->numLayers;
    s.hiddenSize = cfg->hiddenSize;
    s.vocabSize = cfg->vocabSize;
    for (const auto &entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file(ec))
            s.bytesOnDisk += int64_t(entry.file_size(ec));
    if (std::ifstream in(dir / "tokenizer_config.json"); in) {
        std::stringstream text;
        text << in.rdbuf();
        const auto j = nlohmann::json::parse(text.str(), nullptr, false);
        s.chatTemplate = j.is_object() && j.contains("chat_template") && !j["chat_template"].is_null();
    }
    return s;
}

std::vector<std::string> findModelFolders(const std::string &dirText)
{
    std::error_code ec;
    const fs::path dir(dirText);
    const auto isGgufFile = [&ec](const fs::directory_entry &e) {
        return e.path().extension() == ".gguf" && e.is_regular_file(ec);
    };
    if (fs::is_regular_file(dir / "config.json", ec) || (fs::is_regular_file(dir, ec) && dir.extension() == ".gguf"))
        return {fs::absolute(dir, ec).lexically_normal().string()};
    std::vector<std::string> found;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
        const bool ggufFolder = entry.is_directory(ec) && [&] {
            auto g = gguf::ggufPath(entry.path().string());
            return g.ok() && !g.value().empty();
        }();
        if (isGgufFile(entry) || ggufFolder ||
            (entry.is_directory(ec) && fs::is_regular_file(entry.path() / "config.json", ec)))
            found.push_back(fs::absolute(entry.path(), ec).lexically_normal().string());
    }
    std::sort(found.begin(), found.end());
    return found;
}

} // namespace smartbot::engine
