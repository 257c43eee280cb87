// The AVX2 attention-score kernel (see attention_scores.h). This file alone is compiled with -mavx2 and
// -ffp-contract=off (server/engine/CMakeLists.txt): a multiply and an add must stay two roundings, as in dot8.
#include "kernels/attention_scores.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__)

namespace {

// r[p] holds 8 floats of position p; afterwards r[k] holds value k of positions 0..7.
inline void transpose8(__m256 r[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

} // namespace

void attentionScoresAvx2(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    const int64_t whole = hd / 8 * 8;
    const __m256 vscale = _mm256_set1_ps(scale);
    int64_t t = 0;
    for (; t + 8 <= total; t += 8) {
        const float *k0 = keys + t * hd;
        __m256 acc[8];
        for (__m256 &a : acc)
            a = _mm256_setzero_ps();
        for (int64_t i = 0; i < whole; i += 8) {
            __m256 r[8];
            for (int p = 0; p < 8; ++p)
                r[p] = _mm256_loadu_ps(k0 + p * hd + i);
            transpose8(r);
            for (int k = 0; k < 8; ++k)
                acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(_mm256_set1_ps(q[i + k]), r[k]));
        }
        __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(acc[0], acc[4]), _mm256_add_ps(acc[1], acc[5])),
                                 _mm256_add_ps(_mm256_add_ps(acc[2], acc[6]), _mm256_add_ps(acc[3], acc[7])));
        for (int64_t e = whole; e < hd; ++e) {
            const __m256 column = _mm256_set_ps(k0[7 * hd + e], k0[6 * hd + e], k0[5 * hd + e], k0[4 * hd + e],
                                                k0[3 * hd + e], k0[2 * hd + e], k0[1 * hd + e], k0[e]);
            s = _mm256_add_ps(s, _mm256_mul_ps(_mm256_set1_ps(q[e]), column));
        }
        _mm256_storeu_ps(scores + t, _mm256_mul_ps(s, vscale));
    }
    // The last positions in the baseline file's kernel: an inline dot8 compiled here could stand in for the
    // baseline callers' copy at link time (same symbol) and run AVX2 instructions on a CPU without them.
    if (t < total)
        attentionScoresPortable(q, keys + t * hd, total - t, hd, scale, scores + t);
}

#else

void attentionScoresAvx2(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    attentionScoresPortable(q, keys, total, hd, scale, scores);
}

#endif

} // namespace smartbot::engine::kernels
