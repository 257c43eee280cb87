// The AVX2 e^x kernels (see exp_kernels.h). This file alone is compiled with -mavx2 and
// -ffp-contract=off (server/engine/CMakeLists.txt): each multiply and add must round as the portable kernel's do.
#include "kernels/exp_kernels.h"

#if defined(__AVX2__)
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__)

namespace {

// expBounded (exp_kernels.cpp) in eight lanes, operation for operation.
__m256 expBounded8(__m256 x)
{
    using namespace exp_kernels;
    const __m256 n =
        _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m256 r = _mm256_sub_ps(_mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(kLn2Hi))),
                                   _mm256_mul_ps(n, _mm256_set1_ps(kLn2Lo)));
    __m256 p = _mm256_set1_ps(kTaylor[0]);
    for (int k = 1; k < 6; ++k)
        p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(kTaylor[k]));
    const __m256 one = _mm256_set1_ps(1.0f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), one);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), one);
    const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 e = _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
    e = _mm256_blendv_ps(e, _mm256_set1_ps(INFINITY), _mm256_cmp_ps(x, _mm256_set1_ps(kMax), _CMP_GT_OQ));
    e = _mm256_and_ps(e, _mm256_cmp_ps(x, _mm256_set1_ps(kMin), _CMP_GE_OQ)); // below kMin: 0 (NaN too, until...)
    return _mm256_blendv_ps(e, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));         // ...here: a NaN stays NaN
}

} // namespace

namespace {

// softmaxExpAvx2 on N heads (scores + h * stride, total each; their sums into sums[h]), the heads interleaved
// block by block: e^x is a chain of dependent multiplies and adds, and a head of the seed model has only a few
// blocks (~25-60 scores), so one head alone leaves the core waiting on that chain (under bench_chat_qps the
// softmax went from 17% of the engine thread to 5.6% with N = 4). Every head's operations are those of N = 1: the
// same bits.
template <int N> void softmaxExpHeads(float *scores, int64_t stride, int64_t total, float *sums)
{
    const int64_t full = total / 8 * 8;
    const int n = int(total - full);
    const __m256 minusInf = _mm256_set1_ps(-INFINITY);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    // The tail's scores, the lanes past the end -inf (they give 0). Masked loads read nothing past the end.
    const auto tailScores = [&](const float *s) {
        return _mm256_blendv_ps(minusInf, _mm256_maskload_ps(s + full, tail), _mm256_castsi256_ps(tail));
    };
    __m256 mv[N];
    for (int h = 0; h < N; ++h) {
        const float *s = scores + h * stride;
        // A NaN score leaves m8 as it was, as std::max does; the largest value does not depend on the order.
        __m256 m8 = minusInf;
        for (int64_t t = 0; t < full; t += 8)
            m8 = _mm256_max_ps(_mm256_loadu_ps(s + t), m8);
        if (n)
            m8 = _mm256_max_ps(tailScores(s), m8);
        alignas(32) float lanes[8];
        _mm256_store_ps(lanes, m8);
        float m = -INFINITY;
        for (float v : lanes)
            m = std::max(m, v);
        mv[h] = _mm256_set1_ps(m);
    }
    __m256 acc[N];
    for (int h = 0; h < N; ++h)
        acc[h] = _mm256_setzero_ps();
    for (int64_t t = 0; t < full; t += 8)
        for (int h = 0; h < N; ++h) {
            float *s = scores + h * stride;
            const __m256 e = expBounded8(_mm256_sub_ps(_mm256_loadu_ps(s + t), mv[h]));
            _mm256_storeu_ps(s + t, e);
            acc[h] = _mm256_add_ps(acc[h], e);
        }
    alignas(32) float tails[N][8];
    if (n) // the tail through one more vector (the scores minus the maximum, as dot8's tail takes them one by one)
        for (int h = 0; h < N; ++h)
            _mm256_store_ps(tails[h], expBounded8(_mm256_sub_ps(tailScores(scores + h * stride), mv[h])));
    for (int h = 0; h < N; ++h) {
        // ((0+4) + (1+5)) + ((2+6) + (3+7)), as dot8 sums its lanes; then the tail one by one.
        const __m128 pairs = _mm_add_ps(_mm256_castps256_ps128(acc[h]), _mm256_extractf128_ps(acc[h], 1));
        const __m128 halves = _mm_add_ps(pairs, _mm_shuffle_ps(pairs, pairs, 0xB1));
        float sum = _mm_cvtss_f32(_mm_add_ss(halves, _mm_movehl_ps(halves, halves)));
        float *s = scores + h * stride + full;
        for (int k = 0; k < n; ++k)
            sum += (s[k] = tails[h][k]);
        sums[h] = sum;
    }
}

} // namespace

float softmaxExpAvx2(float *scores, int64_t total)
{
    float sum;
    softmaxExpHeads<1>(scores, total, total, &sum);
    return sum;
}

void softmaxExp4Avx2(float *scores, int64_t stride, int64_t total, float *sums)
{
    softmaxExpHeads<4>(scores, stride, total, sums);
}

void siluGateAvx2(float *gate, const float *up, int64_t n)
{
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 g = _mm256_loadu_ps(gate + i);
        const __m256 e = expBounded8(_mm256_xor_ps(g, sign)); // e^-g
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
    }
    if (i < n) { // the tail through one more vector (its unused lanes are computed and dropped)
        alignas(32) float g[8] = {0, 0, 0, 0, 0, 0, 0, 0}, u[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t k = 0; i + k < n; ++k) {
            g[k] = gate[i + k];
            u[k] = up[i + k];
        }
        siluGateAvx2(g, u, 8);
        for (int64_t k = 0; i + k < n; ++k)
            gate[i + k] = g[k];
    }
}

#else

float softmaxExpAvx2(float *scores, int64_t total)
{
    return softmaxExpPortable(scores, total);
}
void softmaxExp4Avx2(float *scores, int64_t stride, int64_t total, float *sums)
{
    softmaxExp4Portable(scores, stride, total, sums);
}
void siluGateAvx2(float *gate, const float *up, int64_t n)
{
    siluGatePortable(gate, up, n);
}

#endif

} // namespace smartbot::engine::kernels
