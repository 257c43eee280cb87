#include "gguf/quant_scheme.h"

namespace smartbot::engine::gguf {

namespace {
constexpr QuantScheme kSchemes[] = {
    {"f32", "F32", 0, GgmlType::F32, GgmlType::F32, false},
    {"f16", "F16", 1, GgmlType::F16, GgmlType::F16, false},
    {"bf16", "BF16", 32, GgmlType::BF16, GgmlType::BF16, false},
    {"q8_0", "Q8_0", 7, GgmlType::Q8_0, GgmlType::Q8_0, false},
    {"q4_0", "Q4_0", 2, GgmlType::Q4_0, GgmlType::Q6_K, false},
    {"q4_k_m", "Q4_K_M", 15, GgmlType::Q4_K, GgmlType::Q6_K, true},
};

// The layers llama.cpp's Q4_K_M gives more bits: the first and last eighth, and every third one between.
bool moreBits(int64_t layer, int64_t layers)
{
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}
} // namespace

const QuantScheme *findQuantScheme(const std::string &option)
{
    const std::string wanted = option == "q4_k" ? "q4_k_m" : option;
    for (const auto &s : kSchemes)
        if (wanted == s.option)
            return &s;
    return nullptr;
}

std::string quantSchemeOptions()
{
    std::string out;
    const size_t n = sizeof(kSchemes) / sizeof(kSchemes[0]);
    for (size_t i = 0; i < n; ++i)
        out += std::string(i == 0 ? "" : i + 1 == n ? " or " : ", ") + kSchemes[i].option;
    return out;
}

GgmlType matrixType(const QuantScheme &scheme, bool output, bool wide, int64_t layer, int64_t layers, int64_t cols)
{
    GgmlType want = output ? scheme.output : scheme.matrix;
    if (scheme.kMixture && wide && layer >= 0 && moreBits(layer, layers))
        want = GgmlType::Q6_K;
    for (GgmlType t : {want, GgmlType::Q8_0, GgmlType::F32})
        if (cols % ggmlTypeInfo(t)->blockSize == 0)
            return t;
    return GgmlType::F32;
}

} // namespace smartbot::engine::gguf
