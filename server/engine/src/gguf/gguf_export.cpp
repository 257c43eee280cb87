#include "smartbot/engine/gguf_export.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "gguf/gguf_vocab.h"
#include "gguf/gguf_writer.h"
#include "gguf/llama_tensor_map.h"
#include "gguf/quant_scheme.h"
#include "gguf/quantize.h"
#include "model/config.h"
#include "model/weight_set.h"
#include "smartbot/engine/chat_template.h"

namespace smartbot::engine {

namespace fs = std::filesystem;
using gguf::GgmlType;
using json = nlohmann::json;

namespace {

std::vector<float> toFloat(const TensorView &v)
{
    std::vector<float> out(static_cast<size_t>(v.numel()));
    const GgmlType type = v.dtype == DType::F32   ? GgmlType::F32
                          : v.dtype == DType::F16 ? GgmlType::F16
                                                  : GgmlType::BF16;
    gguf::ggmlTypeInfo(type)->dequantize(v.data, out.data(), v.numel());
    return out;
}

json readJson(const fs::path &path)
{
    std::ifstream in(path);
    if (!in)
        return json();
    return json::parse(in, nullptr, false);
}

// The pieces of a merge entry ("a b" or ["a", "b"]).
std::pair<std::string, std::string> mergePair(const json &m)
{
    if (m.is_array() && m.size() == 2)
        return {m[0].get<std::string>(), m[1].get<std::string>()};
    const std::string s = m.get<std::string>();
    const size_t space = s.find(' ');
    return {s.substr(0, space), space == std::string::npos ? std::string() : s.substr(space + 1)};
}

// The split expression of a byte-level pre-tokenizer ("" when it has none: GPT-2's ByteLevel with use_regex).
std::string splitRegex(const json &pre)
{
    if (!pre.is_object())
        return {};
    if (pre.value("type", "") == "Split" && pre.contains("pattern") && pre["pattern"].contains("Regex"))
        return pre["pattern"]["Regex"].get<std::string>();
    if (pre.value("type", "") == "Sequence")
        for (const auto &p : pre.value("pretokenizers", json::array()))
            if (std::string r = splitRegex(p); !r.empty())
                return r;
    return {};
}

bool hasPrepend(const json &normalizer)
{
    if (!normalizer.is_object())
        return false;
    if (normalizer.value("type", "") == "Prepend")
        return true;
    for (const auto &n : normalizer.value("normalizers", json::array()))
        if (hasPrepend(n))
            return true;
    return false;
}

// tokenizer.ggml.* from tokenizer.json (+ tokenizer_config.json), as llama.cpp's converter writes them.
Result<void> writeVocab(gguf::Writer &w, const fs::path &dir, const ModelConfig &config)
{
    const json tj = readJson(dir / "tokenizer.json");
    if (!tj.is_object() || !tj.contains("model"))
        return makeError("tokenizer.json is missing or not valid JSON");
    const json &model = tj["model"];
    if (model.value("type", "") != "BPE")
        return makeError("tokenizer.json: only BPE tokenizers can be written to GGUF (this one is '" +
                         model.value("type", std::string("?")) + "')");
    const json tcfg = readJson(dir / "tokenizer_config.json");

    std::vector<std::string> tokens;
    std::vector<int32_t> types;
    const auto place = [&](size_t id, const std::string &text, int32_t type) {
        if (tokens.size() <= id) {
            for (size_t i = tokens.size(); i <= id; ++i)
                tokens.push_back("[PAD" + std::to_string(i) + "]");
            types.resize(id + 1, 5); // unused
        }
        tokens[id] = text;
        types[id] = type;
    };
    const bool spm = model.value("byte_fallback", false);
    for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
        const std::string &t = it.key();
        const bool byte = spm && t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>';
        place(it.value().get<size_t>(), t, byte ? 6 : 1);
    }
    const std::string unk = model.value("unk_token", json()).is_string() ? model["unk_token"].get<std::string>() : "";
    for (const auto &a : tj.value("added_tokens", json::array()))
        place(a["id"].get<size_t>(), a["content"].get<std::string>(), a.value("special", false) ? 3 : 4);
    // The embedding may have more rows than the tokenizer has tokens (padding); GGUF readers take the vocabulary's
    // size from the token list, so it is padded with unused tokens as llama.cpp's converter does.
    if (tokens.size() < size_t(config.vocabSize))
        place(size_t(config.vocabSize) - 1, "[PAD" + std::to_string(config.vocabSize - 1) + "]", 5);
    std::map<std::string, size_t> ids;
    for (size_t i = 0; i < tokens.size(); ++i)
        ids.emplace(tokens[i], i);
    if (!unk.empty() && ids.count(unk))
        types[ids[unk]] = 2;

    const json &merges = model.value("merges", json::array());
    if (spm) {
        // SentencePiece scores: a piece the merges make scores minus the rank of its first merge (earlier merges
        // rank higher); every other piece scores below all of them, so that it never outranks a real merge.
        std::vector<float> scores(tokens.size(), 0.0f);
        std::vector<bool> scored(tokens.size(), false);
        for (size_t rank = 0; rank < merges.size(); ++rank) {
            const auto [a, b] = mergePair(merges[rank]);
            auto it = ids.find(a + b);
            if (it != ids.end() && !scored[it->second]) {
                scores[it->second] = -float(rank);
                scored[it->second] = true;
            }
        }
        for (size_t i = 0; i < tokens.size(); ++i)
            if (!scored[i] && types[i] == 1 && tokens[i].size() > 1)
                scores[i] = -float(merges.size() + i);
        w.setString("tokenizer.ggml.model", "llama");
        w.setStrings("tokenizer.ggml.tokens", tokens);
        w.setF32s("tokenizer.ggml.scores", scores);
        w.setBool("tokenizer.ggml.add_space_prefix", hasPrepend(tj.value("normalizer", json())));
    } else {
        const std::string regex = splitRegex(tj.value("pre_tokenizer", json()));
        const char *pre = regex.empty() ? "gpt2" : gguf::preTokenizerName(regex);
        if (!pre)
            return makeError("tokenizer.json: the pre-tokenizer's expression is not one GGUF names (known: GPT-2, "
                             "Llama 3, Qwen2)");
        std::vector<std::string> lines;
        for (const auto &m : merges) {
            const auto [a, b] = mergePair(m);
            lines.push_back(a + " " + b);
        }
        w.setString("tokenizer.ggml.model", "gpt2");
        w.setString("tokenizer.ggml.pre", pre);
        w.setStrings("tokenizer.ggml.tokens", tokens);
        w.setStrings("tokenizer.ggml.merges", lines);
    }
    w.setI32s("tokenizer.ggml.token_type", types);

    const auto tokenId = [&](const char *field) -> int64_t {
        if (!tcfg.is_object() || !tcfg.contains(field))
            return -1;
        const json &t = tcfg[field];
        const std::string text = t.is_string() ? t.get<std::string>() : t.is_object() ? t.value("content", "") : "";
        auto it = ids.find(text);
        return it == ids.end() ? -1 : int64_t(it->second);
    };
    const int64_t bos = config.bosTokenId >= 0 ? config.bosTokenId : tokenId("bos_token");
    const int64_t eos = !config.eosTokenIds.empty() ? config.eosTokenIds[0] : tokenId("eos_token");
    if (bos >= 0)
        w.setU32("tokenizer.ggml.bos_token_id", uint32_t(bos));
    if (eos >= 0)
        w.setU32("tokenizer.ggml.eos_token_id", uint32_t(eos));
    if (!unk.empty() && ids.count(unk))
        w.setU32("tokenizer.ggml.unknown_token_id", uint32_t(ids[unk]));
    const bool addBos =
        tcfg.is_object() && tcfg.value("add_bos_token", json()).is_boolean() ? tcfg["add_bos_token"].get<bool>() : spm;
    w.setBool("tokenizer.ggml.add_bos_token", addBos && bos >= 0);
    w.setBool("tokenizer.ggml.add_eos_token", false);
    if (fs::exists(dir / "tokenizer_config.json")) {
        auto tmpl = ChatTemplate::load((dir / "tokenizer_config.json").string());
        if (!tmpl)
            return tmpl.failure();
        if (!tmpl.value().isPlainFallback())
            w.setString("tokenizer.chat_template", tmpl.value().source());
    }
    return {};
}

} // namespace

Result<GgufExportReport> exportGguf(const std::string &modelDir, const std::string &outPath,
                                    const GgufExportOptions &options)
{
    const gguf::QuantScheme *ft = gguf::findQuantScheme(options.type);
    if (!ft)
        return makeError("unknown type '" + options.type + "' (use " + gguf::quantSchemeOptions() + ")");
    const fs::path dir(modelDir);
    auto cfg = ModelConfig::load((dir / "config.json").string());
    if (!cfg)
        return makeError(modelDir + ": " + cfg.error());
    const ModelConfig &c = cfg.value();
    const gguf::Architecture *arch = gguf::architectureByHf(c.architecture);
    if (!arch || (c.qkvBias && !arch->qkvBias))
        return makeError(modelDir + ": " + c.architecture + (arch ? " with attention biases" : "") +
                         " cannot be written to GGUF here (supported: Llama, Mistral, Qwen2)");
    if (c.slidingWindow > 0 && c.slidingWindow < c.maxPositions)
        return makeError(modelDir + ": a sliding window of " + std::to_string(c.slidingWindow) +
                         " positions has no GGUF key for this architecture");
    auto weights = WeightSet::open(modelDir);
    if (!weights)
        return makeError(modelDir + ": " + weights.error());

    gguf::Writer w;
    const std::string a = std::string(arch->gguf) + ".";
    w.setString("general.architecture", arch->gguf);
    w.setString("general.name", fs::absolute(dir).lexically_normal().filename().string());
    w.setU32("general.file_type", ft->fileType);
    w.setU32("general.quantization_version", 2);
    w.setU32(a + "context_length", uint32_t(c.maxPositions));
    w.setU32(a + "embedding_length", uint32_t(c.hiddenSize));
    w.setU32(a + "feed_forward_length", uint32_t(c.intermediateSize));
    w.setU32(a + "block_count", uint32_t(c.numLayers));
    w.setU32(a + "attention.head_count", uint32_t(c.numHeads));
    w.setU32(a + "attention.head_count_kv", uint32_t(c.numKvHeads));
    if (c.headDim * c.numHeads != c.hiddenSize) {
        w.setU32(a + "attention.key_length", uint32_t(c.headDim));
        w.setU32(a + "attention.value_length", uint32_t(c.headDim));
    }
    w.setU32(a + "rope.dimension_count", uint32_t(c.headDim));
    w.setF32(a + "rope.freq_base", float(c.ropeTheta));
    w.setF32(a + "attention.layer_norm_rms_epsilon", float(c.rmsNormEps));
    w.setU32(a + "vocab_size", uint32_t(c.vocabSize));
    if (c.ropeScaling == "linear") {
        w.setString(a + "rope.scaling.type", "linear");
        w.setF32(a + "rope.scaling.factor", float(c.ropeFactor));
    }
    if (auto v = writeVocab(w, dir, c); !v)
        return makeError(modelDir + ": " + v.error());

    if (c.ropeScaling == "llama3") {
        // Llama 3.1's frequency-dependent scaling, as llama.cpp stores it: the divisor of each frequency.
        ModelConfig plain = c;
        plain.ropeScaling = "none";
        const auto scaled = c.ropeInverseFrequencies(), unscaled = plain.ropeInverseFrequencies();
        std::vector<float> factors;
        for (size_t i = 0; i < scaled.size(); ++i)
            factors.push_back(float(unscaled[i] / scaled[i]));
        std::vector<uint8_t> bytes(factors.size() * 4);
        std::memcpy(bytes.data(), factors.data(), bytes.size());
        w.addTensor("rope_freqs.weight", GgmlType::F32, {int64_t(factors.size())}, std::move(bytes));
    }

    const auto names = gguf::tensorNames(c, *arch);
    GgufExportReport report;
    for (size_t n = 0; n < names.size(); ++n) {
        const gguf::TensorName &t = names[n];
        const TensorView *v = weights.value().find(t.hf);
        if (!v || v->shape != t.shape)
            return makeError(modelDir + ": tensor '" + t.hf + "' is missing or has the wrong shape");
        std::vector<float> values = toFloat(*v);
        const bool vector = t.shape.size() == 1;
        const int64_t rows = t.shape[0], cols = vector ? 1 : t.shape[1];
        if (t.permuteHeads) {
            std::vector<float> permuted(values.size());
            for (int64_t r = 0; r < rows; ++r)
                std::copy_n(values.begin() + r * cols, cols,
                            permuted.begin() + gguf::interleavedRow(r, rows, t.permuteHeads) * cols);
            values.swap(permuted);
        }
        GgmlType type = GgmlType::F32;
        if (!vector) {
            const int64_t layer = t.gguf.rfind("blk.", 0) == 0 ? std::stoll(t.gguf.substr(4)) : -1;
            const bool wide = t.gguf.find("attn_v.weight") != std::string::npos ||
                              t.gguf.find("ffn_down.weight") != std::string::npos;
            type = gguf::matrixType(*ft, t.gguf == "output.weight", wide, layer, c.numLayers, cols);
        }
        // Rows are whole blocks of their type (matrixType()), so the matrix quantizes in one run.
        std::vector<uint8_t> bytes;
        gguf::quantizeRow(type, values.data(), rows * cols, bytes);
        w.addTensor(t.gguf, type, vector ? std::vector<int64_t>{rows} : std::vector<int64_t>{cols, rows},
                    std::move(bytes));
        if (options.onProgress)
            options.onProgress(double(n + 1) / double(names.size()));
    }
    if (auto r = w.write(outPath); !r)
        return r.failure();
    std::error_code ec;
    report.tensors = int64_t(names.size());
    report.bytes = int64_t(fs::file_size(outPath, ec));
    report.fileType = ft->name;
    return report;
}

} // namespace smartbot::engine
