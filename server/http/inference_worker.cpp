#include "http/inference_worker.h"

#include <QDateTime>
#include <QMetaObject>

#include <chrono>

#include "core/metrics.h"

namespace smartbot::http {

InferenceWorker::InferenceWorker(int maxQueue, QObject *parent)
    : QObject(parent), maxQueue_(maxQueue), thread_([this] { run(); })
{
}

InferenceWorker::~InferenceWorker() { shutdown(); }

void InferenceWorker::shutdown()
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable())
            return;
        stopping_ = true;
        tasks_.clear();
        queuedJobs_ = 0;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
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
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (stopping_)
                return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

void InferenceWorker::loadModel(const QString &path, const engine::LoadOptions &options)
{
    {
        std::lock_guard lock(mutex_);
        state_ = ModelState::Loading;
        error_.clear();
    }
    Q_EMIT modelStateChanged();
    post([this, path, options] {
        engine_.reset();
        auto r = engine::Engine::load(path.toStdString(), options);
        {
            std::lock_guard lock(mutex_);
            if (r.ok()) {
                engine_ = std::move(r.value());
                info_ = engine_->info();
                readyAt_ = QDateTime::currentSecsSinceEpoch();
                state_ = ModelState::Ready;
            } else {
                state_ = ModelState::Failed;
                error_ = QString::fromStdString(r.error());
                info_ = {};
            }
        }
        QMetaObject::invokeMethod(this, [this] { Q_EMIT modelStateChanged(); }, Qt::QueuedConnection);
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

qint64 InferenceWorker::modelReadyAt() const
{
    std::lock_guard lock(mutex_);
    return readyAt_;
}

int InferenceWorker::queueDepth() const
{
    std::lock_guard lock(mutex_);
    return queuedJobs_;
}

int InferenceWorker::inFlight() const
{
    std::lock_guard lock(mutex_);
    return queuedJobs_ + runningJobs_;
}

bool InferenceWorker::submit(Request request, QObject *context, std::function<void(const Reply &)> done,
                             std::shared_ptr<std::atomic_bool> cancelled)
{
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queuedJobs_ >= maxQueue_)
            return false;
        ++queuedJobs_;
    }
    QPointer<QObject> ctx(context);
    post([this, request = std::move(request), ctx, done = std::move(done), cancelled]() mutable {
        {
            std::lock_guard lock(mutex_);
            --queuedJobs_;
            ++runningJobs_;
        }
        Reply reply = runJob(request, cancelled, ctx);
        // Delivered through this object (which outlives the thread); ctx is checked on its own thread.
        QMetaObject::invokeMethod(
            this,
            [this, ctx, done = std::move(done), reply = std::move(reply)] {
                {
                    std::lock_guard lock(mutex_);
                    --runningJobs_;
                }
                if (ctx)
                    done(reply);
            },
            Qt::QueuedConnection);
    });
    return true;
}

InferenceWorker::Reply InferenceWorker::runJob(Request &request, const std::shared_ptr<std::atomic_bool> &cancelled,
                                               const QPointer<QObject> &ctx)
{
    Reply reply;
    auto fail = [&reply](int status, const char *code, const QString &message) {
        reply.status = status;
        reply.errorCode = QString::fromLatin1(code);
        reply.error = message;
        return reply;
    };
    if (!engine_)
        return fail(503, "model_not_loaded", QStringLiteral("no model is loaded"));
    if (cancelled && cancelled->load())
        return fail(499, "cancelled", QStringLiteral("the client went away"));

    std::vector<int32_t> ids;
    if (!request.messages.empty()) {
        auto encoded = engine_->encodeChat(request.messages);
        if (!encoded)
            return fail(400, "invalid_request", QString::fromStdString(encoded.error()));
        ids = std::move(encoded.value());
    } else {
        ids = engine_->tokenizer().encode(request.prompt, true);
    }
    const int context = engine_->info().contextLength;
    if (int(ids.size()) >= context)
        return fail(400, "context_length_exceeded",
                    QStringLiteral("the prompt is %1 tokens; the model's context is %2 tokens").arg(ids.size()).arg(context));

    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    auto last = started;
    bool first = true;
    auto r = engine_->generate(ids, request.params, [&](int32_t, const std::string &piece) {
        const auto now = clock::now();
        const double dt = std::chrono::duration<double>(now - last).count();
        if (first)
            Metrics::instance().observeTimeToFirstToken(dt);
        else
            Metrics::instance().observeInterTokenLatency(dt);
        first = false;
        last = now;
        if (request.onPiece)
            QMetaObject::invokeMethod(
                this,
                [ctx, onPiece = request.onPiece, piece] {
                    if (ctx)
                        onPiece(piece);
                },
                Qt::QueuedConnection);
        return !(cancelled && cancelled->load());
    });
    if (!r)
        return fail(400, "invalid_request", QString::fromStdString(r.error()));
    Metrics::instance().addTokens(qint64(r->promptIds.size()), qint64(r->ids.size()));
    reply.ok = true;
    reply.result = std::move(r.value());
    return reply;
}

} // namespace smartbot::http
