// Embeddings (Engine::embed) and the pooling a model folder asks for.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "engine/impl.h"

namespace smartbot::engine {

namespace fs = std::filesystem;

Result<Pooling> readPooling(const std::string &modelDir)
{
    const fs::path file = fs::path(modelDir) / "1_Pooling" / "config.json";
    std::error_code ec;
    if (!fs::exists(file, ec))
        return Pooling::Mean;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    try {
        const auto j = nlohmann::json::parse(text.str());
        if (j.value("pooling_mode_lasttoken", false))
            return Pooling::Last;
        if (j.value("pooling_mode_mean_tokens", false))
            return Pooling::Mean;
    } catch (const nlohmann::json::exception &e) {
        return makeError("1_Pooling/config.json: " + std::string(e.what()));
    }
    return makeError("1_Pooling/config.json: only pooling_mode_mean_tokens and pooling_mode_lasttoken are supported");
}

Result<std::vector<std::vector<float>>> Engine::embed(const std::vector<std::vector<int32_t>> &inputs)
{
    Impl &d = *d_;
    if (inputs.empty())
        return makeError("nothing to embed");
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].empty())
            return makeError("input " + std::to_string(i) + " is empty");
        if (int64_t(inputs[i].size()) > d.context)
            return makeError("input " + std::to_string(i) + " has " + std::to_string(inputs[i].size()) +
                             " tokens; the model's context is " + std::to_string(d.context));
        for (int32_t id : inputs[i])
            if (id < 0 || id >= d.config.vocabSize)
                return makeError("input " + std::to_string(i) + ": token id " + std::to_string(id) +
                                 " is outside the vocabulary");
    }
    torch::Tensor h;
    try {
        torch::InferenceMode guard;
        h = d.model->hiddenPacked(inputs);
    } catch (const std::exception &e) { // out of (device) memory, mostly
        return makeError(std::string("could not embed: ") + e.what());
    }
    const int64_t dim = h.size(1);
    std::vector<std::vector<float>> out;
    int64_t row = 0;
    for (const auto &input : inputs) {
        const int64_t n = int64_t(input.size());
        std::vector<double> sum(size_t(dim), 0.0);
        const int64_t first = d.info.pooling == Pooling::Last ? row + n - 1 : row;
        for (int64_t r = first; r < row + n; ++r) {
            const float *p = h.data_ptr<float>() + r * dim;
            for (int64_t c = 0; c < dim; ++c)
                sum[size_t(c)] += p[c];
        }
        double norm = 0;
        for (double v : sum)
            norm += v * v;
        norm = std::sqrt(norm);
        std::vector<float> v(static_cast<size_t>(dim), 0.0f);
        for (int64_t c = 0; c < dim; ++c) // the mean's 1/n cancels in the normalisation
            v[size_t(c)] = norm > 0 ? float(sum[size_t(c)] / norm) : 0.0f;
        out.push_back(std::move(v));
        row += n;
    }
    return out;
}

} // namespace smartbot::engine
