// One quantized weight row unpacked for the batched (tiled) kernels: every value as an int8 in natural order, the sum
// of each 16 values, and per block of 32 values the float factors that quant_block_math.h's row dots apply to that
// block's integer sum, computed by the very same float expressions (so a tiled output equals the row dot's bit for
// bit). Unpacking costs one pass over the row per call; the tiles then reuse it for every group of 8 sequences.
//
// Kinds of combination (quant_block_math.h):
//   Scale32 (Q8_0, Q4_0): block J adds (a[J] x d_x) x isum,                        a = the block's d
//   Min32   (Q4_K, Q5_K): block J adds d_x x ((a[J] x isum) - (b[J] x xsum)),      a = d sc_J, b = dmin m_J
//   Groups16 (Q6_K):      block J adds (a[J] x d_x) x (c[2J] isum_lo + c[2J+1] isum_hi), a = d, c = the int8 scales
//
// Threading: a RowUnpack belongs to one thread (the kernels keep one per thread).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "gguf/block_values.h"
#include "gguf/ggml_type.h"

namespace smartbot::engine::kernels::quant {

enum class Combine { Scale32, Min32, Groups16 };

struct RowUnpack {
    std::vector<int8_t> q;      // cols values
    std::vector<int32_t> sum16; // cols / 16: the sum of each 16 values (where the kernel asks for them)
    std::vector<float> a, b;    // cols / 32
    std::vector<int32_t> c;     // cols / 16 (Groups16)

    // Sizes the buffers for rows of cols values. Defined in quant_matmul.cpp, built for baseline x86-64: the
    // SIMD files that include this header are built with -mavx2 or -mavx512*, and a std::vector member they
    // instantiated (resize's out-of-line growth) is a weak symbol the linker may keep for the whole program,
    // AVX-512 instructions and all, which would then run on AVX2-only CPUs.
    void size(int64_t cols);

    // Unpacks row w (GgmlType `type`, `cols` values); returns how blocks combine, false for a type it does not read.
    // Isa::half(p) reads a float16 (exact whichever way: the SIMD files pass their F16C conversion, which measured
    // 1.3% of a 64-stream decode as a call to gguf::halfToFloat); Isa::sums16(q, n, out) fills sum16 (or nothing,
    // for kernels that never read it).
    template <class Isa> bool unpack(uint32_t type, const uint8_t *w, int64_t cols, Combine &combine)
    {
        size(cols);
        int8_t *v = q.data();
        switch (gguf::GgmlType(type)) {
        case gguf::GgmlType::Q8_0:
            combine = Combine::Scale32;
            for (int64_t j = 0; j < cols / 32; ++j, w += 34) {
                a[size_t(j)] = Isa::half(w);
                std::memcpy(v + 32 * j, w + 2, 32);
            }
            break;
        case gguf::GgmlType::Q4_0:
            combine = Combine::Scale32;
            for (int64_t j = 0; j < cols / 32; ++j, w += 18) {
                a[size_t(j)] = Isa::half(w);
                gguf::q4_0Values(w + 2, v + 32 * j);
            }
            break;
        case gguf::GgmlType::Q4_K:
        case gguf::GgmlType::Q5_K: {
            combine = Combine::Min32;
            const bool five = gguf::GgmlType(type) == gguf::GgmlType::Q5_K;
            for (int64_t s = 0; s < cols / 256; ++s, w += five ? 176 : 144) {
                const float d = Isa::half(w), dmin = Isa::half(w + 2);
                uint8_t sc[8], m[8];
                gguf::kQuantScalesMins(w + 4, sc, m);
                for (int j = 0; j < 8; ++j) {
                    a[size_t(8 * s + j)] = d * float(sc[j]);
                    b[size_t(8 * s + j)] = dmin * float(m[j]);
                }
                if (five)
                    gguf::q5_kValues(w + 16, w + 48, v + 256 * s);
                else
                    gguf::q4_kValues(w + 16, v + 256 * s);
            }
            break;
        }
        case gguf::GgmlType::Q6_K:
            combine = Combine::Groups16;
            for (int64_t s = 0; s < cols / 256; ++s, w += 210) {
                const float d = Isa::half(w + 208);
                const auto *sc = reinterpret_cast<const int8_t *>(w + 192);
                for (int g = 0; g < 16; ++g)
                    c[size_t(16 * s + g)] = sc[g];
                for (int j = 0; j < 8; ++j)
                    a[size_t(8 * s + j)] = d;
                gguf::q6_kValues(w, v + 256 * s);
            }
            break;
        default:
            return false;
        }
        Isa::sums16(v, cols, sum16.data());
        return true;
    }
};

} // namespace smartbot::engine::kernels::quant
