#include "model/config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace smartbot::engine {
namespace {

using json = nlohmann::json;

Error fieldError(const std::string &field, const std::string &what)
{
    return makeError("config.json: field '" + field + "' " + what);
}

// Reads a required positive integer field.
Result<int64_t> positiveInt(const json &j, const std::string &field, bool required = true, int64_t fallback = 0)
{
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) {
        if (required)
            return fieldError(field, "is missing");
        return fallback;
    }
    if (!it->is_number_integer())
        return fieldError(field, "must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v <= 0)
        return fieldError(field, "must be positive (got " + std::to_string(v) + ")");
    return v;
}

Result<double> positiveNumber(const json &j, const std::string &field, double fallback)
{
    auto it = j.find(field);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_number())
        return fieldError(field, "must be a number");
    const double v = it->get<double>();
    if (!(v > 0))
        return fieldError(field, "must be positive");
    return v;
}

Result<bool> boolean(const json &j, const std::string &field, bool fallback)
{
    auto it = j.find(field);
    if (it == j.end() || it->is_null())
        return fallback;
    if (!it->is_boolean())
        return fieldError(field, "must be true or false");
    return it->get<bool>();
}

} // namespace

namespace {
// The fields of a parsed config.json; nlohmann's type errors (a string where a number or boolean belongs) are
// turned into a message by parse().
Result<ModelConfig> parseFields(const json &j)
{
    ModelConfig c;
    auto arch = j.find("architectures");
    if (arch == j.end() || !arch->is_array() || arch->empty() || !(*arch)[0].is_string())
        return fieldError("architectures", "is missing or not a list of names");
    c.architecture = (*arch)[0].get<std::string>();
    if (c.architecture != "LlamaForCausalLM" && c.architecture != "MistralForCausalLM" &&
        c.architecture != "Qwen2ForCausalLM")
        return fieldError("architectures", "names unsupported architecture '" + c.architecture +
                                               "' (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM)");
    c.qkvBias = c.architecture == "Qwen2ForCausalLM";

#define SB_INT(member, name)                                                                                           \
    do {                                                                                                               \
        auto r = positiveInt(j, name);                                                                                 \
        if (!r)                                                                                                        \
            return r.failure();                                                                                        \
        c.member = r.value();                                                                                          \
    } while (0)
    SB_INT(hiddenSize, "hidden_size");
    SB_INT(intermediateSize, "intermediate_size");
    SB_INT(numLayers, "num_hidden_layers");
    SB_INT(numHeads, "num_attention_heads");
    SB_INT(vocabSize, "vocab_size");
    SB_INT(maxPositions, "max_position_embeddings");
#undef SB_INT

    auto kv = positiveInt(j, "num_key_value_heads", false, c.numHeads);
    if (!kv)
        return kv.failure();
    c.numKvHeads = kv.value();
    if (c.numHeads % c.numKvHeads != 0)
        return fieldError("num_key_value_heads", "(" + std::to_string(c.numKvHeads) +
                                                     ") must divide num_attention_heads (" +
                                                     std::to_string(c.numHeads) + ")");
    if (c.hiddenSize % c.numHeads != 0 && j.find("head_dim") == j.end())
        return fieldError("hidden_size", "must be divisible by num_attention_heads when head_dim is absent");
    auto hd = positiveInt(j, "head_dim", false, c.hiddenSize / c.numHeads);
    if (!hd)
        return hd.failure();
    c.headDim = hd.value();
    if (c.headDim % 2 != 0)
        return fieldError("head_dim", "must be even for rotary embeddings");

    auto eps = positiveNumber(j, "rms_norm_eps", 1e-6);
    if (!eps)
        return eps.failure();
    c.rmsNormEps = eps.value();
    auto theta = positiveNumber(j, "rope_theta", 10000.0);
    if (!theta)
        return theta.failure();
    c.ropeTheta = theta.value();
    auto tie = boolean(j, "tie_word_embeddings", false);
    if (!tie)
        return tie.failure();
    c.tieWordEmbeddings = tie.value();

    if (auto rs = j.find("rope_scaling"); rs != j.end() && !rs->is_null()) {
        if (!rs->is_object())
            return fieldError("rope_scaling", "must be an object or null");
        std::string type = rs->value("rope_type", rs->value("type", std::string()));
        if (type == "default") {
            type = "none";
        } else if (type == "linear" || type == "llama3") {
            auto f = positiveNumber(*rs, "factor", 0);
            if (!f || f.value() <= 0)
                return fieldError("rope_scaling.factor", "must be a positive number");
            c.ropeFactor = f.value();
            if (type == "llama3") {
                auto lo = positiveNumber(*rs, "low_freq_factor", 1.0),
                     hi = positiveNumber(*rs, "high_freq_factor", 4.0);
                auto orig = positiveInt(*rs, "original_max_position_embeddings");
                if (!lo || !hi || !orig || !(hi.value() > lo.value()))
                    return fieldError("rope_scaling", "(llama3) needs low_freq_factor < high_freq_factor and "
                                                      "original_max_position_embeddings");
                c.ropeLowFreqFactor = lo.value();
                c.ropeHighFreqFactor = hi.value();
                c.ropeOriginalMaxPositions = orig.value();
            }
        } else {
            return fieldError("rope_scaling", "type '" + type + "' is not supported (supported: linear, llama3)");
        }
        c.ropeScaling = type;
    }
    if (auto sw = j.find("sliding_window"); sw != j.end() && !sw->is_null()) {
        const bool enabled = j.value("use_sliding_window", c.architecture == "MistralForCausalLM");
        if (!sw->is_number_integer() || sw->get<int64_t>() <= 0)
            return fieldError("sliding_window", "must be a positive integer or null");
        if (enabled)
            c.slidingWindow = sw->get<int64_t>();
    }
    auto act = j.find("hidden_act");
    if (act != j.end() && !(act->is_string() && (*act == "silu" || *act == "swish")))
        return fieldError("hidden_act", "must be \"silu\"");
    for (const char *biasField : {"attention_bias", "mlp_bias"}) {
        auto b = boolean(j, biasField, false);
        if (!b)
            return b.failure();
        if (b.value() && std::string(biasField) == "attention_bias")
            c.qkvBias = true; // Llama-family attention_bias: q/k/v biases (o_proj bias is not supported)
        else if (b.value())
            return fieldError(biasField, "= true is not supported");
    }
    if (auto dt = j.find("torch_dtype"); dt != j.end() && dt->is_string())
        c.torchDtype = dt->get<std::string>();

    if (auto b = j.find("bos_token_id"); b != j.end() && b->is_number_integer())
        c.bosTokenId = b->get<int32_t>();
    if (auto e = j.find("eos_token_id"); e != j.end()) {
        if (e->is_number_integer())
            c.eosTokenIds.push_back(e->get<int32_t>());
        else if (e->is_array())
            for (const auto &x : *e)
                if (x.is_number_integer())
                    c.eosTokenIds.push_back(x.get<int32_t>());
    }
    for (int32_t id : c.eosTokenIds)
        if (id < 0 || id >= c.vocabSize)
            return fieldError("eos_token_id", "is outside the vocabulary");
    if (c.bosTokenId >= c.vocabSize)
        return fieldError("bos_token_id", "is outside the vocabulary");
    return c;
}
} // namespace

Result<ModelConfig> ModelConfig::parse(const std::string &jsonText)
{
    json j;
    try {
        j = json::parse(jsonText);
    } catch (const json::exception &e) {
        return makeError(std::string("config.json: invalid JSON: ") + e.what());
    }
    if (!j.is_object())
        return makeError("config.json: top level must be an object");

    try {
        return parseFields(j);
    } catch (const json::exception &e) { // e.g. "use_sliding_window": "yes" (fuzz_model_config)
        return makeError(std::string("config.json: a field has the wrong type: ") + e.what());
    }
}

std::vector<double> ModelConfig::ropeInverseFrequencies() const
{
    const int64_t half = headDim / 2;
    std::vector<double> inv(static_cast<size_t>(half));
    const double pi = 3.14159265358979323846;
    for (int64_t i = 0; i < half; ++i) {
        double f = 1.0 / std::pow(ropeTheta, double(2 * i) / double(headDim));
        if (ropeScaling == "linear") {
            f /= ropeFactor;
        } else if (ropeScaling == "llama3") {
            const double old = double(ropeOriginalMaxPositions);
            const double lowWavelen = old / ropeLowFreqFactor, highWavelen = old / ropeHighFreqFactor;
            const double wavelen = 2 * pi / f;
            if (wavelen > lowWavelen) {
                f /= ropeFactor;
            } else if (wavelen >= highWavelen) {
                const double smooth = (old / wavelen - ropeLowFreqFactor) / (ropeHighFreqFactor - ropeLowFreqFactor);
                f = (1 - smooth) * f / ropeFactor + smooth * f;
            }
        }
        if (!ropeFreqFactors.empty())
            f /= ropeFreqFactors[size_t(i)];
        inv[size_t(i)] = f;
    }
    return inv;
}

Result<ModelConfig> ModelConfig::load(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return makeError("cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse(ss.str());
}

} // namespace smartbot::engine
