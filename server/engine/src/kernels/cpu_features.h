// What this CPU can run, read once per process: the kernels' run-time dispatch (matmul.cpp, quant_matmul.cpp) and the
// tests that compare an instruction set's kernel with the portable one.
#pragma once

namespace smartbot::engine::kernels {

bool cpuHasAvx2Fma();    // AVX2 and FMA
bool cpuHasAvx512F();    // AVX512F, AVX512DQ and AVX512VL, with the OS saving AVX-512 state
bool cpuHasF16c();       // half/float conversions (vcvtph2ps)
bool cpuHasAvx512Vnni(); // AVX512-VNNI and AVX512-VL, with the OS saving AVX-512 state
bool cpuHasAvx512Bf16(); // AVX512-BF16, AVX512-BW and AVX512-VL, with the OS saving AVX-512 state

} // namespace smartbot::engine::kernels
