#include "service/inference_worker.h"

#include <QDateTime>
#include <QMetaObject>

#include <algorithm>

#include "core/metrics.h"
#include "smartbot/common/units.h"

namespace smartbot::service {

using Clock = std::chrono::steady_clock;

InferenceWorker::InferenceWorker(int maxQueue, QObject *parent, int maxBatch)
    : QObject(parent), maxQueue_(maxQueue), maxBatch_(std::max(1, maxBatch))
{
    thread_ = std::thread([this] { run(); }); // here, not in the initializer list: every member exists by now
}

InferenceWorker::~InferenceWorker()
{
    shutdown();
}

void InferenceWorker::shutdown()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        tasks_.clear();
        queue_.clear();
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
    active_.clear();
    embedding_.clear();
    engine_.reset();
}

void InferenceWorker::post(std::function<void()> task)
{
    {
        std::lock_guard lock(mutex_);
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
}

void InferenceWorker::run()
{
    std::vector<engine::Engine::StepEvent> events;
    for (;;) {
        std::function<void()> control;
        std::vector<Job> joining;
        bool busy = false;
        {
            std::unique_lock lock(mutex_);
            busy = !active_.empty() || !embedding_.empty();
            wake_.wait(lock, [&] { return stopping_ || !tasks_.empty() || !queue_.empty() || busy; });
            if (stopping_)
                return;
            if (!tasks_.empty()) {
                control = std::move(tasks_.front());
                tasks_.pop_front();
            } else {
                // Fill the batch (while sequences run, within kPrefillTokensPerStep: see below).
                const size_t room = size_t(maxBatch_) - active_.size();
                const size_t take = std::min(queue_.size(), room);
                for (size_t i = 0; i < take; ++i) {
                    joining.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        if (control) {
            control();
            continue;
        }
        int64_t prefilled = 0;
        for (size_t i = 0; i < joining.size(); ++i) {
            // Running sequences wait for these prefills: past the step's token budget the rest wait for the next.
            const bool full = busy && prefilled >= kPrefillTokensPerStep;
            int64_t tokens = 0;
            if (!full && admit(joining[i], &tokens) != Admit::Wait) {
                prefilled += tokens;
                continue;
            }
            // Past the budget, or not enough KV memory until running sequences finish: back to the head of the
            // queue, in order.
            std::lock_guard lock(mutex_);
            for (size_t j = joining.size(); j-- > i;)
                queue_.push_front(std::move(joining[j]));
            break;
        }
        if (engine_ && !embedding_.empty())
            embedStep();
        if (engine_ && engine_->activeSequences() > 0) {
            for (auto &[id, job] : active_)
                if (job.cancelled && job.cancelled->load())
                    engine_->cancel(id);
            events.clear();
            engine_->step(events);
            handle(events);
        }
        std::lock_guard lock(mutex_);
        batchSize_ = int(active_.size());
    }
}

void InferenceWorker::loadModel(const QString &path, const engine::LoadOptions &options)
{
    {
        std::lock_guard lock(mutex_);
        state_ = ModelState::Loading;
        error_.clear();
    }
    loadProgress_ = 0;
    Q_EMIT modelStateChanged();
    engine::LoadOptions withProgress = options;
    withProgress.onProgress = [this, forward = options.onProgress](double fraction) {
        loadProgress_ = fraction;
        if (forward)
            forward(fraction);
    };
    post([this, path, options = std::move(withProgress)] {
        endActive(QStringLiteral("the model was reloaded"));
        {
            // Queued prompts tokenized by the old model (those that waited for KV memory) are tokenized again.
            std::lock_guard lock(mutex_);
            for (Job &job : queue_)
                job.ids.reset();
        }
        auto r = engine::Engine::load(path.toStdString(), options);
        {
            std::lock_guard lock(mutex_);
            if (r.ok()) {
                engine_ = std::move(r.value());
                info_ = engine_->info();
                kv_ = engine_->kvMemory();
                readyAt_ = QDateTime::currentSecsSinceEpoch();
                state_ = ModelState::Ready;
            } else {
                state_ = ModelState::Failed;
                error_ = QString::fromStdString(r.error());
                info_ = {};
                kv_ = {};
            }
        }
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT modelStateChanged(); }, Qt::QueuedConnection);
    });
}

InferenceWorker::ModelState InferenceWorker::modelState() const
{
    std::lock_guard lock(mutex_);
    return state_;
}

QString InferenceWorker::modelError() const
{
    std::lock_guard lock(mutex_);
    return error_;
}

engine::ModelInfo InferenceWorker::modelInfo() const
{
    std::lock_guard lock(mutex_);
    return info_;
}

void InferenceWorker::endActive(const QString &why)
{
    for (auto &[id, job] : active_)
        deliver(job, Reply::failure(503, QStringLiteral("model_not_loaded"), why));
    active_.clear();
    for (Job &job : embedding_)
        deliver(job, Reply::failure(503, QStringLiteral("model_not_loaded"), why));
    embedding_.clear();
    engine_.reset();
    std::lock_guard lock(mutex_);
    batchSize_ = 0;
}

void InferenceWorker::unloadModel()
{
    post([this] {
        endActive(QStringLiteral("the model was unloaded"));
        {
            std::lock_guard lock(mutex_);
            state_ = ModelState::None;
            error_.clear();
            info_ = {};
            kv_ = {};
            readyAt_ = 0;
        }
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT modelStateChanged(); }, Qt::QueuedConnection);
    });
}

double InferenceWorker::loadProgress() const
{
    return loadProgress_;
}

qint64 InferenceWorker::modelReadyAt() const
{
    std::lock_guard lock(mutex_);
    return readyAt_;
}

int InferenceWorker::queueDepth() const
{
    std::lock_guard lock(mutex_);
    return int(queue_.size());
}

int InferenceWorker::inFlight() const
{
    std::lock_guard lock(mutex_);
    return int(queue_.size()) + runningJobs_;
}

int InferenceWorker::running() const
{
    std::lock_guard lock(mutex_);
    return batchSize_;
}

void InferenceWorker::publishKvMetrics() const
{
    Metrics &m = Metrics::instance();
    const engine::KvMemoryStats kv = kvMemory();
    m.setKvMemory({.budgetBytes = kv.budgetBytes,
                   .sequenceBytes = kv.sequenceBytes,
                   .prefixBytes = kv.prefixBytes,
                   .prefixTokens = kv.prefixTokens,
                   .prefixLookups = kv.prefixLookups,
                   .prefixHits = kv.prefixHits,
                   .reusedTokens = kv.reusedTokens});
}

engine::KvMemoryStats InferenceWorker::kvMemory() const
{
    std::lock_guard lock(mutex_);
    return kv_;
}

bool InferenceWorker::submit(Request request, QObject *context, std::function<void(const Reply &)> done,
                             std::shared_ptr<std::atomic_bool> cancelled)
{
    std::vector<Request> one;
    one.push_back(std::move(request));
    return submitAll(std::move(one), context, {std::move(done)}, std::move(cancelled));
}

bool InferenceWorker::submitAll(std::vector<Request> requests, QObject *context,
                                std::vector<std::function<void(const Reply &)>> done,
                                std::shared_ptr<std::atomic_bool> cancelled)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() + requests.size() > size_t(maxQueue_))
            return false;
        for (size_t i = 0; i < requests.size(); ++i) {
            queue_.push_back(Job{std::move(requests[i]), QPointer<QObject>(context), std::move(done[i]), cancelled,
                                 Clock::now(), true});
            ++runningJobs_; // counted until its reply is delivered
        }
    }
    wake_.notify_one();
    return true;
}

void InferenceWorker::deliver(Job &job, Reply reply)
{
    // Through this object (which outlives the thread); the context is checked on its own thread.
    QMetaObject::invokeMethod(
        this,
        [this, ctx = job.context, done = std::move(job.done), reply = std::move(reply)] {
            {
                std::lock_guard lock(mutex_);
                --runningJobs_;
            }
            if (ctx)
                done(reply);
        },
        Qt::QueuedConnection);
}

InferenceWorker::Admit InferenceWorker::admit(Job &job, int64_t *promptTokens)
{
    auto fail = [&](int status, const char *code, const QString &message, const char *param = "") {
        deliver(job, Reply::failure(status, QString::fromLatin1(code), message, QString::fromLatin1(param)));
        return Admit::Answered;
    };
    if (!engine_) {
        std::unique_lock lock(mutex_);
        const QString why = state_ == ModelState::Failed ? QStringLiteral("the model failed to load: ") + error_
                                                         : QStringLiteral("no model is loaded");
        lock.unlock();
        return fail(503, "model_not_loaded", why);
    }
    if (job.cancelled && job.cancelled->load())
        return fail(499, "cancelled", QStringLiteral("the client went away"));
    if (!job.request.embedInputs.empty())
        return admitEmbedding(job);
    if (!job.ids) {
        if (!job.request.messages.empty()) {
            auto encoded = engine_->encodeChat(job.request.messages, job.request.toolsJson);
            if (!encoded)
                return fail(400, "invalid_request", QString::fromStdString(encoded.error()));
            job.ids = std::move(encoded.value());
            using Mode = engine::ToolChoice::Mode;
            const Mode mode = job.request.toolChoice.mode;
            if (!job.request.toolsJson.empty() && (mode == Mode::Required || mode == Mode::Function)) {
                auto gbnf = engine::toolCallGrammar(engine_->info().toolCallFormat, job.request.toolsJson,
                                                    job.request.toolChoice);
                if (!gbnf)
                    return fail(400, "invalid_request", QString::fromStdString(gbnf.error()), "tools");
                job.request.params.grammar = std::move(gbnf.value());
            }
        } else if (!job.request.promptIds.empty()) {
            job.ids = job.request.promptIds;
        } else {
            job.ids = engine_->tokenizer().encode(job.request.prompt, true);
        }
    }
    const std::vector<int32_t> &ids = *job.ids;
    const int vocab = engine_->info().vocabSize;
    for (const auto &[token, bias] : job.request.params.logitBias)
        if (token >= vocab)
            return fail(
                400, "invalid_request",
                QStringLiteral("logit_bias names token %1; the model's vocabulary is 0..%2").arg(token).arg(vocab - 1),
                "logit_bias");
    const int context = engine_->info().contextLength;
    if (int(ids.size()) >= context)
        return fail(
            400, "context_length_exceeded",
            QStringLiteral("the prompt is %1 tokens; the model's context is %2 tokens").arg(ids.size()).arg(context));
    switch (engine_->admission(ids.size(), job.request.params)) {
    case engine::Engine::Admission::Now:
        break;
    case engine::Engine::Admission::Later:
        if (!job.waitedForKv)
            Metrics::instance().addKvWait();
        job.waitedForKv = true;
        return Admit::Wait;
    case engine::Engine::Admission::Never:
        return fail(
            400, "kv_cache_exceeded",
            QStringLiteral("a %1-token prompt with max_tokens %2 needs %3 MiB of KV cache; this server has %4 MiB "
                           "([model] kv_cache_mb): lower max_tokens or shorten the prompt")
                .arg(ids.size())
                .arg(job.request.params.maxTokens)
                .arg(double(engine_->kvBytesNeeded(ids.size(), job.request.params)) / kBytesPerMiB, 0, 'f', 1)
                .arg(double(engine_->kvMemory().budgetBytes) / kBytesPerMiB, 0, 'f', 1),
            "max_tokens");
    }
    std::vector<engine::Engine::StepEvent> events;
    auto id = engine_->begin(ids, job.request.params, events);
    if (!id)
        return fail(400, "invalid_request", QString::fromStdString(id.error()));
    if (promptTokens)
        *promptTokens = int64_t(ids.size());
    active_.emplace(id.value(), std::move(job));
    handle(events);
    return Admit::Begun;
}

InferenceWorker::Admit InferenceWorker::admitEmbedding(Job &job)
{
    // Back-pressure: jobs beyond these wait in the queue (counted against max_queue, so a flood gets 503).
    if (embedding_.size() >= kMaxEmbeddingJobs)
        return Admit::Wait;
    const int context = engine_->info().contextLength;
    const int vocab = engine_->info().vocabSize;
    if (job.request.embedDimensions > engine_->info().hiddenSize) {
        deliver(job, Reply::failure(400, QStringLiteral("invalid_request"),
                                    QStringLiteral("field 'dimensions' is %1; the model's embeddings have %2")
                                        .arg(job.request.embedDimensions)
                                        .arg(engine_->info().hiddenSize),
                                    QStringLiteral("dimensions")));
        return Admit::Answered;
    }
    const auto &inputs = job.request.embedInputs;
    for (size_t i = 0; i < inputs.size(); ++i) {
        std::vector<int32_t> ids = std::holds_alternative<std::string>(inputs[i])
                                       ? engine_->tokenizer().encode(std::get<std::string>(inputs[i]), true)
                                       : std::get<std::vector<int32_t>>(inputs[i]);
        QString problem;
        const char *code = "invalid_request";
        if (ids.empty()) {
            problem = QStringLiteral("input %1 is empty").arg(i);
        } else if (int(ids.size()) > context) {
            code = "context_length_exceeded";
            problem = QStringLiteral("input %1 is %2 tokens; the model's context is %3 tokens")
                          .arg(i)
                          .arg(ids.size())
                          .arg(context);
        } else if (auto bad = std::find_if(ids.begin(), ids.end(), [vocab](int32_t t) { return t < 0 || t >= vocab; });
                   bad != ids.end()) {
            problem = QStringLiteral("input %1 names token %2; the model's vocabulary is 0..%3")
                          .arg(i)
                          .arg(*bad)
                          .arg(vocab - 1);
        }
        if (!problem.isEmpty()) {
            deliver(job, Reply::failure(400, QString::fromLatin1(code), problem, QStringLiteral("input")));
            return Admit::Answered;
        }
        job.embedIds.push_back(std::move(ids));
    }
    embedding_.push_back(std::move(job));
    return Admit::Begun;
}

void InferenceWorker::embedStep()
{
    Job &job = embedding_.front();
    if (job.cancelled && job.cancelled->load()) {
        deliver(job, Reply::failure(499, QStringLiteral("cancelled"), QStringLiteral("the client went away")));
        embedding_.pop_front();
        return;
    }
    std::vector<std::vector<int32_t>> pack;
    size_t tokens = 0;
    while (job.embedNext < job.embedIds.size() &&
           (pack.empty() || tokens + job.embedIds[job.embedNext].size() <= kEmbedPackTokens)) {
        tokens += job.embedIds[job.embedNext].size();
        pack.push_back(job.embedIds[job.embedNext++]);
    }
    auto vectors = engine_->embed(pack);
    if (!vectors) {
        deliver(job, Reply::failure(500, QStringLiteral("embedding_failed"), QString::fromStdString(vectors.error())));
        embedding_.pop_front();
        return;
    }
    for (auto &v : vectors.value())
        job.embeddings.push_back(std::move(v));
    if (job.embedNext < job.embedIds.size())
        return;
    engine::GenerationResult usage; // the tokens embedded, for usage accounting and rate limits
    for (const auto &ids : job.embedIds)
        usage.promptIds.insert(usage.promptIds.end(), ids.begin(), ids.end());
    Metrics::instance().addTokens(qint64(usage.promptIds.size()), 0);
    Reply reply = Reply::success(std::move(usage));
    reply.embeddings = std::move(job.embeddings);
    deliver(job, std::move(reply));
    embedding_.pop_front();
}

void InferenceWorker::handle(std::vector<engine::Engine::StepEvent> &events)
{
    if (engine_) {
        // Published before any reply goes out, so that a client that reads /metrics after its reply sees the
        // KV memory its sequence gave back. (Every admission and step ends here.)
        const engine::KvMemoryStats kv = engine_->kvMemory();
        std::lock_guard lock(mutex_);
        kv_ = kv;
    }
    const auto now = Clock::now();
    const engine::ToolCallFormat format = engine_ ? engine_->info().toolCallFormat : engine::ToolCallFormat::Hermes;
    for (auto &e : events) {
        auto it = active_.find(e.id);
        if (it == active_.end())
            continue;
        Job &job = it->second;
        if (!e.piece.empty()) {
            const double dt = std::chrono::duration<double>(now - job.lastPiece).count();
            if (job.firstPiece)
                Metrics::instance().observeTimeToFirstToken(dt); // from submission: queueing counts
            else
                Metrics::instance().observeInterTokenLatency(dt);
            job.firstPiece = false;
            job.lastPiece = now;
        }
        // Logprobs may come without text: tokens held back at a possible stop string that then ended the reply.
        if (!e.piece.empty() || !e.logprobs.empty()) {
            if (job.request.onPiece)
                QMetaObject::invokeMethod(
                    this,
                    [ctx = job.context, onPiece = job.request.onPiece,
                     piece = Piece{e.piece, std::move(e.logprobs), format}] {
                        if (ctx)
                            onPiece(piece);
                    },
                    Qt::QueuedConnection);
        }
        if (e.finished) {
            Metrics::instance().addTokens(qint64(e.result.promptIds.size()), qint64(e.result.ids.size()));
            const QString promptText =
                job.request.decodePrompt && engine_
                    ? QString::fromStdString(engine_->tokenizer().decode(e.result.promptIds, true))
                    : QString();
            Reply reply = Reply::success(std::move(e.result));
            reply.promptText = promptText;
            reply.toolCallFormat = format;
            deliver(job, std::move(reply));
            active_.erase(it);
        }
    }
}

} // namespace smartbot::service
