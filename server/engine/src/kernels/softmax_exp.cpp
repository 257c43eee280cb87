#include "kernels/softmax_exp.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu_features.h"

namespace smartbot::engine::kernels {

namespace {

// e^x for x <= 0, as softmax_exp.h describes; the AVX2 kernel does the same operations lane by lane.
float expNonPositive(float x)
{
    using namespace softmax_exp;
    if (std::isnan(x))
        return x;
    if (x < kMin)
        return 0.0f;
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
            acc[k] += (scores[t + k] = expNonPositive(scores[t + k] - m));
    float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; t < total; ++t)
        sum += (scores[t] = expNonPositive(scores[t] - m));
    return sum;
}

SoftmaxExpFn softmaxExp()
{
    static const SoftmaxExpFn fn = cpuHasAvx2Fma() ? softmaxExpAvx2 : softmaxExpPortable;
    return fn;
}

} // namespace smartbot::engine::kernels
