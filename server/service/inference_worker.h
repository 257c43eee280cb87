// InferenceWorker: owns the Engine on its own thread and schedules generations with continuous batching:
// queued requests join the running batch between decode steps (while others run, prompts of up to
// kPrefillTokensPerStep tokens in all per step, at least one, so running streams are not starved) and leave it when
// they finish or their client goes away. The HTTP thread only queues work and gets pieces and results posted back
// to a context object's thread: it never waits.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <chrono>
#include <deque>
#include <map>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "smartbot/engine/engine.h"

namespace smartbot::service {

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    enum class ModelState { None, Loading, Ready, Failed };

    // A piece of streamed text, with the logprobs of the tokens that completed it (when asked for).
    struct Piece {
        std::string text;
        std::vector<engine::TokenLogprob> logprobs;
        // How the model that wrote it calls tools (its chat template's format): a route that streams tool calls
        // learns it here, since a request may be queued before its model has loaded.
        engine::ToolCallFormat toolCallFormat = engine::ToolCallFormat::Hermes;
    };
    struct Request {
        std::string prompt;             // raw text (BOS added per tokenizer_config), used when messages is empty
        std::vector<int32_t> promptIds; // a prompt of token ids instead (when not empty)
        bool decodePrompt = false;      // fill Reply::promptText (an echo of a prompt of ids)
        std::vector<engine::ChatMessage> messages; // rendered by the chat template
        // Tools (OpenAI's array as JSON text, "" = none) go to the template; a choice that forces a call holds the
        // reply to the calls' grammar (tool_calls.h), in place of a response_format's: a reply that must be calls has
        // no text to format (agents force a call, then answer in the format on the next turn).
        std::string toolsJson;
        engine::ToolChoice toolChoice;
        engine::GenerationParams params;
        // Streaming: called on the context's thread with each final piece of text, in order, before done.
        std::function<void(const Piece &piece)> onPiece;
        // Embeddings instead of a generation (when not empty): each input a text (tokenized as for a prompt) or
        // token ids. They run packed (kEmbedPackTokens at a time) between decode steps, so long lists do not stall
        // running streams; Reply::embeddings holds one vector per input, Reply::result.promptIds all their tokens.
        std::vector<std::variant<std::string, std::vector<int32_t>>> embedInputs;
        int embedDimensions = 0; // > 0: refused (400, param dimensions) when the model's embeddings are shorter
    };
    struct Reply {
        bool ok = false;
        int status = 200; // HTTP status to use when !ok
        QString errorCode, error;
        engine::GenerationResult result;
        QString param; // the request field at fault, when there is one
        std::vector<std::vector<float>> embeddings;
        QString promptText;                                                     // Request::decodePrompt
        engine::ToolCallFormat toolCallFormat = engine::ToolCallFormat::Hermes; // as Piece's

        static Reply success(engine::GenerationResult r)
        {
            Reply reply;
            reply.ok = true;
            reply.result = std::move(r);
            return reply;
        }
        static Reply failure(int status, QString code, QString message, QString param = {})
        {
            Reply reply;
            reply.status = status;
            reply.errorCode = std::move(code);
            reply.error = std::move(message);
            reply.param = std::move(param);
            return reply;
        }
    };

    // While sequences run, each step waits for the prefills admitted before it: at least one prompt joins per step,
    // then more while their tokens total at most this (as llama-server and vLLM bound a step's batch in tokens).
    // One prompt per step kept the seed chat's batch at about 32 of its 64 streams: a stream lives 32 steps, so at
    // one admission per step only 32 ever ran at once, and the rest waited in the queue.
    static constexpr int64_t kPrefillTokensPerStep = 256;

    explicit InferenceWorker(int maxQueue = 256, QObject *parent = nullptr, int maxBatch = 64);
    ~InferenceWorker() override;

    // Loads a model on the worker thread, in place of the one loaded (whose running generations end with 503
    // model_not_loaded); modelStateChanged() follows. loadProgress() rises from 0 to 1 meanwhile.
    void loadModel(const QString &path, const engine::LoadOptions &options);
    // Frees the model: running generations end with 503, later ones get 503 until a model is loaded again.
    void unloadModel();
    double loadProgress() const; // of the last load (any thread)
    ModelState modelState() const;
    QString modelError() const;
    engine::ModelInfo modelInfo() const;
    qint64 modelReadyAt() const;            // seconds since the epoch when the model became ready (0 if not)
    int queueDepth() const;                 // jobs waiting
    int inFlight() const;                   // jobs waiting or running (until their reply is delivered)
    int running() const;                    // sequences in the batch
    engine::KvMemoryStats kvMemory() const; // as of the last step
    // Copies the KV-cache figures into Metrics (read when a reader asks: GET /metrics, the desktop dashboard; the
    // queue figures are summed over every model by ModelPool::publishMetrics). Any thread.
    void publishKvMetrics() const;

    // Queues a generation; done runs on context's thread (dropped if context is gone). False when full.
    bool submit(Request request, QObject *context, std::function<void(const Reply &)> done,
                std::shared_ptr<std::atomic_bool> cancelled = {});
    // Several at once (n choices, several prompts): all are queued, or none (false) when the queue lacks room for
    // them all; done[i] answers requests[i]. They share cancelled.
    bool submitAll(std::vector<Request> requests, QObject *context,
                   std::vector<std::function<void(const Reply &)>> done, std::shared_ptr<std::atomic_bool> cancelled);
    int maxQueue() const { return maxQueue_; }
    // Stops after the current step: queued and running jobs are dropped (no reply). Joins the thread.
    void shutdown();

Q_SIGNALS:
    void modelStateChanged();

private:
    struct Job {
        Request request;
        QPointer<QObject> context;
        std::function<void(const Reply &)> done;
        std::shared_ptr<std::atomic_bool> cancelled;
        std::chrono::steady_clock::time_point lastPiece;
        bool firstPiece = true;
        std::optional<std::vector<int32_t>> ids; // the prompt, once tokenized
        bool waitedForKv = false;
        // Embedding jobs: the inputs' ids, how many are done, and their vectors.
        std::vector<std::vector<int32_t>> embedIds;
        size_t embedNext = 0;
        std::vector<std::vector<float>> embeddings;
    };
    // Tokens per packed embedding pass: its attention scores are quadratic in this (1,024 positions = 4 MiB a
    // head), and a pass this size takes milliseconds on small models, so decode steps between passes stay regular.
    static constexpr size_t kEmbedPackTokens = 1024;
    static constexpr size_t kMaxEmbeddingJobs = 2; // admitted at once; more wait in the queue
    enum class Admit { Begun, Answered, Wait };
    void run();
    void post(std::function<void()> task);
    // Tokenizes and begins a sequence (worker thread); Wait leaves job as it was, for when KV memory frees up.
    // promptTokens: the prompt's length when it began (its prefill), else 0.
    Admit admit(Job &job, int64_t *promptTokens = nullptr);
    Admit admitEmbedding(Job &job);
    void embedStep(); // one packed pass for the first embedding job (worker thread)
    void handle(std::vector<engine::Engine::StepEvent> &events);
    void deliver(Job &job, Reply reply); // posts the reply to the job's context
    void endActive(const QString &why);  // answers the running jobs 503 and drops the engine (worker thread)

    const int maxQueue_;
    const int maxBatch_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_; // control work (model loads)
    std::deque<Job> queue_;                   // generations waiting to join the batch
    int runningJobs_ = 0;                     // admitted, reply not yet delivered
    int batchSize_ = 0;                       // sequences in the engine's batch
    engine::KvMemoryStats kv_;
    bool stopping_ = false;
    std::thread thread_;
    std::map<engine::Engine::SequenceId, Job> active_; // worker thread only
    std::deque<Job> embedding_;                        // worker thread only: admitted embedding jobs, in order

    std::unique_ptr<engine::Engine> engine_; // touched only on the worker thread
    ModelState state_ = ModelState::None;    // guarded by mutex_
    QString error_;
    engine::ModelInfo info_;
    qint64 readyAt_ = 0;
    std::atomic<double> loadProgress_{0};
};

} // namespace smartbot::service
