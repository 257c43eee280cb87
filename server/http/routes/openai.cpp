// OpenAI-compatible routes: GET /v1/models, GET /v1/models/{path}, POST /v1/chat/completions (JSON or SSE streaming).
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>
#include <QUrl>

#include "core/secret_files.h"
#include "http/routes/chat_dispatch.h"
#include "http/routes/relay_completion.h"
#include "http/protocol/logprobs_json.h"
#include "http/protocol/openai_request.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

// message.tool_calls (or, streamed, one delta holding each whole call with its index).
QJsonArray toolCallsJson(const std::vector<engine::ToolCall> &calls, bool delta)
{
    QJsonArray list;
    for (size_t i = 0; i < calls.size(); ++i) {
        QJsonObject call{{QStringLiteral("id"), QStringLiteral("call_") + QString::fromLatin1(randomBytes(12).toHex())},
                         {QStringLiteral("type"), QStringLiteral("function")},
                         {QStringLiteral("function"),
                          QJsonObject{{QStringLiteral("name"), QString::fromStdString(calls[i].name)},
                                      {QStringLiteral("arguments"), QString::fromStdString(calls[i].arguments)}}}};
        if (delta)
            call.insert(QStringLiteral("index"), int(i));
        list.append(call);
    }
    return list;
}

QString finishReason(const engine::GenerationResult &result, const engine::ToolOutput &out)
{
    return out.calls.empty() ? QString::fromLatin1(engine::finishReasonName(result.finish))
                             : QStringLiteral("tool_calls");
}

// choice.logprobs: {"content": [...], "refusal": null} when asked for, else null.
QJsonValue choiceLogprobs(bool wanted, const std::vector<engine::TokenLogprob> &tokens)
{
    if (!wanted)
        return QJsonValue();
    return QJsonObject{{QStringLiteral("content"), chatLogprobs(tokens)}, {QStringLiteral("refusal"), QJsonValue()}};
}

void handleCompletions(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                       QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    if (auto remote = relayTarget(ctx, body.value(QStringLiteral("model")))) {
        if (const auto *e = std::get_if<ApiError>(&*remote))
            return writeError(responder, *e);
        return relayChatCompletion(ctx, who, std::move(body), std::get<relay::ProviderRelay::Target>(*remote), socket,
                                   std::move(responder));
    }
    if (auto e = refuseUnsupported(body))
        return writeError(responder, *e);
    service::InferenceWorker::Request job;
    int choices = 1;
    if (auto e = parseMessages(body, job.messages))
        return writeError(responder, *e);
    if (auto e = parseSampling(body, *ctx.config, 1.0, job.params)) // OpenAI's default temperature is 1
        return writeError(responder, *e);
    if (auto e = parseLogprobs(body, job.params))
        return writeError(responder, *e);
    if (auto e = parseChoiceCount(body, choices))
        return writeError(responder, *e);
    if (auto e = parseResponseFormat(body, request.body(), job.params))
        return writeError(responder, *e);
    if (auto e = parseTools(body, request.body(), job.toolsJson, job.toolChoice))
        return writeError(responder, *e);
    bool stream = false;
    if (auto e = boolean(body, QStringLiteral("stream"), stream))
        return writeError(responder, *e);
    SelectedModel selected;
    if (auto e = selectModel(ctx, body.value(QStringLiteral("model")), selected))
        return writeError(responder, *e);

    const bool logprobs = job.params.logprobs >= 0;
    const bool includeUsage =
        body.value(QStringLiteral("stream_options")).toObject().value(QStringLiteral("include_usage")).toBool();
    const QString id = QStringLiteral("chatcmpl-") + QString::fromLatin1(randomBytes(12).toHex());
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const QString model = selected.name;
    // With tools on, the reply is read for calls in the format of the model that wrote it (tool_calls.h).
    const std::string toolsJson = job.toolsJson;
    auto readCalls = [toolsJson](const service::InferenceWorker::Reply &r) {
        return toolsJson.empty() ? engine::ToolOutput{r.result.text, {}}
                                 : engine::parseToolCalls(r.toolCallFormat, r.result.text, toolsJson);
    };
    auto envelope = [id, created, model](const QString &object) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("object"), object},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("system_fingerprint"), QStringLiteral("smartbot")}};
    };
    auto sse = std::make_shared<SseStream>(std::move(responder));
    // n choices: n generations of the one prompt, each with its own seed (the same request still gives the same
    // replies when it names a seed).
    std::vector<service::InferenceWorker::Request> jobs(size_t(choices), job);
    for (int i = 0; i < choices; ++i)
        jobs[size_t(i)].params.seed = job.params.seed + uint64_t(i);

    if (!stream) {
        dispatchAll(ctx, selected.worker, who, std::move(jobs), socket, sse,
                    [sse, envelope, readCalls, logprobs](const std::vector<service::InferenceWorker::Reply> &replies) {
                        if (const auto *failed = firstFailure(replies))
                            return writeError(sse->responder(), replyError(*failed));
                        QJsonObject o = envelope(QStringLiteral("chat.completion"));
                        QJsonArray list;
                        for (size_t i = 0; i < replies.size(); ++i) {
                            const engine::GenerationResult &result = replies[i].result;
                            const engine::ToolOutput out = readCalls(replies[i]);
                            QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                                                {QStringLiteral("content"), QString::fromStdString(out.content)},
                                                {QStringLiteral("refusal"), QJsonValue()}};
                            if (!out.calls.empty()) {
                                message.insert(QStringLiteral("tool_calls"), toolCallsJson(out.calls, false));
                                if (out.content.empty())
                                    message.insert(QStringLiteral("content"), QJsonValue());
                            }
                            list.append(
                                QJsonObject{{QStringLiteral("index"), int(i)},
                                            {QStringLiteral("message"), message},
                                            {QStringLiteral("logprobs"), choiceLogprobs(logprobs, result.logprobs)},
                                            {QStringLiteral("finish_reason"), finishReason(result, out)}});
                        }
                        o.insert(QStringLiteral("choices"), list);
                        o.insert(QStringLiteral("usage"), usageJson(replies, replies.size()));
                        writeJson(sse->responder(), 200, o);
                    });
        return;
    }

    auto chunk = [envelope, includeUsage, logprobs](int index, const QJsonObject &delta, const QJsonValue &finish,
                                                    const QJsonArray &tokens = {}) {
        QJsonObject o = envelope(QStringLiteral("chat.completion.chunk"));
        const QJsonValue lp = logprobs && !tokens.isEmpty()
                                  ? QJsonValue(QJsonObject{{QStringLiteral("content"), tokens},
                                                           {QStringLiteral("refusal"), QJsonValue()}})
                                  : QJsonValue();
        o.insert(QStringLiteral("choices"), QJsonArray{QJsonObject{{QStringLiteral("index"), index},
                                                                   {QStringLiteral("delta"), delta},
                                                                   {QStringLiteral("logprobs"), lp},
                                                                   {QStringLiteral("finish_reason"), finish}}});
        if (includeUsage) // as OpenAI: null in every chunk, the totals in a last one of their own
            o.insert(QStringLiteral("usage"), QJsonValue());
        return o;
    };
    // Per choice: the role arrives with its first piece (so a job that fails before any text still gets a JSON
    // error); with tools on, what may be a call is held back (with its logprobs) and sent as tool_calls at the end.
    struct Choice {
        bool first = true;
        std::shared_ptr<engine::ToolCallStream> calls;
        QJsonArray heldLogprobs;
    };
    auto state = std::make_shared<std::vector<Choice>>(size_t(choices));
    auto sendContent = [sse, chunk, state](int index, const std::string &piece) {
        Choice &c = (*state)[size_t(index)];
        if (piece.empty())
            return;
        QJsonObject delta{{QStringLiteral("content"), QString::fromStdString(piece)}};
        if (c.first)
            delta.insert(QStringLiteral("role"), QStringLiteral("assistant"));
        c.first = false;
        sse->send(chunk(index, delta, QJsonValue(), c.heldLogprobs));
        c.heldLogprobs = {};
    };
    const bool tools = !toolsJson.empty();
    for (int i = 0; i < choices; ++i) {
        jobs[size_t(i)].onPiece = [sendContent, state, i, tools](const service::InferenceWorker::Piece &piece) {
            Choice &c = (*state)[size_t(i)];
            if (tools && !c.calls)
                c.calls = std::make_shared<engine::ToolCallStream>(piece.toolCallFormat);
            for (const QJsonValue &t : chatLogprobs(piece.logprobs))
                c.heldLogprobs.append(t);
            if (!piece.text.empty())
                sendContent(i, c.calls ? c.calls->push(piece.text) : piece.text);
        };
    }
    dispatchAll(ctx, selected.worker, who, std::move(jobs), socket, sse,
                [sse, chunk, envelope, state, includeUsage, sendContent, readCalls,
                 tools](const std::vector<service::InferenceWorker::Reply> &replies) {
                    if (const auto *failed = firstFailure(replies))
                        return failStream(*sse, *failed);
                    for (size_t i = 0; i < replies.size(); ++i) {
                        Choice &c = (*state)[i];
                        const int index = int(i);
                        if (tools && !c.calls) // no piece came
                            c.calls = std::make_shared<engine::ToolCallStream>(replies[i].toolCallFormat);
                        const engine::ToolOutput out = c.calls ? readCalls(replies[i]) : engine::ToolOutput{};
                        if (c.calls)
                            sendContent(index, c.calls->finish(out));
                        if (c.first) // nothing was sent: still announce the role
                            sse->send(chunk(
                                index,
                                {{QStringLiteral("role"), QStringLiteral("assistant")},
                                 {QStringLiteral("content"), out.calls.empty() ? QJsonValue(QString()) : QJsonValue()}},
                                QJsonValue(), out.calls.empty() ? c.heldLogprobs : QJsonArray()));
                        else if (!c.heldLogprobs.isEmpty() && out.calls.empty()) // tokens of a stop string, say
                            sse->send(chunk(index, {}, QJsonValue(), c.heldLogprobs));
                        if (!out.calls.empty())
                            sse->send(chunk(index, {{QStringLiteral("tool_calls"), toolCallsJson(out.calls, true)}},
                                            QJsonValue()));
                        sse->send(chunk(index, {}, finishReason(replies[i].result, out)));
                    }
                    if (includeUsage) {
                        QJsonObject u = envelope(QStringLiteral("chat.completion.chunk"));
                        u.insert(QStringLiteral("choices"), QJsonArray());
                        u.insert(QStringLiteral("usage"), usageJson(replies, replies.size()));
                        sse->send(u);
                    }
                    sse->sendRaw("[DONE]");
                    sse->end();
                });
}

// One model as OpenAI lists it, plus where it stands here: status "ready" or "loading" (held in memory), or
// "available" (in [model] folders, loaded by the first request naming it).
QJsonObject modelObject(const QString &id, const service::ModelPool::Status *held)
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("object"), QStringLiteral("model")},
                  {QStringLiteral("created"), held ? held->readyAt : 0},
                  {QStringLiteral("owned_by"), QStringLiteral("smartbot")}};
    if (!held) {
        o.insert(QStringLiteral("status"), QStringLiteral("available"));
        return o;
    }
    const bool ready = held->state == service::InferenceWorker::ModelState::Ready;
    o.insert(QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("loading"));
    if (ready) {
        o.insert(QStringLiteral("context_length"), held->info.contextLength);
        o.insert(QStringLiteral("architecture"), QString::fromStdString(held->info.architecture));
    }
    return o;
}

// A provider's model ([provider.NAME]): relayed, so nothing is known of it here but its owner.
QJsonObject remoteModelObject(const QString &id, const QString &provider)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("model")},
            {QStringLiteral("created"), 0},
            {QStringLiteral("owned_by"), provider},
            {QStringLiteral("status"), QStringLiteral("remote")}};
}

// The model object for a name a request may send (a model's own name or an alias), without loading anything; none
// when the name stands for no model here.
std::optional<QJsonObject> describeModel(const RouteContext &ctx, const QString &id,
                                         const std::vector<service::ModelPool::Status> &held)
{
    QString name = resolveModelName(ctx, id);
    if (name.isEmpty())
        name = ctx.models->defaultName();
    for (const auto &s : held)
        if (s.name == name && s.state != service::InferenceWorker::ModelState::None &&
            s.state != service::InferenceWorker::ModelState::Failed)
            return modelObject(id, &s);
    if (!name.isEmpty() && ctx.models->pathOf(name))
        return modelObject(id, nullptr);
    return std::nullopt;
}

// GET /v1/models: the models held in memory (the default first), those in [model] folders, then the names [model]
// aliases gives them (not the * wildcard).
void handleModels(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    const auto held = ctx.models->loaded();
    QJsonArray data;
    QStringList listed;
    auto add = [&](const QString &id) {
        if (listed.contains(id))
            return;
        if (auto o = describeModel(ctx, id, held)) {
            data.append(*o);
            listed << id;
        }
    };
    for (const auto &s : held)
        add(s.name);
    for (const auto &a : ctx.models->available())
        add(a.name);
    for (const auto &[alias, target] : ctx.config->modelAliases)
        if (alias != QLatin1String("*"))
            add(alias);
    if (ctx.relay)
        for (const auto &m : ctx.relay->models())
            if (!listed.contains(m.id)) {
                data.append(remoteModelObject(m.id, m.provider));
                listed << m.id;
            }
    writeJson(responder, 200, {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}});
}

// GET /v1/models/{path} (the SDKs' models.retrieve, often a connection check): the model a request naming id gets.
// It loads nothing.
void handleModel(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder)
{
    Principal who;
    if (auto e = ctx.auth->authenticateChat(request, who))
        return writeError(responder, *e);
    const QString id =
        QUrl::fromPercentEncoding(request.url().path(QUrl::FullyEncoded).section(QLatin1Char('/'), 3).toUtf8());
    auto o = describeModel(ctx, id, ctx.models->loaded());
    if (auto remote = o ? std::nullopt : relayTarget(ctx, QJsonValue(id)))
        if (const auto *target = std::get_if<relay::ProviderRelay::Target>(&*remote))
            o = remoteModelObject(id, target->provider->config.name);
    if (!o) {
        ApiError e{404, QStringLiteral("model_not_found"), QStringLiteral("model '%1' is not available").arg(id)};
        e.param = QStringLiteral("model");
        return writeError(responder, e);
    }
    writeJson(responder, 200, *o);
}

} // namespace

void installOpenAiRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/chat/completions"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleCompletions(ctx, req, std::move(r), socket);
                 });
    server.route(
        Method::Get, QStringLiteral("/v1/models"),
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleModels(ctx, req, r); });
    server.route(
        Method::Get, QStringLiteral("/v1/models/{path}"), // ids may hold '/' ("NAME/model", "org/model")
        [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *) { handleModel(ctx, req, r); });
}

} // namespace smartbot::http
