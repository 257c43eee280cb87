// Fuzzes ModelConfig::parse (server/engine/src/model_config.h) with the input as config.json. Invariants: errors come
// back as Result errors (an exception escaping parse() is a finding), and an accepted configuration is one the
// forward pass can use: positive sizes, heads divisible into key/value groups, an even head_dim, valid token ids,
// and finite, positive RoPE inverse frequencies (computed only for head_dim <= 65536: a larger one is refused
// later by the weight shapes, and allocating it here would only measure memory).
#include <cmath>

#include "fuzz_check.h"
#include "model/config.h"

using smartbot::engine::ModelConfig;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto r = ModelConfig::parse(std::string(reinterpret_cast<const char *>(data), size));
    if (!r.ok()) {
        FUZZ_CHECK(!r.error().empty(), "refused without a message");
        return 0;
    }
    const ModelConfig &c = r.value();
    FUZZ_CHECK(c.hiddenSize > 0 && c.intermediateSize > 0 && c.numLayers > 0 && c.vocabSize > 0 && c.maxPositions > 0,
               "sizes");
    FUZZ_CHECK(c.numHeads > 0 && c.numKvHeads > 0 && c.numHeads % c.numKvHeads == 0, "heads");
    FUZZ_CHECK(c.headDim > 0 && c.headDim % 2 == 0, "head_dim");
    FUZZ_CHECK(c.rmsNormEps > 0 && c.ropeTheta > 0 && c.ropeFactor > 0, "eps / theta / factor");
    FUZZ_CHECK(c.bosTokenId < c.vocabSize, "bos_token_id");
    for (int32_t id : c.eosTokenIds)
        FUZZ_CHECK(id >= 0 && id < c.vocabSize, "eos_token_id");
    FUZZ_CHECK(c.ropeScaling == "none" || c.ropeScaling == "linear" || c.ropeScaling == "llama3", "rope_scaling");
    if (c.headDim <= 65536) {
        const std::vector<double> inv = c.ropeInverseFrequencies();
        FUZZ_CHECK(int64_t(inv.size()) == c.headDim / 2, "inverse frequencies");
        for (double f : inv)
            FUZZ_CHECK(std::isfinite(f) && f >= 0, "inverse frequency " + std::to_string(f));
    }
    return 0;
}
