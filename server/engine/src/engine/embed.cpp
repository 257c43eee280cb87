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
    // Short inputs run packed; a long one runs alone, in slices through a KV cache, so that its attention scores
    // stay kLongInput x length rather than length^2 (32 heads x 4k^2 floats would be 2 GiB).
    constexpr size_t kLongInput = 256;
    std::vector<torch::Tensor> hidden(inputs.size()); // [n, dim] per input
    try {
        torch::InferenceMode guard;
        std::vector<std::vector<int32_t>> packed;
        std::vector<size_t> packedIndex;
        for (size_t i = 0; i < inputs.size(); ++i) {
            if (inputs[i].size() <= kLongInput) {
                packed.push_back(inputs[i]);
                packedIndex.push_back(i);
                continue;
            }
            const int64_t n = int64_t(inputs[i].size());
            KvCache cache = d.model->newCache(n);
            std::vector<torch::Tensor> slices;
            for (int64_t at = 0; at < n; at += int64_t(kLongInput))
                slices.push_back(
                    d.model->hidden(inputs[i].data() + at, std::min<int64_t>(int64_t(kLongInput), n - at), cache));
            hidden[i] = torch::cat(slices).to(torch::kCPU, torch::kFloat32).contiguous();
        }
        if (!packed.empty()) {
            const torch::Tensor h = d.model->hiddenPacked(packed);
            int64_t row = 0;
            for (size_t k = 0; k < packed.size(); ++k) {
                hidden[packedIndex[k]] = h.narrow(0, row, int64_t(packed[k].size()));
                row += int64_t(packed[k].size());
            }
        }
    } catch (const std::exception &e) { // out of (device) memory, mostly
        return makeError(std::string("could not embed: ") + e.what());
    }
    std::vector<std::vector<float>> out;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const torch::Tensor &h = hidden[i];
        const int64_t n = h.size(0), dim = h.size(1);
        std::vector<double> sum(size_t(dim), 0.0);
        for (int64_t r = d.info.pooling == Pooling::Last ? n - 1 : 0; r < n; ++r) {
            const float *p = h.data_ptr<float>() + r * h.stride(0);
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
    }
    return out;
}

} // namespace smartbot::engine
