#include "http/inference_worker.h"

#include <QMetaObject>

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

int InferenceWorker::queueDepth() const
{
    std::lock_guard lock(mutex_);
    return queuedJobs_;
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
        }
        Reply reply;
        if (!engine_) {
            reply.status = 503;
            reply.errorCode = QStringLiteral("model_not_loaded");
            reply.error = QStringLiteral("no model is loaded");
        } else if (!(cancelled && cancelled->load())) {
            const auto ids = engine_->tokenizer().encode(request.message, true);
            const int context = engine_->info().contextLength;
            if (int(ids.size()) >= context) {
                reply.status = 400;
                reply.errorCode = QStringLiteral("context_length_exceeded");
                reply.error = QStringLiteral("message is %1 tokens; the model's context is %2 tokens")
                                  .arg(ids.size())
                                  .arg(context);
            } else {
                auto r = engine_->generate(ids, request.params, [&](int32_t, const std::string &) {
                    return !(cancelled && cancelled->load());
                });
                if (r.ok()) {
                    reply.ok = true;
                    reply.result = std::move(r.value());
                } else {
                    reply.status = 400;
                    reply.errorCode = QStringLiteral("invalid_request");
                    reply.error = QString::fromStdString(r.error());
                }
            }
        }
        // Delivered through this object (which outlives the thread); ctx is checked on its own thread.
        QMetaObject::invokeMethod(
            this,
            [ctx, done = std::move(done), reply = std::move(reply)] {
                if (ctx)
                    done(reply);
            },
            Qt::QueuedConnection);
    });
    return true;
}

} // namespace smartbot::http
