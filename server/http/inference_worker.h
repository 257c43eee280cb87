// InferenceWorker: owns the Engine on its own thread. The HTTP thread only queues work and gets results
// posted back to a context object's thread, so it never waits on inference.
#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "smartbot/engine/engine.h"

namespace smartbot::http {

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    enum class ModelState { None, Loading, Ready, Failed };

    struct Request {
        std::string prompt;                  // raw text (BOS added per tokenizer_config), used when messages is empty
        std::vector<std::pair<std::string, std::string>> messages; // (role, content): rendered by the chat template
        engine::GenerationParams params;
        // Streaming: called on the context's thread with each final piece of text, in order, before done.
        std::function<void(const std::string &piece)> onPiece;
    };
    struct Reply {
        bool ok = false;
        int status = 200;                    // HTTP status to use when !ok
        QString errorCode, error;
        engine::GenerationResult result;
    };

    explicit InferenceWorker(int maxQueue = 256, QObject *parent = nullptr);
    ~InferenceWorker() override;

    // Loads a model on the worker thread; modelStateChanged() follows.
    void loadModel(const QString &path, const engine::LoadOptions &options);
    ModelState modelState() const;
    QString modelError() const;
    engine::ModelInfo modelInfo() const;
    qint64 modelReadyAt() const; // seconds since the epoch when the model became ready (0 if not)
    int queueDepth() const;   // jobs waiting
    int inFlight() const;     // jobs waiting or running

    // Queues a generation; done runs on context's thread (dropped if context is gone). False when full.
    bool submit(Request request, QObject *context, std::function<void(const Reply &)> done,
                std::shared_ptr<std::atomic_bool> cancelled = {});
    // Finishes the running job, drops queued ones, joins the thread.
    void shutdown();

Q_SIGNALS:
    void modelStateChanged();

private:
    void run();
    void post(std::function<void()> task);
    Reply runJob(Request &request, const std::shared_ptr<std::atomic_bool> &cancelled, const QPointer<QObject> &ctx);

    const int maxQueue_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    int queuedJobs_ = 0;
    int runningJobs_ = 0;
    bool stopping_ = false;
    std::thread thread_;

    std::unique_ptr<engine::Engine> engine_; // touched only on the worker thread
    ModelState state_ = ModelState::None;   // guarded by mutex_
    QString error_;
    engine::ModelInfo info_;
    qint64 readyAt_ = 0;
};

} // namespace smartbot::http
