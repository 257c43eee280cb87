// Engine::perplexity: windows through the prefill pass (no sampling, no prefix cache); the output layer runs in
// slices of 256 positions so that a long window never holds window x vocabulary floats at once.
#include <cmath>

#include <torch/torch.h>

#include "engine/impl.h"

namespace smartbot::engine {

Result<Engine::Perplexity> Engine::perplexity(const std::vector<int32_t> &ids, int context,
                                              const std::function<void(double)> &onProgress)
{
    Impl &d = *d_;
    if (ids.size() < 2)
        return makeError("perplexity needs at least 2 tokens (BOS and one to predict)");
    if (context < 2 || context > d.context)
        return makeError("the context must be 2.." + std::to_string(d.context) + " tokens, not " +
                         std::to_string(context));
    for (int32_t id : ids)
        if (id < 0 || id >= d.config.vocabSize)
            return makeError("token id " + std::to_string(id) + " is outside the vocabulary");
    torch::InferenceMode guard;
    constexpr int64_t kSlice = 256;
    double total = 0;
    int64_t scored = 0;
    for (size_t start = 0; start + 1 < ids.size(); start += size_t(context)) {
        const int64_t len = std::min<int64_t>(context, int64_t(ids.size() - start));
        if (len < 2)
            break;
        KvCache cache = d.model->newCache(len);
        const torch::Tensor hidden = d.model->hidden(ids.data() + start, len, cache);
        // Position i predicts token i + 1 of the window.
        for (int64_t a = 0; a < len - 1; a += kSlice) {
            const int64_t n = std::min(kSlice, len - 1 - a);
            const auto logprobs = torch::log_softmax(d.model->head(hidden.narrow(0, a, n)).to(torch::kFloat64), -1);
            const auto targets =
                torch::from_blob(const_cast<int32_t *>(ids.data() + start + a + 1), {n, 1}, torch::kInt32)
                    .to(torch::kInt64);
            total -= logprobs.gather(1, targets).sum().item<double>();
            scored += n;
        }
        if (onProgress)
            onProgress(double(start + size_t(len)) / double(ids.size()));
    }
    Perplexity p;
    p.tokens = scored;
    p.nll = total / double(scored);
    p.ppl = std::exp(p.nll);
    return p;
}

} // namespace smartbot::engine
