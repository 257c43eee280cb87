// Decode attention on the CPU, the one routine both CPU decode paths run (and forEachSequence, which runs it over
// a batch): the libtorch-operator path (llama_decode_torch.cpp, activations in the model's dtype) and the fused
// step (llama_decode_cpu.cpp, float32 activations over a float32 or bfloat16 KV cache). Header-only, so it is
// built with the -O3 and OpenMP flags of those two files (server/engine/CMakeLists.txt). Private to the engine.
#pragma once

#include "kernels/attention_scores.h"
#include "kernels/matmul.h"
#include "kernels/exp_kernels.h"
#include "model/row_split.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace smartbot::engine {

// How a head's float32 softmax is computed. Both are fixed (never depend on the batch, so a batched step equals each
// sequence stepped alone) and differ in the last bits.
//  Sequential: left-to-right dot products, weights score / sum: the libtorch path.
//  Lanes8: kernels::dot8's eight accumulators (kernels::attentionScores(), with dot8's bits on every CPU), the
//  numerators and their sum from kernels::softmaxExp() (its own e^x, the same bits on every CPU), weights
//  score * (1 / sum): the fused step, over a float32 cache or a bfloat16 one (attentionScoresBf16(); it was
//  Sequential until the bfloat16 products got fast, and then 7.7% of a 64-stream bfloat16 profile).
enum class AttnSum { Sequential, Lanes8 };

namespace attention_detail {

// out = sum over t < total of p_t values[t], p_t = scores[t] * inv (Lanes8) or scores[t] / sum, for a head of
// kHd values (0: hd, at most 8, read at run time), summed in a local block from 0 in order of t.
template <AttnSum S, int kHd, typename T>
void sumValuesSmall(const float *scores, float sum, float inv, const T *values, int64_t total, int64_t hd, float *out)
{
    const int64_t n = kHd > 0 ? kHd : hd;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t t = 0; t < total; ++t) {
        const float p = S == AttnSum::Lanes8 ? scores[t] * inv : scores[t] / sum;
        for (int64_t e = 0; e < n; ++e)
            acc[e] += p * float(values[t * n + e]);
    }
    std::copy(acc, acc + n, out);
}

// One head's softmax numerators over `total` cached positions into scores (scores = q k^T * scale, then the
// numerators, as S says), returning their sum. q: hd floats. keys: total rows of hd.
template <AttnSum S, typename T>
float headSoftmax(const float *q, const T *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    float sum = 0;
    if constexpr (S == AttnSum::Lanes8) {
        static const kernels::SoftmaxExpFn expFn = kernels::softmaxExp();
        if constexpr (std::is_same_v<T, float>) {
            static const kernels::AttentionScoresFn scoresFn = kernels::attentionScores();
            scoresFn(q, keys, total, hd, scale, scores);
        } else {
            static_assert(sizeof(T) == sizeof(uint16_t), "a bfloat16 cache: c10::BFloat16 holds its bits");
            static const kernels::AttentionScoresBf16Fn scoresFn = kernels::attentionScoresBf16();
            scoresFn(q, reinterpret_cast<const uint16_t *>(keys), total, hd, scale, scores);
        }
        sum = expFn(scores, total);
    } else {
        float maxScore = -INFINITY;
        for (int64_t t = 0; t < total; ++t) {
            float dot = 0;
            for (int64_t e = 0; e < hd; ++e)
                dot += q[e] * float(keys[t * hd + e]);
            scores[t] = dot * scale;
            maxScore = std::max(maxScore, scores[t]);
        }
        for (int64_t t = 0; t < total; ++t)
            sum += (scores[t] = std::exp(scores[t] - maxScore));
    }
    return sum;
}

// One head over `total` cached positions: scores = q k^T * scale, softmax, then out = sum_t p_t v_t.
// q, out: hd floats. keys, values: total rows of hd. scores: total floats of scratch.
template <AttnSum S, typename T>
void attendHead(const float *q, const T *keys, const T *values, int64_t total, int64_t hd, float scale, float *scores,
                float *out)
{
    const float sum = headSoftmax<S>(q, keys, total, hd, scale, scores);
    const float inv = 1.0f / sum;
    // out[e] = sum over t of p_t v_t[e], from 0 in order of t. A head of up to 8 values sums in a local block the
    // compiler keeps in registers: summed into out itself it must store and reload out for every position (out might
    // alias the values), which with the seed model's 8-value heads made this loop half of the attention's time; and
    // the block stays in registers only when its width is known when compiling (with hd read at run time, GCC kept it
    // on the stack: a store and a reload per position, most of this function's time under bench_chat_qps), hence 8
    // as a constant. Wider heads keep the loop over out: block by block (a pass over the positions per 8 values)
    // measured ~10% slower on the 768x12 model at 64 streams (64 values per head). All orders give the same bits.
    if (hd == 8)
        return sumValuesSmall<S, 8>(scores, sum, inv, values, total, hd, out);
    if (hd < 8)
        return sumValuesSmall<S, 0>(scores, sum, inv, values, total, hd, out);
    std::fill(out, out + hd, 0.0f);
    for (int64_t t = 0; t < total; ++t) {
        const float p = S == AttnSum::Lanes8 ? scores[t] * inv : scores[t] / sum;
        for (int64_t e = 0; e < hd; ++e)
            out[e] += p * float(values[t * hd + e]);
    }
}

// sumValuesSmall<S, 8> for four heads at once, position by position: four independent chains of adds where one head
// alone waits on each add before the next (the seed model's 8-value heads: with one head at a time this sum was a
// third of the attention's time under bench_chat_qps, bound by that latency). Each head's sums are its own, in the
// same order: the same bits. scores + h * stride: head h's numerators; values[h]: its rows; out + 8h: its result.
template <AttnSum S, typename T>
void sumValues4Heads8(const float *scores, int64_t stride, const float *sums, const T *const *values, int64_t total,
                      float *out)
{
    float acc[4][8] = {};
    float inv[4];
    for (int h = 0; h < 4; ++h)
        inv[h] = 1.0f / sums[h];
    for (int64_t t = 0; t < total; ++t)
        for (int h = 0; h < 4; ++h) {
            const float p = S == AttnSum::Lanes8 ? scores[h * stride + t] * inv[h] : scores[h * stride + t] / sums[h];
            for (int e = 0; e < 8; ++e)
                acc[h][e] += p * float(values[h][t * 8 + e]);
        }
    for (int h = 0; h < 4; ++h)
        std::copy(acc[h], acc[h] + 8, out + 8 * h);
}

} // namespace attention_detail

// Appends one position's k and v (KV heads of hd values, in A) to a layer's cache at pos, converted to T.
template <typename A, typename T>
void storeKv(const A *k, const A *v, T *kc, T *vc, int64_t capacity, int64_t pos, int64_t KV, int64_t hd)
{
    for (int64_t j = 0; j < KV; ++j) {
        for (int64_t e = 0; e < hd; ++e) {
            kc[(j * capacity + pos) * hd + e] = T(k[j * hd + e]);
            vc[(j * capacity + pos) * hd + e] = T(v[j * hd + e]);
        }
    }
}

// Float32 arithmetic over A (activations: q, out) and T (KV cache storage), each float or bfloat16: softmax(q k^T /
// sqrt(hd)) v per head over the cached positions 0..pos, summed as S says. scores: H * (pos+1) floats. The result
// depends only on q and those positions, so it does not depend on the batch, nor on which other rows share the cache.
template <AttnSum S = AttnSum::Sequential, typename A, typename T>
void attendCached(const A *q, const T *kc, const T *vc, int64_t capacity, int64_t pos, int64_t H, int64_t KV,
                  int64_t hd, float *scores, A *out)
{
    static_assert(S == AttnSum::Sequential || std::is_same_v<A, float>, "Lanes8 sums float32 activations");
    const int64_t G = H / KV, total = pos + 1;
    const float scale = float(1.0 / std::sqrt(double(hd)));
    if constexpr (std::is_same_v<A, float>) {
        if (hd == 8) { // every head's numerators, then the values of four heads at a time (sumValues4Heads8)
            float sums[4];
            const T *keys[4], *values[4];
            int64_t i = 0;
            for (; i + 4 <= H; i += 4) {
                for (int h = 0; h < 4; ++h) {
                    keys[h] = kc + (i + h) / G * capacity * hd;
                    values[h] = vc + (i + h) / G * capacity * hd;
                }
                if constexpr (S == AttnSum::Lanes8 && std::is_same_v<T, float>) { // the same sums, in kernels
                    static const kernels::AttentionScoresFn scoresFn = kernels::attentionScores();
                    static const kernels::SoftmaxExp4Fn expFn = kernels::softmaxExp4();
                    static const kernels::HeadValues4x8Fn valuesFn = kernels::headValues4x8();
                    for (int h = 0; h < 4; ++h)
                        scoresFn(q + (i + h) * hd, keys[h], total, hd, scale, scores + h * total);
                    expFn(scores, total, total, sums);
                    const float inv[4] = {1.0f / sums[0], 1.0f / sums[1], 1.0f / sums[2], 1.0f / sums[3]};
                    valuesFn(scores, total, inv, values, total, out + i * hd);
                } else {
                    for (int h = 0; h < 4; ++h)
                        sums[h] = attention_detail::headSoftmax<S>(q + (i + h) * hd, keys[h], total, hd, scale,
                                                                   scores + h * total);
                    attention_detail::sumValues4Heads8<S>(scores, total, sums, values, total, out + i * hd);
                }
            }
            for (; i < H; ++i)
                attention_detail::attendHead<S>(q + i * hd, kc + (i / G) * capacity * hd, vc + (i / G) * capacity * hd,
                                                total, hd, scale, scores, out + i * hd);
            return;
        }
    }
    for (int64_t i = 0; i < H; ++i) {
        const T *keys = kc + (i / G) * capacity * hd, *values = vc + (i / G) * capacity * hd;
        if constexpr (std::is_same_v<A, float>) {
            attention_detail::attendHead<S>(q + i * hd, keys, values, total, hd, scale, scores, out + i * hd);
        } else { // bfloat16 activations: widened into float rows, the result rounded back
            thread_local std::vector<float> qf, acc;
            qf.resize(size_t(hd));
            acc.resize(size_t(hd));
            std::transform(q + i * hd, q + (i + 1) * hd, qf.begin(), [](A x) { return float(x); });
            attention_detail::attendHead<S>(qf.data(), keys, values, total, hd, scale, scores, acc.data());
            std::transform(acc.begin(), acc.end(), out + i * hd, [](float x) { return A(x); });
        }
    }
}

// A decode row's attention: appends k/v at pos, then attends over 0..pos (storeKv, then attendCached).
template <AttnSum S = AttnSum::Sequential, typename A, typename T>
void attendOne(const A *q, const A *k, const A *v, T *kc, T *vc, int64_t capacity, int64_t pos, int64_t H, int64_t KV,
               int64_t hd, float *scores, A *out)
{
    storeKv(k, v, kc, vc, capacity, pos, KV, hd);
    attendCached<S>(q, kc, vc, capacity, pos, H, KV, hd, scores, out);
}

} // namespace smartbot::engine
