#include "kernels/exp_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu_features.h"

namespace smartbot::engine::kernels {

namespace {

// e^x as exp_kernels.h describes; the AVX2 kernels do the same operations lane by lane.
float expBounded(float x)
{
    using namespace exp_kernels;
    if (std::isnan(x))
        return x;
    if (x < kMin)
        return 0.0f;
    if (x > kMax)
        return INFINITY;
    const float n = std::nearbyint(x * kLog2e);
    const float r = (x - n * kLn2Hi) - n * kLn2Lo;
    float p = kTaylor[0];
    for (int k = 1; k < 6; ++k)
        p = p * r + kTaylor[k];
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

} // namespace

float softmaxExpPortable(float *scores, int64_t total)
{
    float m = -INFINITY;
    for (int64_t t = 0; t < total; ++t)
        m = std::max(m, scores[t]);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t t = 0;
    for (; t + 8 <= total; t += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += (scores[t + k] = expBounded(scores[t + k] - m));
    float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; t < total; ++t)
        sum += (scores[t] = expBounded(scores[t] - m));
    return sum;
}

void softmaxExp4Portable(float *scores, int64_t stride, int64_t total, float *sums)
{
    for (int h = 0; h < 4; ++h)
        sums[h] = softmaxExpPortable(scores + h * stride, total);
}

void siluGatePortable(float *gate, const float *up, int64_t n)
{
    for (int64_t i = 0; i < n; ++i)
        gate[i] = gate[i] / (1.0f + expBounded(-gate[i])) * up[i];
}

SoftmaxExpFn softmaxExp()
{
    static const SoftmaxExpFn fn = cpuHasAvx2Fma() ? softmaxExpAvx2 : softmaxExpPortable;
    return fn;
}

SoftmaxExp4Fn softmaxExp4()
{
    static const SoftmaxExp4Fn fn = cpuHasAvx2Fma() ? softmaxExp4Avx2 : softmaxExp4Portable;
    return fn;
}

SiluGateFn siluGate()
{
    static const SiluGateFn fn = cpuHasAvx2Fma() ? siluGateAvx2 : siluGatePortable;
    return fn;
}

} // namespace smartbot::engine::kernels
