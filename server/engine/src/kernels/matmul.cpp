// The portable matmul kernel and the once-per-process choice of kernel (see matmul.h).
#include "kernels/matmul.h"

#include "kernels/cpu_features.h"

namespace smartbot::engine::kernels {

namespace {

// dot8 over bfloat16 weights: the same operation order, each weight widened exactly first.
inline float dot8(const uint16_t *a, const float *b, int64_t n)
{
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += bf16ToFloat(a[i + k]) * b[i + k];
    float s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; ++i)
        s += bf16ToFloat(a[i]) * b[i];
    return s;
}
using kernels::dot8; // the float32 one (matmul.h), beside this overload

struct Choice {
    MatmulRowsFn fn;
    const char *name;
};

const Choice &choice()
{
    static const Choice chosen =
        cpuHasAvx2Fma() ? Choice{matmulRowsAvx2, "avx2-fma"} : Choice{matmulRowsPortable, "portable"};
    return chosen;
}

template <typename WT>
void rowsPortable(const WT *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y, int64_t yStride,
                  int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    for (int64_t r = rowBegin; r < rowEnd; ++r) {
        const WT *wr = w + r * cols;
        for (int64_t b = 0; b < B; ++b) {
            const float v = dot8(wr, x + b * xStride, cols);
            float &out = y[b * yStride + r];
            out = accumulate ? out + v : v;
        }
    }
}

} // namespace

void matmulRowsPortable(const float *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                        int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    rowsPortable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

void matmulRowsBf16Portable(const uint16_t *w, int64_t cols, const float *x, int64_t xStride, int64_t B, float *y,
                            int64_t yStride, int64_t rowBegin, int64_t rowEnd, bool accumulate)
{
    rowsPortable(w, cols, x, xStride, B, y, yStride, rowBegin, rowEnd, accumulate);
}

MatmulRowsBf16Fn matmulRowsBf16()
{
    static const MatmulRowsBf16Fn chosen = cpuHasAvx2Fma() ? matmulRowsBf16Avx2 : matmulRowsBf16Portable;
    return chosen;
}

MatmulRowsFn matmulRows()
{
    return choice().fn;
}

const char *matmulKernelName()
{
    return choice().name;
}

} // namespace smartbot::engine::kernels
