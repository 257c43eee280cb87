#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>

namespace smartbot::engine {

int32_t argmax(const float *logits, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; ++i)
        if (logits[i] > logits[best])
            best = i;
    return int32_t(best);
}

Sampler::Sampler(const GenerationParams &params, const std::vector<int32_t> &promptIds)
    : params_(params), rng_(params.seed)
{
    if (params_.repetitionPenalty != 1.0f)
        seen_ = promptIds;
}

bool Sampler::penalised() const
{
    return params_.presencePenalty != 0.0f || params_.frequencyPenalty != 0.0f || params_.repetitionPenalty != 1.0f;
}

bool Sampler::adjusted() const
{
    return penalised() || !params_.logitBias.empty();
}

void Sampler::accept(int32_t id)
{
    if (!penalised() || id < 0)
        return;
    if (size_t(id) >= generatedCount_.size())
        generatedCount_.resize(size_t(id) + 1, 0);
    if (generatedCount_[size_t(id)]++ == 0 && params_.repetitionPenalty != 1.0f)
        seen_.push_back(id);
}

int32_t Sampler::sample(const float *logits, int64_t vocab)
{
    if (adjusted()) {
        adjusted_.assign(logits, logits + vocab);
        const float rp = params_.repetitionPenalty;
        if (rp != 1.0f) {
            std::vector<bool> done(size_t(vocab), false);
            for (int32_t id : seen_) {
                if (id < 0 || id >= vocab || done[size_t(id)])
                    continue;
                done[size_t(id)] = true;
                float &l = adjusted_[size_t(id)];
                l = l > 0 ? l / rp : l * rp;
            }
        }
        for (size_t id = 0; id < generatedCount_.size() && id < size_t(vocab); ++id) {
            const int32_t n = generatedCount_[id];
            if (n > 0)
                adjusted_[id] -= params_.frequencyPenalty * float(n) + params_.presencePenalty;
        }
        for (const auto &[id, bias] : params_.logitBias)
            if (id >= 0 && id < vocab)
                adjusted_[size_t(id)] += bias;
        logits = adjusted_.data();
    }
    if (params_.temperature <= 0.0f || params_.topK == 1)
        return argmax(logits, vocab);

    // Plain temperature sampling needs no ordering: draw straight from the softmax.
    if (params_.topK <= 0 && !(params_.topP > 0.0f && params_.topP < 1.0f)) {
        const float maxLogit = *std::max_element(logits, logits + vocab);
        scratch_.resize(size_t(vocab));
        double sum = 0;
        for (int64_t i = 0; i < vocab; ++i) {
            const float p = float(std::exp(double(logits[i] - maxLogit) / double(params_.temperature)));
            scratch_[size_t(i)] = {p, int32_t(i)};
            sum += double(p);
        }
        double r = std::uniform_real_distribution<double>(0.0, sum)(rng_);
        for (const auto &[p, id] : scratch_) {
            r -= double(p);
            if (r <= 0)
                return id;
        }
        return scratch_.back().second;
    }
    // Candidates: top-k (or all), sorted by logit, descending.
    scratch_.resize(size_t(vocab));
    for (int64_t i = 0; i < vocab; ++i)
        scratch_[size_t(i)] = {logits[i], int32_t(i)};
    const auto byLogit = [](const auto &a, const auto &b) { return a.first > b.first; };
    size_t k = scratch_.size();
    if (params_.topK > 0 && size_t(params_.topK) < k) {
        k = size_t(params_.topK);
        std::partial_sort(scratch_.begin(), scratch_.begin() + long(k), scratch_.end(), byLogit);
    } else {
        std::sort(scratch_.begin(), scratch_.end(), byLogit);
    }
    scratch_.resize(k);

    // Softmax with temperature.
    const float maxLogit = scratch_.front().first;
    double sum = 0;
    for (auto &c : scratch_) {
        c.first = float(std::exp(double(c.first - maxLogit) / double(params_.temperature)));
        sum += double(c.first);
    }
    // Top-p: keep the smallest prefix whose mass reaches top_p.
    size_t keep = scratch_.size();
    if (params_.topP > 0.0f && params_.topP < 1.0f) {
        double cum = 0;
        for (size_t i = 0; i < scratch_.size(); ++i) {
            cum += double(scratch_[i].first) / sum;
            if (cum >= double(params_.topP)) {
                keep = i + 1;
                break;
            }
        }
    }
    double mass = 0;
    for (size_t i = 0; i < keep; ++i)
        mass += double(scratch_[i].first);
    std::uniform_real_distribution<double> uni(0.0, mass);
    double r = uni(rng_);
    for (size_t i = 0; i < keep; ++i) {
        r -= double(scratch_[i].first);
        if (r <= 0)
            return scratch_[i].second;
    }
    return scratch_[keep - 1].second;
}

} // namespace smartbot::engine
