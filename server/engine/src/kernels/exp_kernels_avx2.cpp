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

float softmaxExpAvx2(float *scores, int64_t total)
{
    int64_t t = 0;
    __m256 m8 = _mm256_set1_ps(-INFINITY);
    for (; t + 8 <= total; t += 8)
        m8 = _mm256_max_ps(_mm256_loadu_ps(scores + t), m8); // a NaN score leaves m8 as it was, as std::max does
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, m8);
    float m = -INFINITY;
    for (float v : lanes)
        m = std::max(m, v);
    for (; t < total; ++t)
        m = std::max(m, scores[t]);

    const __m256 mv = _mm256_set1_ps(m);
    __m256 acc = _mm256_setzero_ps();
    for (t = 0; t + 8 <= total; t += 8) {
        const __m256 e = expBounded8(_mm256_sub_ps(_mm256_loadu_ps(scores + t), mv));
        _mm256_storeu_ps(scores + t, e);
        acc = _mm256_add_ps(acc, e);
    }
    // ((0+4) + (1+5)) + ((2+6) + (3+7)), as dot8 sums its lanes.
    const __m128 pairs = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    const __m128 halves = _mm_add_ps(pairs, _mm_shuffle_ps(pairs, pairs, 0xB1));
    float sum = _mm_cvtss_f32(_mm_add_ss(halves, _mm_movehl_ps(halves, halves)));
    if (t < total) { // the tail through one more vector, padded with scores that give 0; summed one by one
        alignas(32) float tail[8];
        for (int k = 0; k < 8; ++k)
            tail[k] = t + k < total ? scores[t + k] - m : -INFINITY;
        _mm256_store_ps(tail, expBounded8(_mm256_load_ps(tail)));
        for (int k = 0; t < total; ++k, ++t)
            sum += (scores[t] = tail[k]);
    }
    return sum;
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
void siluGateAvx2(float *gate, const float *up, int64_t n)
{
    siluGatePortable(gate, up, n);
}

#endif

} // namespace smartbot::engine::kernels
