#include "http/routes/chat_dispatch.h"

#include <QJsonObject>
#include <QTcpSocket>

#include "http/auth/authenticator.h"
#include "http/protocol/request_helpers.h"
#include "http/server/drain_reply.h"
#include "http/server/request_metrics.h"

namespace smartbot::http {

bool admitGeneration(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                     Principal &who, QJsonObject &body)
{
    if (rejectIfDraining(ctx, responder))
        return false;
    std::optional<ApiError> e = ctx.auth->authenticateChat(request, who);
    addReplyHeaders(responder.socket(), who.rateLimitHeaders); // on a 429 too
    if (!e)
        e = jsonBody(request, body);
    if (e) {
        writeError(responder, *e);
        return false;
    }
    return true;
}

QString resolveModelName(const RouteContext &ctx, const QString &asked)
{
    if (asked.isEmpty())
        return {};
    auto target = [](const QString &t) { return t == QLatin1String("default") ? QString() : t; };
    // An exact alias first (configured on purpose), then a model's own name (loaded, or in [model] folders), then the
    // "*" alias: the wildcard stands for names not otherwise known, so it must not hide a model the server has.
    QString wildcard;
    for (const auto &[alias, to] : ctx.config->modelAliases) {
        if (alias == asked)
            return target(to);
        if (alias == QLatin1String("*"))
            wildcard = to;
    }
    if (wildcard.isEmpty() || isLocalModelName(ctx, asked))
        return asked;
    return target(wildcard);
}

bool isLocalModelName(const RouteContext &ctx, const QString &name)
{
    for (const auto &s : ctx.models->loaded())
        if (s.name == name)
            return true;
    return bool(ctx.models->pathOf(name));
}

ApiError modelPoolError(const Error &e)
{
    ApiError out{503, QStringLiteral("model_not_loaded"), QString::fromStdString(e.message)};
    switch (e.code) {
    case ErrorCode::NotFound:
        out = {404, QStringLiteral("model_not_found"), out.message};
        out.param = QStringLiteral("model");
        break;
    case ErrorCode::Unavailable: // busy models hold the memory: it frees up as they go idle
        out.code = QStringLiteral("insufficient_memory");
        out.retryAfterSeconds = 5;
        break;
    case ErrorCode::InvalidArgument: // larger than the whole budget: no retry helps
        out = {507, QStringLiteral("insufficient_memory"), out.message};
        break;
    default:
        break;
    }
    return out;
}

std::optional<ApiError> selectModel(const RouteContext &ctx, const QJsonValue &model, SelectedModel &out)
{
    if (!model.isUndefined() && !model.isNull() && !model.isString())
        return badRequest(QStringLiteral("field 'model' must be a string"), QStringLiteral("invalid_request"),
                          QStringLiteral("model"));
    const QString name = resolveModelName(ctx, model.toString());
    auto worker = ctx.models->acquire(name);
    if (!worker)
        return modelPoolError(worker.failure());
    out.worker = worker.value();
    out.name = name.isEmpty() ? ctx.models->defaultName() : name;
    return std::nullopt;
}

void dispatch(const RouteContext &ctx, service::InferenceWorker *worker, const Principal &who,
              service::InferenceWorker::Request &&job, QTcpSocket *socket, const std::shared_ptr<SseStream> &stream,
              std::function<void(const service::InferenceWorker::Reply &)> done)
{
    std::vector<service::InferenceWorker::Request> jobs;
    jobs.push_back(std::move(job));
    dispatchAll(ctx, worker, who, std::move(jobs), socket, stream,
                [done = std::move(done)](const std::vector<service::InferenceWorker::Reply> &replies) {
                    done(replies.front());
                });
}

void dispatchAll(const RouteContext &ctx, service::InferenceWorker *worker, const Principal &who,
                 std::vector<service::InferenceWorker::Request> &&jobs, QTcpSocket *socket,
                 const std::shared_ptr<SseStream> &stream,
                 std::function<void(const std::vector<service::InferenceWorker::Reply> &)> done)
{
    if (jobs.size() > size_t(worker->maxQueue())) { // could never be queued: not a "try again"
        ApiError e = badRequest(QStringLiteral("this request makes %1 generations (prompts times n); this server "
                                               "queues at most %2")
                                    .arg(jobs.size())
                                    .arg(worker->maxQueue()),
                                QStringLiteral("invalid_request"), QStringLiteral("n"));
        return writeError(stream->responder(), e);
    }
    auto cancelled = std::make_shared<std::atomic_bool>(false);
    // A keep-alive socket serves request after request: the watch ends with its request, or each one would leave a
    // connection (~175 B with its state) on the socket until the client hangs up (issue 16, item 10).
    const QMetaObject::Connection watch =
        QObject::connect(socket, &QTcpSocket::disconnected, socket, [cancelled] { cancelled->store(true); });
    // Replies arrive on this thread (queued), one per job; done runs after the last.
    struct Gather {
        std::vector<service::InferenceWorker::Reply> replies;
        size_t waiting = 0;
    };
    auto gather = std::make_shared<Gather>();
    gather->replies.resize(jobs.size());
    gather->waiting = jobs.size();
    std::vector<std::function<void(const service::InferenceWorker::Reply &)>> answers;
    for (size_t i = 0; i < jobs.size(); ++i)
        // Usage and tokens_per_minute: charge each finished job to the caller.
        answers.push_back(
            [auth = ctx.auth, subject = who.subject, watch, gather, i, done](const service::InferenceWorker::Reply &r) {
                if (r.ok)
                    auth->recordTokens(subject, qint64(r.result.promptIds.size()), qint64(r.result.ids.size()));
                gather->replies[i] = r;
                if (--gather->waiting > 0)
                    return;
                QObject::disconnect(watch); // runs on the socket's thread, the socket alive (else done is dropped)
                done(gather->replies);
            });
    if (!worker->submitAll(std::move(jobs), socket, std::move(answers), cancelled)) { // none was queued
        QObject::disconnect(watch);
        ApiError e{503, QStringLiteral("busy"), QStringLiteral("the server is busy; try again shortly")};
        e.retryAfterSeconds = 1;
        writeError(stream->responder(), e);
    }
}

const service::InferenceWorker::Reply *firstFailure(const std::vector<service::InferenceWorker::Reply> &replies)
{
    for (const auto &r : replies)
        if (!r.ok)
            return &r;
    return nullptr;
}

QJsonObject usageJson(const std::vector<service::InferenceWorker::Reply> &replies, size_t choicesPerPrompt)
{
    engine::GenerationResult sum;
    for (size_t i = 0; i < replies.size(); ++i) {
        const engine::GenerationResult &r = replies[i].result;
        if (i % std::max<size_t>(choicesPerPrompt, 1) == 0) {
            sum.promptIds.insert(sum.promptIds.end(), r.promptIds.begin(), r.promptIds.end());
            sum.cachedPromptTokens += r.cachedPromptTokens;
        }
        sum.ids.insert(sum.ids.end(), r.ids.begin(), r.ids.end());
    }
    return usageJson(sum);
}

QJsonObject usageJson(const engine::GenerationResult &r)
{
    const qint64 prompt = qint64(r.promptIds.size()), completion = qint64(r.ids.size());
    return {
        {QStringLiteral("prompt_tokens"), prompt},
        {QStringLiteral("completion_tokens"), completion},
        {QStringLiteral("total_tokens"), prompt + completion},
        {QStringLiteral("prompt_tokens_details"),
         QJsonObject{{QStringLiteral("cached_tokens"), qint64(r.cachedPromptTokens)}}},
        {QStringLiteral("completion_tokens_details"), QJsonObject{{QStringLiteral("reasoning_tokens"), 0},
                                                                  {QStringLiteral("accepted_prediction_tokens"), 0},
                                                                  {QStringLiteral("rejected_prediction_tokens"), 0}}}};
}

ApiError replyError(const service::InferenceWorker::Reply &reply)
{
    ApiError e{reply.status, reply.errorCode, reply.error};
    e.param = reply.param;
    return e;
}

void failStream(SseStream &stream, const service::InferenceWorker::Reply &reply)
{
    if (!stream.begun())
        return writeError(stream.responder(), replyError(reply));
    QJsonObject error{{QStringLiteral("code"), reply.errorCode}, {QStringLiteral("message"), reply.error}};
    if (!reply.param.isEmpty())
        error.insert(QStringLiteral("param"), reply.param);
    stream.send({{QStringLiteral("error"), error}});
    stream.sendRaw("[DONE]");
    stream.end();
}

} // namespace smartbot::http
