// OpenAI's Responses API: POST /v1/responses, plain or streamed as typed events (response.created,
// response.output_text.delta, response.function_call_arguments.delta, response.completed, ...). The default of the
// Vercel AI SDK's openai provider and of the OpenAI Agents SDK. A stored response (store, the default) can be
// continued with previous_response_id by the caller that made it (ResponseStore).
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

#include "core/secret_files.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/responses_request.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

QString newId(const char *prefix)
{
    return QLatin1String(prefix) + QString::fromLatin1(randomBytes(12).toHex());
}

QJsonObject textPart(const QString &text)
{
    return {{QStringLiteral("type"), QStringLiteral("output_text")},
            {QStringLiteral("text"), text},
            {QStringLiteral("annotations"), QJsonArray()},
            {QStringLiteral("logprobs"), QJsonArray()}};
}

QJsonObject messageItem(const QString &id, const QString &status, const QJsonArray &content)
{
    return {{QStringLiteral("type"), QStringLiteral("message")},
            {QStringLiteral("id"), id},
            {QStringLiteral("status"), status},
            {QStringLiteral("role"), QStringLiteral("assistant")},
            {QStringLiteral("content"), content}};
}

QJsonObject callItem(const QString &id, const QString &callId, const engine::ToolCall &call, const QString &status,
                     const QString &arguments)
{
    return {{QStringLiteral("type"), QStringLiteral("function_call")},
            {QStringLiteral("id"), id},
            {QStringLiteral("call_id"), callId},
            {QStringLiteral("name"), QString::fromStdString(call.name)},
            {QStringLiteral("arguments"), arguments},
            {QStringLiteral("status"), status}};
}

// What a response says about itself besides its output: the request's settings, echoed as OpenAI does.
struct Envelope {
    QString id;
    qint64 createdAt = 0;
    QString model;
    QJsonObject echo;

    QJsonObject object(const QString &status, const QJsonArray &output, const QJsonValue &usage,
                       const QJsonValue &incomplete = QJsonValue()) const
    {
        QJsonObject o = echo;
        o.insert(QStringLiteral("id"), id);
        o.insert(QStringLiteral("object"), QStringLiteral("response"));
        o.insert(QStringLiteral("created_at"), createdAt);
        o.insert(QStringLiteral("status"), status);
        o.insert(QStringLiteral("model"), model);
        o.insert(QStringLiteral("output"), output);
        o.insert(QStringLiteral("usage"), usage);
        o.insert(QStringLiteral("error"), QJsonValue());
        o.insert(QStringLiteral("incomplete_details"), incomplete);
        return o;
    }
};

QJsonObject usageObject(const engine::GenerationResult &r)
{
    const qint64 in = qint64(r.promptIds.size()), out = qint64(r.ids.size());
    return {{QStringLiteral("input_tokens"), in},
            {QStringLiteral("input_tokens_details"),
             QJsonObject{{QStringLiteral("cached_tokens"), qint64(r.cachedPromptTokens)}}},
            {QStringLiteral("output_tokens"), out},
            {QStringLiteral("output_tokens_details"), QJsonObject{{QStringLiteral("reasoning_tokens"), 0}}},
            {QStringLiteral("total_tokens"), in + out}};
}

QJsonObject echoOf(const QJsonObject &body)
{
    QJsonObject echo;
    static const std::pair<const char *, QJsonValue> fields[] = {
        {"instructions", QJsonValue()},
        {"max_output_tokens", QJsonValue()},
        {"previous_response_id", QJsonValue()},
        {"temperature", 1.0},
        {"top_p", 1.0},
        {"tools", QJsonArray()},
        {"tool_choice", QStringLiteral("auto")},
        {"parallel_tool_calls", true},
        {"metadata", QJsonObject()},
        {"store", true},
        {"text",
         QJsonObject{{QStringLiteral("format"), QJsonObject{{QStringLiteral("type"), QStringLiteral("text")}}}}}};
    for (const auto &[name, fallback] : fields) {
        const QJsonValue v = body.value(QLatin1String(name));
        echo.insert(QLatin1String(name), v.isUndefined() || v.isNull() ? fallback : v);
    }
    echo.insert(QStringLiteral("truncation"), QStringLiteral("disabled"));
    echo.insert(QStringLiteral("user"),
                body.value(QStringLiteral("user")).isString() ? body.value(QStringLiteral("user")) : QJsonValue());
    return echo;
}

// The assistant turn a reply adds to a stored conversation: its text and its calls (with the ids the client saw).
engine::ChatMessage assistantTurn(const engine::ToolOutput &out, const QStringList &callIds)
{
    engine::ChatMessage m{"assistant", out.content, {}};
    if (!out.calls.empty()) {
        QJsonArray calls;
        for (size_t i = 0; i < out.calls.size(); ++i)
            calls.append(QJsonObject{
                {QStringLiteral("id"), callIds.value(qsizetype(i))},
                {QStringLiteral("type"), QStringLiteral("function")},
                {QStringLiteral("function"),
                 QJsonObject{{QStringLiteral("name"), QString::fromStdString(out.calls[i].name)},
                             {QStringLiteral("arguments"),
                              QJsonDocument::fromJson(QByteArray::fromStdString(out.calls[i].arguments)).object()}}}});
        m.extraJson = QJsonDocument(QJsonObject{{QStringLiteral("tool_calls"), calls}})
                          .toJson(QJsonDocument::Compact)
                          .toStdString();
    }
    return m;
}

// Typed events, numbered.
struct EventWriter {
    std::shared_ptr<SseStream> sse;
    int sequence = 0;
    void send(const char *type, QJsonObject event)
    {
        event.insert(QStringLiteral("type"), QLatin1String(type));
        event.insert(QStringLiteral("sequence_number"), sequence++);
        sse->sendEvent(QByteArray(type), event);
    }
};

void handleResponses(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                     QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    ResponsesRequest parsed;
    if (auto e = parseResponsesRequest(body, request.body(), *ctx.config, parsed))
        return writeError(responder, *e);
    SelectedModel selected;
    if (auto e = selectModel(ctx, body.value(QStringLiteral("model")), selected))
        return writeError(responder, *e);

    // The conversation so far: the previous response's (its input and output), then this input.
    std::vector<engine::ChatMessage> conversation;
    if (!parsed.previousResponseId.isEmpty() &&
        !ctx.responses->lookup(parsed.previousResponseId, who.subject, conversation)) {
        ApiError e{404, QStringLiteral("previous_response_not_found"),
                   QStringLiteral("previous response '%1' does not exist, has expired or was not stored")
                       .arg(forMessage(parsed.previousResponseId))};
        e.param = QStringLiteral("previous_response_id");
        return writeError(responder, e);
    }
    conversation.insert(conversation.end(), parsed.job.messages.begin(), parsed.job.messages.end());
    service::InferenceWorker::Request job = std::move(parsed.job);
    job.messages = parsed.instructions; // instructions apply to this response only (not carried over)
    job.messages.insert(job.messages.end(), conversation.begin(), conversation.end());

    auto envelope = std::make_shared<Envelope>(
        Envelope{newId("resp_"), QDateTime::currentSecsSinceEpoch(), selected.name, echoOf(body)});
    // Tool calls are read in the format of the model that wrote the reply (tool_calls.h).
    const std::string toolsJson = job.toolsJson;
    auto readCalls = [toolsJson](const service::InferenceWorker::Reply &r) {
        return toolsJson.empty() ? engine::ToolOutput{r.result.text, {}}
                                 : engine::parseToolCalls(r.toolCallFormat, r.result.text, toolsJson);
    };
    // Stores the finished exchange for previous_response_id.
    service::ResponseStore *store = parsed.store ? ctx.responses : nullptr;
    const QString owner = who.subject;
    auto remember = [store, owner, envelope, conversation](const engine::ToolOutput &out, const QStringList &callIds) {
        if (!store)
            return;
        std::vector<engine::ChatMessage> all = conversation;
        all.push_back(assistantTurn(out, callIds));
        store->put(envelope->id, owner, std::move(all));
    };
    auto outputOf = [](const engine::ToolOutput &out, const QString &messageId, const QStringList &itemIds,
                       const QStringList &callIds) {
        QJsonArray output;
        if (!out.content.empty() || out.calls.empty())
            output.append(messageItem(messageId, QStringLiteral("completed"),
                                      QJsonArray{textPart(QString::fromStdString(out.content))}));
        for (size_t i = 0; i < out.calls.size(); ++i)
            output.append(callItem(itemIds.value(qsizetype(i)), callIds.value(qsizetype(i)), out.calls[i],
                                   QStringLiteral("completed"), QString::fromStdString(out.calls[i].arguments)));
        return output;
    };
    auto statusOf = [](const engine::GenerationResult &r, const engine::ToolOutput &out) {
        return r.finish == engine::FinishReason::Length && out.calls.empty() ? QStringLiteral("incomplete")
                                                                             : QStringLiteral("completed");
    };
    auto idsFor = [](size_t n, const char *prefix) {
        QStringList ids;
        for (size_t i = 0; i < n; ++i)
            ids << newId(prefix);
        return ids;
    };
    const QJsonValue maxOutput = QJsonObject{{QStringLiteral("reason"), QStringLiteral("max_output_tokens")}};
    auto sse = std::make_shared<SseStream>(std::move(responder));

    if (!parsed.stream) {
        dispatch(ctx, selected.worker, who, std::move(job), socket, sse,
                 [sse, envelope, readCalls, remember, outputOf, statusOf, idsFor,
                  maxOutput](const service::InferenceWorker::Reply &reply) {
                     if (!reply.ok)
                         return writeError(sse->responder(), replyError(reply));
                     const engine::ToolOutput out = readCalls(reply);
                     const QStringList callIds = idsFor(out.calls.size(), "call_");
                     const QString status = statusOf(reply.result, out);
                     remember(out, callIds);
                     writeJson(sse->responder(), 200,
                               envelope->object(status,
                                                outputOf(out, newId("msg_"), idsFor(out.calls.size(), "fc_"), callIds),
                                                usageObject(reply.result),
                                                status == QLatin1String("incomplete") ? maxOutput : QJsonValue()));
                 });
        return;
    }

    auto events = std::make_shared<EventWriter>(EventWriter{sse});
    const QString messageId = newId("msg_");
    auto messageOpen = std::make_shared<bool>(false);
    auto streamed = std::make_shared<QString>();
    // The message item opens with its first text (a reply that is only calls has none).
    auto sendText = [events, messageId, messageOpen, streamed](const std::string &piece) {
        if (piece.empty())
            return;
        if (!*messageOpen) {
            *messageOpen = true;
            events->send("response.output_item.added",
                         {{QStringLiteral("output_index"), 0},
                          {QStringLiteral("item"), messageItem(messageId, QStringLiteral("in_progress"), {})}});
            events->send("response.content_part.added", {{QStringLiteral("item_id"), messageId},
                                                         {QStringLiteral("output_index"), 0},
                                                         {QStringLiteral("content_index"), 0},
                                                         {QStringLiteral("part"), textPart(QString())}});
        }
        const QString delta = QString::fromStdString(piece);
        *streamed += delta;
        events->send("response.output_text.delta", {{QStringLiteral("item_id"), messageId},
                                                    {QStringLiteral("output_index"), 0},
                                                    {QStringLiteral("content_index"), 0},
                                                    {QStringLiteral("delta"), delta},
                                                    {QStringLiteral("logprobs"), QJsonArray()}});
    };
    // With tools on, text that may be a call is held back; the stream is made with the first piece, which says the
    // model's format.
    auto calls = std::make_shared<std::unique_ptr<engine::ToolCallStream>>();
    const bool tools = !toolsJson.empty();
    job.onPiece = [sendText, calls, tools](const service::InferenceWorker::Piece &piece) {
        if (tools && !*calls)
            *calls = std::make_unique<engine::ToolCallStream>(piece.toolCallFormat);
        if (!piece.text.empty())
            sendText(*calls ? (*calls)->push(piece.text) : piece.text);
    };
    events->send("response.created",
                 {{QStringLiteral("response"), envelope->object(QStringLiteral("in_progress"), {}, QJsonValue())}});
    events->send("response.in_progress",
                 {{QStringLiteral("response"), envelope->object(QStringLiteral("in_progress"), {}, QJsonValue())}});
    dispatch(
        ctx, selected.worker, who, std::move(job), socket, sse,
        [sse, events, envelope, readCalls, remember, outputOf, statusOf, idsFor, maxOutput, messageId, messageOpen,
         streamed, sendText, calls, tools](const service::InferenceWorker::Reply &reply) {
            if (!reply.ok) {
                const ApiError e = replyError(reply);
                events->send("error", {{QStringLiteral("code"), e.code},
                                       {QStringLiteral("message"), e.message},
                                       {QStringLiteral("param"), e.param.isEmpty() ? QJsonValue() : e.param}});
                return sse->end();
            }
            const engine::ToolOutput out = readCalls(reply);
            if (tools && !*calls) // no piece came
                *calls = std::make_unique<engine::ToolCallStream>(reply.toolCallFormat);
            if (*calls)
                sendText((*calls)->finish(out));
            int index = 0;
            if (*messageOpen) {
                const QJsonObject part = textPart(*streamed);
                events->send("response.output_text.done", {{QStringLiteral("item_id"), messageId},
                                                           {QStringLiteral("output_index"), 0},
                                                           {QStringLiteral("content_index"), 0},
                                                           {QStringLiteral("text"), *streamed},
                                                           {QStringLiteral("logprobs"), QJsonArray()}});
                events->send("response.content_part.done", {{QStringLiteral("item_id"), messageId},
                                                            {QStringLiteral("output_index"), 0},
                                                            {QStringLiteral("content_index"), 0},
                                                            {QStringLiteral("part"), part}});
                events->send(
                    "response.output_item.done",
                    {{QStringLiteral("output_index"), 0},
                     {QStringLiteral("item"), messageItem(messageId, QStringLiteral("completed"), QJsonArray{part})}});
                index = 1;
            }
            const QStringList callIds = idsFor(out.calls.size(), "call_");
            const QStringList itemIds = idsFor(out.calls.size(), "fc_");
            QJsonArray output;
            if (*messageOpen)
                output.append(messageItem(messageId, QStringLiteral("completed"), QJsonArray{textPart(*streamed)}));
            for (size_t i = 0; i < out.calls.size(); ++i, ++index) {
                const QString args = QString::fromStdString(out.calls[i].arguments);
                const QString &itemId = itemIds[qsizetype(i)];
                events->send("response.output_item.added",
                             {{QStringLiteral("output_index"), index},
                              {QStringLiteral("item"), callItem(itemId, callIds[qsizetype(i)], out.calls[i],
                                                                QStringLiteral("in_progress"), QString())}});
                events->send("response.function_call_arguments.delta", {{QStringLiteral("item_id"), itemId},
                                                                        {QStringLiteral("output_index"), index},
                                                                        {QStringLiteral("delta"), args}});
                events->send("response.function_call_arguments.done", {{QStringLiteral("item_id"), itemId},
                                                                       {QStringLiteral("output_index"), index},
                                                                       {QStringLiteral("arguments"), args}});
                const QJsonObject done =
                    callItem(itemId, callIds[qsizetype(i)], out.calls[i], QStringLiteral("completed"), args);
                events->send("response.output_item.done",
                             {{QStringLiteral("output_index"), index}, {QStringLiteral("item"), done}});
                output.append(done);
            }
            // What was streamed is what is stored: the text the client saw, the calls with their ids.
            engine::ToolOutput kept = out;
            kept.content = streamed->toStdString();
            remember(kept, callIds);
            const QString status = statusOf(reply.result, out);
            const bool incomplete = status == QLatin1String("incomplete");
            events->send(incomplete ? "response.incomplete" : "response.completed",
                         {{QStringLiteral("response"), envelope->object(status, output, usageObject(reply.result),
                                                                        incomplete ? maxOutput : QJsonValue())}});
            sse->end();
        });
}

} // namespace

void installResponsesRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/responses"),
                 [ctx](const QHttpServerRequest &request, QHttpServerResponder &&responder, QTcpSocket *socket) {
                     handleResponses(ctx, request, std::move(responder), socket);
                 });
}

} // namespace smartbot::http
