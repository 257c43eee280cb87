#include "sampling/logprobs.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace smartbot::engine {

std::string tokenBytes(const Tokenizer &tokenizer, int32_t id)
{
    return tokenizer.isSpecial(id) ? tokenizer.tokenString(id) : tokenizer.pieceBytes(id, /*atStart=*/false);
}

TokenLogprob tokenLogprob(const float *logits, int64_t vocab, int32_t id, int top, const Tokenizer &tokenizer)
{
    // log Z in double: over a 150k vocabulary float sums lose the small terms.
    float highest = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < vocab; ++i)
        highest = std::max(highest, logits[i]);
    double sum = 0;
    for (int64_t i = 0; i < vocab; ++i)
        sum += std::exp(double(logits[i]) - double(highest));
    const double logZ = double(highest) + std::log(sum);
    const auto logprob = [&](int64_t i) { return float(double(logits[i]) - logZ); };

    TokenLogprob out;
    out.id = id;
    out.bytes = tokenBytes(tokenizer, id);
    out.special = tokenizer.isSpecial(id);
    out.logprob = id >= 0 && id < vocab ? logprob(id) : -std::numeric_limits<float>::infinity();
    const int64_t k = std::min<int64_t>(std::max(top, 0), vocab);
    if (k == 0)
        return out;
    std::vector<int32_t> order(static_cast<size_t>(vocab));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [logits](int32_t a, int32_t b) {
        return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    for (int64_t i = 0; i < k; ++i)
        out.top.push_back({order[size_t(i)], tokenBytes(tokenizer, order[size_t(i)]), logprob(order[size_t(i)]),
                           tokenizer.isSpecial(order[size_t(i)])});
    return out;
}

std::vector<TokenLogprob> tokenLogprobs(const torch::Tensor &rows, const int32_t *ids, int top,
                                        const Tokenizer &tokenizer)
{
    const int64_t m = rows.size(0), vocab = rows.size(1);
    const torch::Tensor logp = torch::log_softmax(rows.to(torch::kFloat64), 1).to(torch::kFloat32).contiguous();
    const int64_t k = std::min<int64_t>(std::max(top, 0), vocab);
    torch::Tensor values, indices;
    if (k > 0)
        std::tie(values, indices) = logp.topk(k, 1);
    const auto lp = logp.accessor<float, 2>();
    std::vector<TokenLogprob> out(static_cast<size_t>(m));
    for (int64_t r = 0; r < m; ++r) {
        TokenLogprob &t = out[size_t(r)];
        t.id = ids[r];
        t.bytes = tokenBytes(tokenizer, t.id);
        t.special = tokenizer.isSpecial(t.id);
        t.logprob = t.id >= 0 && t.id < vocab ? lp[r][t.id] : -std::numeric_limits<float>::infinity();
        if (k == 0)
            continue;
        const auto v = values.accessor<float, 2>();
        const auto ix = indices.accessor<int64_t, 2>();
        for (int64_t j = 0; j < k; ++j) {
            const auto id = int32_t(ix[r][j]);
            t.top.push_back({id, tokenBytes(tokenizer, id), v[r][j], tokenizer.isSpecial(id)});
        }
    }
    return out;
}

} // namespace smartbot::engine
