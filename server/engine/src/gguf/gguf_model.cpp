#include "gguf/gguf_model.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "gguf/gguf_vocab.h"
#include "gguf/llama_tensor_map.h"
#include "tokenizer/tokenizer_from_json.h"

namespace smartbot::engine::gguf {

namespace fs = std::filesystem;

namespace {

// general.file_type (llama.cpp's LLAMA_FTYPE_*), for the model's description.
struct FileType {
    int64_t id;
    const char *name;
};
constexpr FileType kFileTypes[] = {
    {0, "F32"},     {1, "F16"},     {2, "Q4_0"},    {3, "Q4_1"},    {7, "Q8_0"},    {8, "Q5_0"},
    {9, "Q5_1"},    {10, "Q2_K"},   {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"},
    {15, "Q4_K_M"}, {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"},   {32, "BF16"},
};

std::string shapeString(const std::vector<int64_t> &s)
{
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

std::string supportedTypes()
{
    std::string out;
    for (uint32_t id = 0; id < 64; ++id)
        if (const GgmlTypeInfo *t = ggmlTypeInfo(id); t && t->dequantize)
            out += (out.empty() ? "" : ", ") + std::string(t->name);
    return out;
}

} // namespace

Result<ModelConfig> modelConfig(const File &f)
{
    auto archName = f.string("general.architecture");
    if (!archName)
        return archName.failure();
    const Architecture *arch = architectureByGguf(archName.value());
    if (!arch)
        return makeError("general.architecture '" + archName.value() + "' is not supported (supported: llama, qwen2)");
    const std::string p = archName.value() + ".";
    ModelConfig c;
    c.architecture = arch->hf;
    c.qkvBias = arch->qkvBias;

    struct Field {
        int64_t *member;
        std::string key;
        bool required;
    };
    int64_t keyLength = 0, valueLength = 0, ropeDims = 0, vocab = 0;
    const Field fields[] = {
        {&c.hiddenSize, p + "embedding_length", true},   {&c.intermediateSize, p + "feed_forward_length", true},
        {&c.numLayers, p + "block_count", true},         {&c.numHeads, p + "attention.head_count", true},
        {&c.maxPositions, p + "context_length", true},   {&c.numKvHeads, p + "attention.head_count_kv", false},
        {&keyLength, p + "attention.key_length", false}, {&valueLength, p + "attention.value_length", false},
        {&ropeDims, p + "rope.dimension_count", false},  {&vocab, p + "vocab_size", false},
    };
    for (const Field &fd : fields) {
        if (!fd.required && !f.find(fd.key))
            continue;
        auto v = f.integer(fd.key);
        if (!v)
            return v.failure();
        if (v.value() <= 0 || v.value() > (int64_t(1) << 31))
            return makeError("metadata '" + fd.key + "' = " + std::to_string(v.value()) + " is out of range");
        *fd.member = v.value();
    }
    if (c.numKvHeads == 0)
        c.numKvHeads = c.numHeads;
    if (c.numHeads % c.numKvHeads != 0)
        return makeError("metadata '" + p + "attention.head_count_kv' (" + std::to_string(c.numKvHeads) +
                         ") must divide the head count (" + std::to_string(c.numHeads) + ")");
    if (keyLength == 0 && c.hiddenSize % c.numHeads != 0)
        return makeError("metadata '" + p + "embedding_length' must be divisible by the head count when '" + p +
                         "attention.key_length' is absent");
    c.headDim = keyLength ? keyLength : c.hiddenSize / c.numHeads;
    if (valueLength && valueLength != c.headDim)
        return makeError("metadata '" + p + "attention.value_length' must equal the key length (" +
                         std::to_string(c.headDim) + ")");
    if (c.headDim % 2 != 0)
        return makeError("the head size " + std::to_string(c.headDim) + " must be even for rotary embeddings");
    if (ropeDims && ropeDims != c.headDim)
        return makeError("metadata '" + p + "rope.dimension_count' = " + std::to_string(ropeDims) +
                         ": rotary embeddings over part of a head are not supported (it must equal the head size " +
                         std::to_string(c.headDim) + ")");

    auto eps = f.number(p + "attention.layer_norm_rms_epsilon", 1e-5);
    auto theta = f.number(p + "rope.freq_base", 10000.0);
    if (!eps || !theta)
        return !eps ? eps.failure() : theta.failure();
    if (!(eps.value() > 0) || !(theta.value() > 0))
        return makeError("metadata '" + p +
                         (!(eps.value() > 0) ? "attention.layer_norm_rms_epsilon" : "rope.freq_base") +
                         "' must be positive");
    c.rmsNormEps = eps.value();
    c.ropeTheta = theta.value();

    auto scaling = f.string(p + "rope.scaling.type", "none");
    if (!scaling)
        return scaling.failure();
    if (scaling.value() == "linear") {
        auto factor = f.number(p + "rope.scaling.factor", 0);
        if (!factor || !(factor.value() > 0))
            return makeError("metadata '" + p + "rope.scaling.factor' must be a positive number for linear scaling");
        c.ropeScaling = "linear";
        c.ropeFactor = factor.value();
    } else if (scaling.value() != "none") {
        return makeError("metadata '" + p + "rope.scaling.type' = '" + scaling.value() +
                         "' is not supported (supported: none, linear)");
    }

    const Tensor *embed = f.tensor("token_embd.weight");
    if (!embed || embed->dims.size() != 2)
        return makeError("tensor 'token_embd.weight' is missing or not 2-dimensional");
    if (vocab && vocab != embed->dims[1])
        return makeError("metadata '" + p + "vocab_size' = " + std::to_string(vocab) + " but token_embd.weight has " +
                         std::to_string(embed->dims[1]) + " rows");
    c.vocabSize = embed->dims[1];
    c.tieWordEmbeddings = f.tensor("output.weight") == nullptr;

    if (const Tensor *freqs = f.tensor("rope_freqs.weight")) {
        if (freqs->type != uint32_t(GgmlType::F32) || freqs->dims.size() != 1 || freqs->dims[0] != c.headDim / 2)
            return makeError("tensor 'rope_freqs.weight' must be F32 with " + std::to_string(c.headDim / 2) +
                             " values");
        std::vector<float> v(static_cast<size_t>(freqs->dims[0]));
        ggmlTypeInfo(GgmlType::F32)->dequantize(freqs->data, v.data(), freqs->dims[0]);
        for (float x : v) {
            if (!(x > 0))
                return makeError("tensor 'rope_freqs.weight' holds a value that is not positive");
            c.ropeFreqFactors.push_back(double(x));
        }
    }

    for (const char *key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                            "tokenizer.ggml.eom_token_id"}) {
        auto id = f.integer(key, -1);
        if (!id)
            return id.failure();
        if (id.value() < 0 || id.value() >= c.vocabSize)
            continue; // absent, or llama.cpp's "none" (0xFFFFFFFF)
        if (std::string(key) == "tokenizer.ggml.bos_token_id")
            c.bosTokenId = int32_t(id.value());
        else
            c.eosTokenIds.push_back(int32_t(id.value()));
    }
    c.torchDtype = "gguf";
    return c;
}

namespace {
// Every tensor the forward pass needs is there with its shape and a type this build decodes, and nothing else is.
Result<std::vector<TensorName>> checkTensors(const File &file, const ModelConfig &config)
{
    const Architecture &arch = *architectureByHf(config.architecture); // modelConfig() named it
    std::vector<TensorName> expected = tensorNames(config, arch);
    std::set<std::string> used = {"rope_freqs.weight"};
    for (const TensorName &t : expected) {
        const Tensor *g = file.tensor(t.gguf);
        if (!g)
            return makeError("tensor '" + t.gguf + "' is missing");
        std::vector<int64_t> shape(g->dims.rbegin(), g->dims.rend());
        if (shape != t.shape)
            return makeError("tensor '" + t.gguf + "' has shape " + shapeString(shape) +
                             " (rows, columns), the metadata implies " + shapeString(t.shape));
        const GgmlTypeInfo *info = ggmlTypeInfo(g->type);
        if (t.shape.size() == 1 && info->blockSize != 1)
            return makeError("tensor '" + t.gguf + "' is a vector of type " + info->name +
                             " (vectors must be F32, F16 or BF16)");
        if (!info->dequantize)
            return makeError("tensor '" + t.gguf + "' has type " + info->name +
                             ", which SmartBot cannot run (supported: " + supportedTypes() + ")");
        used.insert(t.gguf);
    }
    for (const Tensor &t : file.tensors())
        if (!used.count(t.name))
            return makeError("tensor '" + t.name + "' is not part of a " + std::string(arch.gguf) +
                             " model SmartBot runs (a different architecture or an unsupported variant)");
    return expected;
}
} // namespace

Result<ModelConfig> checkModel(const File &file)
{
    auto config = modelConfig(file);
    if (!config)
        return config.failure();
    if (auto t = checkTensors(file, config.value()); !t)
        return t.failure();
    if (auto v = vocabJson(file); !v)
        return v.failure();
    return config;
}

Result<Model> loadModel(const std::string &path)
{
    auto opened = File::open(path);
    if (!opened)
        return opened.failure();
    std::shared_ptr<const File> file = opened.value();
    const auto fail = [&path](const std::string &what) { return makeError(path + ": " + what); };

    auto config = modelConfig(*file);
    if (!config)
        return fail(config.error());
    Model m;
    m.config = config.value();
    // Every tensor is checked before any is decoded: names, shapes, types.
    auto checked = checkTensors(*file, m.config);
    if (!checked)
        return fail(checked.error());
    const std::vector<TensorName> &expected = checked.value();

    std::vector<TensorView> views;
    std::vector<std::shared_ptr<const void>> keepAlive = {file};
    for (const TensorName &t : expected) {
        const Tensor &g = *file->tensor(t.gguf);
        TensorView v;
        v.name = t.hf;
        v.shape = t.shape;
        v.data = g.data; // in place over the mapping
        v.bytes = g.bytes;
        if (g.type == uint32_t(GgmlType::F32) || g.type == uint32_t(GgmlType::F16) ||
            g.type == uint32_t(GgmlType::BF16)) {
            v.dtype = g.type == uint32_t(GgmlType::F32)   ? DType::F32
                      : g.type == uint32_t(GgmlType::F16) ? DType::F16
                                                          : DType::BF16;
        } else {
            // Kept in its blocks: the CPU's quantized kernels read them, LlamaModel decodes them for other devices.
            v.quantized = true;
            v.ggmlType = g.type;
            v.rowBytes = g.rowBytes();
        }
        // q/k rows (a bias's values) stay in GGUF's interleaved order, in place: LlamaModel reorders the products'
        // values instead. (Copying them into Hugging Face order took 25-50 ms of a float32 768x12 file's load and
        // held a second copy of every q and k matrix: 2 GB for a 7B float16 file.)
        v.interleavedHeads = t.permuteHeads;
        views.push_back(std::move(v));
    }
    m.weights = WeightSet::fromViews(std::move(views), std::move(keepAlive));

    auto vocab = vocabJson(*file);
    if (!vocab)
        return fail(vocab.error());
    auto tok =
        tokenizerFromJson(std::move(vocab.value().tokenizer), &vocab.value().config, path + " (tokenizer.ggml.*)");
    if (!tok)
        return tok.failure();
    m.tokenizer = std::move(tok.value());
    if (m.tokenizer->vocabSize() > m.config.vocabSize)
        return fail("the vocabulary has " + std::to_string(m.tokenizer->vocabSize()) +
                    " tokens but token_embd.weight only " + std::to_string(m.config.vocabSize) + " rows");
    auto source = file->string("tokenizer.chat_template", "");
    if (!source)
        return fail(source.error());
    if (!source.value().empty()) {
        auto t = ChatTemplate::parse(source.value(), vocab.value().bosToken, vocab.value().eosToken);
        if (!t)
            return fail("tokenizer.chat_template: " + t.error());
        m.chatTemplate = std::move(t.value());
    }
    auto fileType = file->integer("general.file_type", -1);
    if (!fileType)
        return fail(fileType.error());
    for (const auto &ft : kFileTypes)
        if (ft.id == fileType.value())
            m.quantization = ft.name;
    if (m.quantization.empty()) // no general.file_type: the embedding's type says most
        m.quantization = ggmlTypeName(file->tensor("token_embd.weight")->type);
    std::error_code ec;
    m.fileBytes = int64_t(fs::file_size(path, ec));
    return m;
}

Result<std::string> ggufPath(const std::string &modelPath)
{
    std::error_code ec;
    const fs::path p(modelPath);
    if (fs::is_regular_file(p, ec))
        return p.extension() == ".gguf" ? modelPath : std::string();
    if (!fs::is_directory(p, ec) || fs::exists(p / "config.json", ec))
        return std::string();
    std::vector<std::string> found;
    for (const auto &entry : fs::directory_iterator(p, ec))
        if (entry.path().extension() == ".gguf" && entry.is_regular_file(ec))
            found.push_back(entry.path().filename().string());
    std::sort(found.begin(), found.end());
    if (found.size() > 1) {
        std::string names;
        for (const auto &n : found)
            names += (names.empty() ? "" : ", ") + n;
        return makeError(modelPath + " holds several GGUF files (" + names + "): name one of them as the model");
    }
    return found.empty() ? std::string() : (p / found[0]).string();
}

} // namespace smartbot::engine::gguf
