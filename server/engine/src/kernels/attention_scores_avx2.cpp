// The AVX2 attention-score kernel (see attention_scores.h). This file alone is compiled with -mavx2 and
// -ffp-contract=off (server/engine/CMakeLists.txt): a multiply and an add must stay two roundings, as in dot8.
#include "kernels/attention_scores.h"

#include <bit>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace smartbot::engine::kernels {

#if defined(__AVX2__)

namespace {
__m256 load8(const float *p)
{
    return _mm256_loadu_ps(p);
}
// Eight bfloat16 values widened to float: zero-extended to 32 bits, shifted into the upper half (exact).
__m256 load8(const uint16_t *p)
{
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
float widen(float v)
{
    return v;
}
// Not matmul.h's inline bf16ToFloat: an inline function compiled here, with -mavx2, could become everybody's copy.
float widen(uint16_t v)
{
    return std::bit_cast<float>(uint32_t(v) << 16);
}

// Heads of exactly 8 values (the seed model's): eight positions at a time, their lane sums taken together. Position
// t's eight products p (0 + q[k] * key[k], as dot8's first block) are summed ((p0+p4)+(p1+p5))+((p2+p6)+(p3+p7)):
// adding the 128-bit halves of two positions' products side by side gives each its (k + k+4) pairs; a horizontal
// add of two such registers gives (0+4)+(1+5) and (2+6)+(3+7) per position, and a second one their sum, in the
// order a, c, e, g | b, d, f, h, which one permute puts right. So the bits are dot8's, as one position at a time,
// at about half the instructions (one store of eight scores instead of eight lane reductions and scalar stores).
template <typename K> int64_t scoresHead8(const float *q, const K *keys, int64_t total, float scale, float *scores)
{
    const __m256 qv = _mm256_loadu_ps(q), zero = _mm256_setzero_ps(), scaleV = _mm256_set1_ps(scale);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const auto products = [&](const K *k) { return _mm256_add_ps(zero, _mm256_mul_ps(qv, load8(k))); };
    // [a0+a4, a1+a5, a2+a6, a3+a7, b0+b4, b1+b5, b2+b6, b3+b7] for positions a and b.
    const auto pairSums = [](__m256 a, __m256 b) {
        return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
    };
    int64_t t = 0;
    for (; t + 8 <= total; t += 8) {
        const K *k = keys + t * 8;
        const __m256 ab = pairSums(products(k), products(k + 8)), cd = pairSums(products(k + 16), products(k + 24));
        const __m256 ef = pairSums(products(k + 32), products(k + 40)),
                     gh = pairSums(products(k + 48), products(k + 56));
        const __m256 sums = _mm256_hadd_ps(_mm256_hadd_ps(ab, cd), _mm256_hadd_ps(ef, gh));
        _mm256_storeu_ps(scores + t, _mm256_mul_ps(_mm256_permutevar8x32_ps(sums, order), scaleV));
    }
    return t;
}

template <typename K>
void scoresAvx2(const float *q, const K *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    const int64_t whole = hd / 8 * 8;
    for (int64_t t = hd == 8 ? scoresHead8(q, keys, total, scale, scores) : 0; t < total; ++t) {
        const K *k = keys + t * hd;
        // dot8's eight accumulators are the eight lanes of one register: acc[k] += q[8i + k] * key[8i + k].
        __m256 acc = _mm256_setzero_ps();
        for (int64_t i = 0; i < whole; i += 8)
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(q + i), load8(k + i)));
        // ((0+4) + (1+5)) + ((2+6) + (3+7)), as dot8 sums its lanes.
        const __m128 pairs = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
        const __m128 halves = _mm_add_ps(pairs, _mm_shuffle_ps(pairs, pairs, 0xB1)); // (0+4)+(1+5) in lane 0
        float s = _mm_cvtss_f32(_mm_add_ss(halves, _mm_movehl_ps(halves, halves)));
        for (int64_t e = whole; e < hd; ++e)
            s += q[e] * widen(k[e]);
        scores[t] = s * scale;
    }
}
} // namespace

void attentionScoresAvx2(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    scoresAvx2(q, keys, total, hd, scale, scores);
}

void attentionScoresBf16Avx2(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                             float *scores)
{
    scoresAvx2(q, keys, total, hd, scale, scores);
}

void headValues4x8Avx2(const float *scores, int64_t stride, const float *inv, const float *const *values, int64_t total,
                       float *out)
{
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t t = 0; t < total; ++t)
        for (int h = 0; h < 4; ++h) {
            const __m256 p = _mm256_set1_ps(scores[h * stride + t] * inv[h]);
            acc[h] = _mm256_add_ps(acc[h], _mm256_mul_ps(p, _mm256_loadu_ps(values[h] + t * 8)));
        }
    for (int h = 0; h < 4; ++h)
        _mm256_storeu_ps(out + 8 * h, acc[h]);
}

#else

void attentionScoresAvx2(const float *q, const float *keys, int64_t total, int64_t hd, float scale, float *scores)
{
    attentionScoresPortable(q, keys, total, hd, scale, scores);
}

void attentionScoresBf16Avx2(const float *q, const uint16_t *keys, int64_t total, int64_t hd, float scale,
                             float *scores)
{
    attentionScoresBf16Portable(q, keys, total, hd, scale, scores);
}

void headValues4x8Avx2(const float *scores, int64_t stride, const float *inv, const float *const *values, int64_t total,
                       float *out)
{
    headValues4x8Portable(scores, stride, inv, values, total, out);
}

#endif

} // namespace smartbot::engine::kernels
