#include "smartbot/engine/engine.h"

#include <algorithm>
#include <map>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include <malloc.h>

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "model/llama_model.h"
#include "model/config.h"
#include "model/weight_set.h"
#include "sampling/sampler.h"
#include "sampling/stop_matcher.h"
#include "engine/impl.h"
#include "gguf/quant_scheme.h"
#include "gguf/gguf_model.h"
#include "tools/tool_messages.h"

namespace smartbot::engine {

namespace fs = std::filesystem;

Engine::Engine() : d_(std::make_unique<Impl>()) {}
Engine::~Engine() = default;

std::string runtimeDescription()
{
    return std::string("libtorch ") + TORCH_VERSION + ", CPU matmul kernel " + kernels::matmulKernelName() +
           " (bfloat16: " + kernels::matmulBf16KernelName() + ")" +
           (torch::cuda::is_available() ? ", CUDA available" : ", no CUDA");
}

const ModelInfo &Engine::info() const
{
    return d_->info;
}
const Tokenizer &Engine::tokenizer() const
{
    return *d_->tokenizer;
}

namespace {

Result<std::vector<int32_t>> readEosIds(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<int32_t> out;
    try {
        const auto j = nlohmann::json::parse(ss.str());
        if (auto e = j.find("eos_token_id"); e != j.end()) {
            if (e->is_number_integer())
                out.push_back(e->get<int32_t>());
            else if (e->is_array())
                for (const auto &x : *e)
                    out.push_back(x.get<int32_t>());
            else if (!e->is_null())
                return makeError("generation_config.json: 'eos_token_id' must be an id or a list of ids");
        }
    } catch (const nlohmann::json::exception &e) {
        return makeError(std::string("generation_config.json: ") + e.what());
    }
    return out;
}

int chooseThreads(int requested, int64_t parameters)
{
    if (requested > 0)
        return requested;
    const int hw = std::max(1u, std::thread::hardware_concurrency());
    // Tiny models are dominated by per-op overhead: extra threads only add synchronisation.
    if (parameters < 20'000'000)
        return 1;
    return hw;
}

Result<torch::ScalarType> chooseDtype(const std::string &requested, torch::Device device, const WeightSet &weights)
{
    if (requested == "float32")
        return torch::kFloat32;
    if (requested == "bfloat16")
        return torch::kBFloat16;
    if (requested == "float16") {
        if (!device.is_cuda())
            return makeError("dtype float16 needs CUDA: libtorch has no float16 matrix products on the CPU (use "
                             "float32 or bfloat16)");
        return torch::kFloat16;
    }
    if (requested != "auto")
        return makeError("unknown dtype '" + requested + "' (use auto, float32, bfloat16 or float16)");
    if (device.is_cuda())
        return torch::kBFloat16;
    const TensorView *embed = weights.find("model.embed_tokens.weight");
    const bool storedBf16 = embed && embed->dtype == DType::BF16;
    const bool fastBf16 = kernels::cpuHasAvx512Bf16();
    return storedBf16 && fastBf16 ? torch::kBFloat16 : torch::kFloat32;
}

// glibc serves big blocks with mmap above a threshold that moves with the program's history, and trims the heap
// top eagerly: a prefill's multi-megabyte temporaries (attention scores, activations) then page-fault afresh on
// every request, or not, depending on what ran before. Fixed thresholds keep freed blocks for reuse.
// Measured on stories260K, a 497-token prefill: 26 ms instead of 92 ms after a batched run (17,900 vs 13,300
// tokens/s at best). The cost: up to M_TRIM_THRESHOLD of freed memory stays in the process.
void tuneAllocator()
{
#if defined(__GLIBC__)
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_MMAP_THRESHOLD, 32 << 20); // glibc's maximum on 64-bit; larger blocks (KV caches) stay mmapped
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
        mallopt(M_TOP_PAD, 64 << 20);
    });
#endif
}

} // namespace

int64_t physicalMemoryBytes()
{
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? int64_t(pages) * size : int64_t(4) << 30;
}

Result<std::unique_ptr<Engine>> Engine::load(const std::string &modelDir, const LoadOptions &options)
{
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path dir(modelDir);
    auto gguf = gguf::ggufPath(modelDir);
    if (!gguf)
        return gguf.failure();
    std::error_code ec;
    if (gguf.value().empty() && !fs::is_directory(dir, ec))
        return makeError("model folder " + modelDir + " does not exist or is not a folder (or a .gguf file)");

    tuneAllocator();
    std::unique_ptr<Engine> e(new Engine);
    Impl &d = *e->d_;
    d.options = options;

    torch::Device device(torch::kCPU);
    if (options.device == "cuda" || (options.device == "auto" && torch::cuda::is_available())) {
        if (!torch::cuda::is_available())
            return makeError("device 'cuda' requested but this libtorch build has no usable CUDA device");
        device = torch::Device(torch::kCUDA, 0);
    } else if (options.device != "auto" && options.device != "cpu") {
        return makeError("unknown device '" + options.device + "' (use auto, cpu or cuda)");
    }

    if (!gguf.value().empty()) {
        auto m = gguf::loadModel(gguf.value());
        if (!m)
            return m.failure();
        d.config = std::move(m.value().config);
        d.weights = std::move(m.value().weights);
        d.tokenizer = std::move(m.value().tokenizer);
        d.chatTemplate = m.value().chatTemplate ? std::move(*m.value().chatTemplate) : ChatTemplate::plain();
        d.info.format = "gguf";
        d.info.quantization = m.value().quantization;
    } else {
        auto cfg = ModelConfig::load((dir / "config.json").string());
        if (!cfg)
            return makeError(modelDir + ": " + cfg.error());
        d.config = cfg.value();

        auto w = WeightSet::open(modelDir);
        if (!w)
            return makeError(modelDir + ": " + w.error());
        d.weights = std::move(w.value());

        const fs::path tcfg = dir / "tokenizer_config.json";
        auto tok = Tokenizer::load((dir / "tokenizer.json").string(), fs::exists(tcfg) ? tcfg.string() : "");
        if (!tok)
            return makeError(modelDir + ": " + tok.error());
        d.tokenizer = std::move(tok.value());
        if (fs::exists(tcfg)) {
            auto tmpl = ChatTemplate::load(tcfg.string());
            if (!tmpl)
                return makeError(modelDir + ": " + tmpl.error());
            d.chatTemplate = std::move(tmpl.value());
        } else {
            d.chatTemplate = ChatTemplate::plain();
        }
    }
    if (d.tokenizer->vocabSize() > d.config.vocabSize)
        return makeError(modelDir + ": tokenizer has " + std::to_string(d.tokenizer->vocabSize()) +
                         " tokens but config.json vocab_size is " + std::to_string(d.config.vocabSize));

    at::set_num_threads(chooseThreads(options.threads, d.weights.parameterCount()));

    torch::InferenceMode guard;
    auto dtype = chooseDtype(options.dtype, device, d.weights);
    if (!dtype)
        return dtype.failure();
    const gguf::QuantScheme *quantize = nullptr;
    if (options.quantize != "none" && options.quantize != "") {
        quantize = gguf::findQuantScheme(options.quantize);
        if (!quantize || quantize->matrix == gguf::GgmlType::F32 || quantize->matrix == gguf::GgmlType::F16 ||
            quantize->matrix == gguf::GgmlType::BF16)
            return makeError("unknown quantize '" + options.quantize + "' (use none, q8_0, q4_0 or q4_k_m)");
        if (!gguf.value().empty()) {
            quantize = nullptr; // a GGUF file is served in the types it was written in
        } else if (!device.is_cpu()) {
            return makeError("quantize " + options.quantize + " runs on the CPU; on " + device.str() +
                             " use dtype bfloat16 or float16 (or device cpu)");
        } else if (*dtype != torch::kFloat32) {
            if (options.dtype != "auto")
                return makeError("quantize " + options.quantize + " computes in float32, not " + options.dtype +
                                 " (set dtype auto or float32)");
            dtype = torch::kFloat32;
        }
    }
    // Progress: reading the files is quick; converting the layers is what takes time on a large model.
    const auto progress = [&options](double fraction) {
        if (options.onProgress)
            options.onProgress(fraction);
    };
    progress(0.1);
    auto model = LlamaModel::load(
        d.weights, d.config, device, *dtype, options.fusedCpuDecode,
        [&progress](double layers) { progress(0.1 + 0.85 * layers); }, quantize);
    if (!model)
        return makeError(modelDir + ": " + model.error());
    d.model = std::move(model.value());

    d.stopIds = d.config.eosTokenIds;
    // generation_config.json may name more end-of-turn ids (Llama 3: <|eot_id|> beside <|end_of_text|>).
    if (const fs::path gen = dir / "generation_config.json"; gguf.value().empty() && fs::exists(gen)) {
        auto ids = readEosIds(gen.string());
        if (!ids)
            return makeError(modelDir + ": " + ids.error());
        for (int32_t id : ids.value())
            if (id >= 0 && id < d.config.vocabSize)
                d.stopIds.push_back(id);
    }
    if (d.tokenizer->eosId() >= 0)
        d.stopIds.push_back(d.tokenizer->eosId());
    if (options.stopOnBos && d.tokenizer->bosId() >= 0)
        d.stopIds.push_back(d.tokenizer->bosId());

    ModelInfo &info = d.info;
    info.path = fs::absolute(gguf.value().empty() ? dir : fs::path(gguf.value())).lexically_normal().string();
    info.name = gguf.value().empty() ? fs::path(info.path).filename().string() : fs::path(info.path).stem().string();
    if (info.name.empty())
        info.name = fs::path(info.path).parent_path().filename().string();
    info.architecture = d.config.architecture;
    info.device = device.str();
    info.dtype = d.model->dtype() == torch::kFloat32   ? "float32"
                 : d.model->dtype() == torch::kFloat16 ? "float16"
                                                       : "bfloat16";
    info.parameters = d.model->parameterCount();
    d.context =
        d.config.slidingWindow > 0 ? std::min(d.config.maxPositions, d.config.slidingWindow) : d.config.maxPositions;
    info.contextLength = int(d.context);
    info.toolCallFormat = detectToolCallFormat(d.chatTemplate->source());
    info.vocabSize = int(d.config.vocabSize);
    info.hiddenSize = int(d.config.hiddenSize);
    auto pooling = gguf.value().empty() ? readPooling(modelDir) : Result<Pooling>(Pooling::Mean);
    if (!pooling)
        return makeError(modelDir + ": " + pooling.error());
    info.pooling = pooling.value();
    d.kvBudget = options.kvCacheBytes > 0 ? options.kvCacheBytes : physicalMemoryBytes() / 4;
    if (options.prefixCache)
        d.prefix.emplace(d.model->kvBytesPerToken());
    info.weightBytes = d.model->weightBytes();
    if (quantize)
        info.quantization = quantize->name;
    info.loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress(1.0);
    return e;
}

Result<GenerationResult> Engine::generate(const std::vector<int32_t> &promptIds, const GenerationParams &params,
                                          const TokenCallback &onToken)
{
    std::vector<StepEvent> events;
    auto id = begin(promptIds, params, events);
    if (!id)
        return id.failure();
    for (;;) {
        for (auto &e : events) {
            if (e.id != id.value())
                continue;
            if (!e.piece.empty() && onToken && !onToken(e.token, e.piece))
                cancel(e.id);
            if (e.finished)
                return std::move(e.result);
        }
        events.clear();
        step(events);
    }
}

Result<std::vector<int32_t>> Engine::encodeChat(const std::vector<std::pair<std::string, std::string>> &messages) const
{
    std::vector<ChatMessage> chat;
    for (const auto &[role, content] : messages)
        chat.push_back({role, content, {}});
    return encodeChat(std::move(chat), {});
}

Result<std::vector<int32_t>> Engine::encodeChat(std::vector<ChatMessage> messages, const std::string &toolsJson) const
{
    if (messages.empty())
        return makeError("messages must not be empty");
    const ChatTemplate &t = *d_->chatTemplate;
    const std::string tools = prepareToolMessages(messages, toolsJson, toolRendering(t.source()));
    auto prompt = t.render(messages, /*addGenerationPrompt=*/true, t.bosToken(), t.eosToken(), tools);
    if (!prompt)
        return prompt.failure();
    // The template writes the special tokens itself (as transformers' apply_chat_template does).
    return d_->tokenizer->encode(prompt.value(), false);
}

bool Engine::hasChatTemplate() const
{
    return !d_->chatTemplate->isPlainFallback();
}

Result<std::vector<std::vector<float>>> Engine::logits(const std::vector<int32_t> &ids, bool incremental)
{
    Impl &d = *d_;
    if (ids.empty() || int64_t(ids.size()) > d.config.maxPositions)
        return makeError("ids must hold 1.." + std::to_string(d.config.maxPositions) + " tokens");
    for (int32_t id : ids)
        if (id < 0 || id >= d.config.vocabSize)
            return makeError("token id " + std::to_string(id) + " is outside the vocabulary");
    torch::InferenceMode guard;
    KvCache cache = d.model->newCache(int64_t(ids.size()));
    std::vector<std::vector<float>> rows;
    auto take = [&rows](const torch::Tensor &t) {
        for (int64_t i = 0; i < t.size(0); ++i) {
            const float *p = t[i].data_ptr<float>();
            rows.emplace_back(p, p + t.size(1));
        }
    };
    if (!incremental) {
        take(d.model->forward(ids.data(), int64_t(ids.size()), cache, /*allLogits=*/true));
        return rows;
    }
    take(d.model->forward(ids.data(), 1, cache));
    for (size_t i = 1; i < ids.size(); ++i)
        take(d.model->step(ids[i], cache));
    return rows;
}

} // namespace smartbot::engine
