// Engine: loads a Hugging Face Llama-family model folder and generates text. Qt-free (libtorch inside).
// Thread-safety: one Engine serves one generation at a time; callers serialise (see server/http's worker).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smartbot/engine/chat_template.h"
#include "smartbot/engine/result.h"
#include "smartbot/engine/tokenizer.h"
#include "smartbot/engine/tool_calls.h"

namespace smartbot::engine {

struct LoadOptions {
    int threads = 0;             // intra-op threads for CPU; 0 = choose (physical cores, capped by model size)
    std::string device = "auto"; // "auto" (CUDA when available), "cpu", "cuda"
    // Compute dtype: "auto", "float32", "bfloat16" or "float16" (CUDA only). auto: bfloat16 on CUDA; on the CPU
    // bfloat16 when the weights are stored in bfloat16 and the CPU has native bfloat16 arithmetic (AVX512-BF16:
    // libtorch's bfloat16 matrix products then beat float32 ones, see tests/bench/bench_dtype), else float32 (exact for
    // float32 weights).
    std::string dtype = "auto";
    bool stopOnBos = true; // treat BOS as end of text (llama2.c-trained models end a story with BOS)
    // KV-cache memory for running sequences and the prefix cache together; 0 = a quarter of physical memory.
    // A sequence reserves room for its prompt plus its token budget when it begins (see admission()).
    int64_t kvCacheBytes = 0;
    // Keep the KV caches of finished sequences and reuse them for later prompts that share a prefix (a system
    // prompt, earlier turns). They live in whatever part of kvCacheBytes running sequences do not use.
    bool prefixCache = true;
    // Decode on the CPU (float32 or bfloat16) through the hand-fused, batch-invariant kernels; false: libtorch
    // operators, the path CUDA takes (faster at many streams in bfloat16 with AVX512-BF16, not batch-invariant).
    bool fusedCpuDecode = true;
    // Quantize a safetensors model's weight matrices as it loads, to the types `smartbotd model quantize --type` would
    // write: "none", "q8_0", "q4_0" or "q4_k_m" ("q4_k"). CPU only, float32 compute (the quantized kernels'); a GGUF
    // file keeps its own types. Memory and bytes read per token drop as for the GGUF file, with no file to make.
    std::string quantize = "none";
    // Called on the loading thread with the fraction done (0..1, rising; 1 when the model is ready), for progress
    // bars. Per layer: a large model takes seconds to convert.
    std::function<void(double fraction)> onProgress;
};

// This machine's memory (4 GiB when it cannot be read): the default KV budget and the server's model memory budget
// are fractions of it.
int64_t physicalMemoryBytes();

// How /v1/embeddings turns a text's hidden states into one vector: the mean over its tokens, or the last token's
// (decoder embedding models such as e5-mistral and gte-Qwen). Read from a sentence-transformers folder's
// 1_Pooling/config.json; Mean when the folder has none.
enum class Pooling { Mean, Last };

struct ModelInfo {
    std::string name; // folder name, or a GGUF file's name without .gguf
    std::string path;
    std::string format = "safetensors"; // or "gguf"
    std::string quantization; // a GGUF file's type ("Q4_K_M", "Q8_0", "F32", ...), or LoadOptions::quantize's; "" else
    std::string architecture;
    std::string device; // "cpu" / "cuda:0"
    std::string dtype;  // compute dtype, e.g. "float32"
    int64_t parameters = 0;
    int contextLength = 0; // max_position_embeddings
    int vocabSize = 0;
    double loadSeconds = 0;
    int64_t weightBytes = 0; // the weights in memory: in the compute dtype, or in their quantized blocks
    ToolCallFormat toolCallFormat = ToolCallFormat::Hermes; // how the chat template has the model call tools
    int hiddenSize = 0;                                     // the length of an embedding
    Pooling pooling = Pooling::Mean;
};

// One token's log-probability under the model: the log-softmax of its logits as the model gave them (temperature 1,
// before penalties, logit_bias and grammar masks), as OpenAI's logprobs report them whatever the sampling settings.
struct TokenProbability {
    int32_t id = -1;
    std::string bytes;    // the token's text as bytes (may be part of a UTF-8 character; special tokens by name)
    float logprob = 0;    // NaN where there is none (the first prompt token: nothing before it)
    bool special = false; // a control token (BOS, EOS, ...): not part of the text
};
struct TokenLogprob : TokenProbability {
    std::vector<TokenProbability> top; // the most likely tokens at this position, most likely first
};

struct GenerationParams {
    int maxTokens = 256;            // new tokens at most (also capped by the context length)
    float temperature = 0.0f;       // 0 = greedy
    int topK = 0;                   // 0 = off
    float topP = 1.0f;              // 1 = off
    uint64_t seed = 0;              // used when temperature > 0
    float presencePenalty = 0.0f;   // OpenAI semantics, over generated tokens: logit -= p * (count > 0)
    float frequencyPenalty = 0.0f;  // logit -= f * count
    float repetitionPenalty = 1.0f; // HF semantics over prompt + generated tokens (1 = off)
    std::vector<std::string> stop;  // stop strings: generation ends before the first occurrence (not included)
    // OpenAI's logit_bias: {token id, bias} added to that token's logit before sampling (-100 bans it, +100 all but
    // forces it); ids outside the vocabulary are ignored (the HTTP layer refuses them).
    std::vector<std::pair<int32_t, float>> logitBias;
    // Constrained decoding: the generated text is held to this GBNF grammar (structured_output.h makes them from
    // JSON Schemas); it ends as soon as the grammar is complete and nothing more can follow. "" = free text.
    std::string grammar;
    // Log-probabilities: -1 = off; 0..20 = each generated token's, with that many most likely alternatives.
    int logprobs = -1;
    // Also each prompt token's (OpenAI's echo with logprobs, for scoring texts): the whole
    // prompt is run (no prefix-cache reuse) and maxTokens may be 0.
    bool promptLogprobs = false;
};

enum class FinishReason { Stop, Length };

struct GenerationResult {
    std::vector<int32_t> promptIds;
    std::vector<int32_t> ids; // generated ids (without the stop token)
    std::string text;         // decoded continuation
    FinishReason finish = FinishReason::Length;
    int64_t cachedPromptTokens = 0; // leading prompt tokens taken from the prefix cache (not prefilled)
    double prefillSeconds = 0;
    double decodeSeconds = 0;
    std::vector<TokenLogprob> logprobs;       // one per generated id, when params.logprobs >= 0
    std::vector<TokenLogprob> promptLogprobs; // one per prompt id (the first's logprob NaN), params.promptLogprobs
};

// KV-cache memory, for metrics and admission.
struct KvMemoryStats {
    int64_t budgetBytes = 0;
    int64_t bytesPerToken = 0; // keys and values of one position over all layers
    int64_t sequenceBytes = 0; // reserved by running sequences
    int64_t prefixBytes = 0;   // held by the prefix cache
    int64_t prefixTokens = 0;
    int64_t prefixEntries = 0;
    uint64_t prefixLookups = 0; // sequences begun with the prefix cache on
    uint64_t prefixHits = 0;    // ... that reused at least one position
    uint64_t reusedTokens = 0;  // prompt positions not prefilled thanks to the cache
};

// What the engine runs on, for About boxes and logs: "libtorch 1.13.1, CPU kernels: AVX-512 (...)" and whether CUDA
// is available.
std::string runtimeDescription();

class Engine {
public:
    // Loads config.json, model.safetensors, tokenizer.json and tokenizer_config.json from modelDir.
    static Result<std::unique_ptr<Engine>> load(const std::string &modelDir, const LoadOptions &options = {});
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    const ModelInfo &info() const;
    const Tokenizer &tokenizer() const;

    // Called with each newly final piece of text (never half a UTF-8 character, never part of a stop string);
    // id is the token that completed the piece, or -1 for text released at the end. Return false to cancel.
    using TokenCallback = std::function<bool(int32_t id, const std::string &piece)>;
    Result<GenerationResult> generate(const std::vector<int32_t> &promptIds, const GenerationParams &params,
                                      const TokenCallback &onToken = {});

    // The prompt ids for a conversation of (role, content) messages, with a generation prompt: rendered by the
    // model's chat template (tokenizer_config.json), else by the plain fallback for base models (BOS, then the
    // contents separated by blank lines; see chat_template.h). Errors: empty conversation, template failure
    // (including the template's own raise_exception, e.g. roles out of order).
    Result<std::vector<int32_t>> encodeChat(const std::vector<std::pair<std::string, std::string>> &messages) const;
    // Messages with their extra fields (an assistant's tool_calls, a tool message's tool_call_id) and the tools
    // (OpenAI's tools array as JSON text, "" = none): templates that render tools get them; for others the tools are
    // described in the system message and calls and results written as text (tools/tool_messages.h).
    Result<std::vector<int32_t>> encodeChat(std::vector<ChatMessage> messages, const std::string &toolsJson) const;
    bool hasChatTemplate() const;

    // Continuous batching: sequences join with begin() and advance together, one token each per step() (one batched
    // forward pass). A short prompt on the fused CPU path is prefilled in the next step's pass with the others (its
    // first token comes from that step); other prompts are prefilled in begin(), which gives their first token. Events
    // carry text pieces and, last, the result.
    using SequenceId = uint64_t;
    struct StepEvent {
        SequenceId id = 0;
        int32_t token = -1; // the token that completed piece (-1 for text released at the end)
        std::string piece;  // final text (may be empty on the finishing event)
        bool finished = false;
        GenerationResult result;            // when finished
        std::vector<TokenLogprob> logprobs; // of the tokens whose text this piece completes (params.logprobs >= 0)
    };
    Result<SequenceId> begin(const std::vector<int32_t> &promptIds, const GenerationParams &params,
                             std::vector<StepEvent> &events);
    void step(std::vector<StepEvent> &events);
    void cancel(SequenceId id); // finishes at the next step() with FinishReason::Stop
    size_t activeSequences() const;

    // Whether a sequence of promptTokens with params fits the KV memory budget: now (prefix-cache entries are
    // given back as needed), later (once running sequences finish), or never (more than the whole budget).
    // begin() fails when it is not Now; schedulers queue on Later.
    enum class Admission { Now, Later, Never };
    Admission admission(size_t promptTokens, const GenerationParams &params) const;
    int64_t kvBytesNeeded(size_t promptTokens, const GenerationParams &params) const;
    KvMemoryStats kvMemory() const;
    void clearPrefixCache();

    // Embeddings of several token sequences: each one's final hidden states (after the last norm) pooled as
    // info().pooling says and L2-normalised. The inputs run packed into one forward pass, each attending only to
    // itself, so the result does not depend on what is packed beside it (up to float rounding). Callers size the
    // pack (the attention scores are quadratic in its total length). Errors: an empty input, ids outside the
    // vocabulary, an input longer than the context.
    Result<std::vector<std::vector<float>>> embed(const std::vector<std::vector<int32_t>> &inputs);

    // Perplexity over ids (a text's tokens, BOS first), the measure quantizations are compared by: the ids are cut
    // into windows of `context` tokens (the last may be shorter); in each window every token after the first is
    // predicted from those before it there. nll: the mean negative log-likelihood in nats; ppl = exp(nll).
    // Errors: fewer than 2 ids, a context outside 2..the model's, ids outside the vocabulary.
    struct Perplexity {
        int64_t tokens = 0; // predictions scored
        double nll = 0;
        double ppl = 0;
    };
    Result<Perplexity> perplexity(const std::vector<int32_t> &ids, int context,
                                  const std::function<void(double)> &onProgress = {});

    // Teacher-forced logits for ids (one row of vocabSize floats per position). For tests and tools.
    // incremental: run the first id as a prompt, then one decode step per id (the KV-cache path generation uses).
    Result<std::vector<std::vector<float>>> logits(const std::vector<int32_t> &ids, bool incremental = false);

private:
    Engine();
    struct Impl;
    std::unique_ptr<Impl> d_;
};

const char *finishReasonName(FinishReason reason); // "stop" / "length"

} // namespace smartbot::engine
