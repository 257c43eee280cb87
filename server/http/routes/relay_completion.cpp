#include "http/routes/relay_completion.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>

#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {

using Kind = relay::RelayError::Kind;

// The provider's usage when it sent one: {prompt, completion}.
std::optional<std::pair<qint64, qint64>> readUsage(const QJsonValue &usage)
{
    if (!usage.isObject())
        return std::nullopt;
    const QJsonObject u = usage.toObject();
    return std::pair{qint64(u.value(QStringLiteral("prompt_tokens")).toDouble()),
                     qint64(u.value(QStringLiteral("completion_tokens")).toDouble())};
}

// When a provider reports no usage, the charge is estimated at 4 characters a token (there is no tokenizer of the
// provider's model here): the prompt's message text, and the reply's.
qint64 estimateTokens(qsizetype characters)
{
    return (qint64(characters) + 3) / 4;
}

// The characters of every choice's content in an answer (part "message") or a stream event (part "delta").
qsizetype contentCharacters(const QJsonObject &o, const QString &part)
{
    qsizetype n = 0;
    for (const QJsonValue &c : o.value(QStringLiteral("choices")).toArray())
        n += c.toObject().value(part).toObject().value(QStringLiteral("content")).toString().size();
    return n;
}

qsizetype promptCharacters(const QJsonObject &body)
{
    qsizetype n = 0;
    for (const QJsonValue &m : body.value(QStringLiteral("messages")).toArray())
        n += QJsonDocument(m.toObject()).toJson(QJsonDocument::Compact).size();
    return n;
}

// SSE events from a byte stream that arrives in pieces: the "data:" payload of each complete event.
// A provider's answer is held at most this large (a plain one whole; a streamed one's unfinished event): beyond it
// the relay stops reading it and answers 502, rather than let one upstream take the server's memory.
constexpr qsizetype kMaxAnswerBytes = 64 * 1024 * 1024;

class SseReader {
public:
    // False when an event grew past kMaxEventBytes without ending.
    bool feed(const QByteArray &bytes, const std::function<void(const QByteArray &)> &onEvent)
    {
        QByteArray fresh = bytes;
        fresh.replace('\r', ""); // CRLF line ends (split anywhere between two reads) read as LF
        buffer_ += fresh;
        qsizetype end;
        // Only the new bytes are searched (one before them: a "\n" may end the last read), so a long event read in
        // many pieces costs linear time.
        while ((end = buffer_.indexOf("\n\n", std::max<qsizetype>(0, scanned_ - 1))) >= 0) {
            scanned_ = 0;
            const QByteArray event = buffer_.left(end);
            buffer_.remove(0, end + 2);
            QByteArray data;
            for (const QByteArray &line : event.split('\n'))
                if (line.startsWith("data:")) {
                    if (!data.isEmpty())
                        data += '\n';
                    data += line.mid(line.startsWith("data: ") ? 6 : 5);
                }
            if (!data.isEmpty())
                onEvent(data);
        }
        scanned_ = buffer_.size();
        return buffer_.size() <= kMaxEventBytes;
    }

private:
    static constexpr qsizetype kMaxEventBytes = 8 * 1024 * 1024; // one event (a chunk is a few hundred bytes)
    QByteArray buffer_;
    qsizetype scanned_ = 0; // bytes of buffer_ searched for an event's end
};

// A failure: the JSON error when nothing was sent yet, else an error event, [DONE] and the end of the stream.
void endWithError(SseStream &sse, const ApiError &e)
{
    if (!sse.begun())
        return writeError(sse.responder(), e);
    sse.send({{QStringLiteral("error"),
               QJsonObject{{QStringLiteral("code"), e.code}, {QStringLiteral("message"), e.message}}}});
    sse.sendRaw("[DONE]");
    sse.end();
}

} // namespace

std::optional<std::variant<ApiError, relay::ProviderRelay::Target>> relayTarget(const RouteContext &ctx,
                                                                                const QJsonValue &model)
{
    if (!ctx.relay || ctx.relay->empty() || !model.isString())
        return std::nullopt;
    // An exact [model] aliases entry first; the "*" entry must not catch a provider's names, so only exact ones.
    QString name = model.toString();
    for (const auto &[alias, to] : ctx.config->modelAliases)
        if (alias == name) {
            name = to;
            break;
        }
    // A local model of this name wins over a provider's alias (prompts stay on the machine); "NAME/model" is never
    // a local name.
    if (!name.contains(QLatin1Char('/')) && isLocalModelName(ctx, name))
        return std::nullopt;
    auto target = ctx.relay->resolve(name);
    // Not a provider's name: the "*" alias may still send a name unknown here to one ("*: cloud/gpt-4o-mini").
    if (!target)
        if (const QString any = resolveModelName(ctx, model.toString()); !any.isEmpty() && any != name)
            target = ctx.relay->resolve(any);
    if (!target)
        return std::nullopt;
    if (!*target) {
        ApiError e{404, QStringLiteral("model_not_found"), QString::fromStdString(target->error())};
        e.param = QStringLiteral("model");
        return e;
    }
    return target->value();
}

ApiError relayError(const relay::RelayError &e)
{
    // One table: the relay's kind of failure -> the status and code the client gets.
    static const struct {
        Kind kind;
        int status;
        const char *code;
    } table[] = {
        {Kind::Unreachable, 502, "upstream_error"},        {Kind::Timeout, 504, "upstream_timeout"},
        {Kind::RateLimited, 429, "upstream_rate_limited"}, {Kind::KeyRefused, 502, "upstream_error"},
        {Kind::BadRequest, 400, "upstream_bad_request"},   {Kind::Upstream, 502, "upstream_error"},
        {Kind::StreamCut, 502, "upstream_error"},          {Kind::Busy, 503, "upstream_busy"},
        {Kind::CircuitOpen, 503, "upstream_unavailable"},
    };
    ApiError out{502, QStringLiteral("upstream_error"), e.message};
    for (const auto &row : table)
        if (row.kind == e.kind) {
            out.status = row.status;
            out.code = QLatin1String(row.code);
        }
    // A provider's 404 or 422 keeps its status: the client's request named something the provider lacks.
    if (e.kind == Kind::BadRequest && (e.upstreamStatus == 404 || e.upstreamStatus == 413 || e.upstreamStatus == 422))
        out.status = e.upstreamStatus;
    if (e.retryAfterS >= 0)
        out.retryAfterSeconds = e.retryAfterS;
    return out;
}

namespace {

// How one route shapes a relayed exchange for its clients; the machinery below (usage, SSE reading, failures,
// cancellation) is the same for all.
struct Shape {
    // Plain: the provider's chat.completion object; writes the response.
    std::function<void(QJsonObject answer, QHttpServerResponder &responder)> answer;
    // Streamed: one event of the provider's (not [DONE]).
    std::function<void(QJsonObject event, SseStream &sse)> event;
    // Streamed: the provider's stream ended with [DONE]; writes what follows and ends the stream.
    std::function<void(SseStream &sse)> end;
};

void relayExchange(const RouteContext &ctx, const Principal &who, const QJsonObject &upstreamBody, bool stream,
                   const relay::ProviderRelay::Target &target, QTcpSocket *socket, QHttpServerResponder &&responder,
                   Shape shape)
{
    const qsizetype promptChars = promptCharacters(upstreamBody);
    auto sse = std::make_shared<SseStream>(std::move(responder));
    struct State {
        QByteArray plain; // a non-streamed answer, gathered
        SseReader reader;
        bool done = false; // [DONE] seen
        std::optional<std::pair<qint64, qint64>> usage;
        qsizetype replyChars = 0;
        QMetaObject::Connection watch;
        QPointer<relay::UpstreamCall> call;
        bool tooLarge = false;
        bool ended = false; // the client has its answer (or its error)
    };
    auto state = std::make_shared<State>();
    auto charge = [auth = ctx.auth, subject = who.subject, state, promptChars] {
        const auto [prompt, completion] =
            state->usage.value_or(std::pair{estimateTokens(promptChars), estimateTokens(state->replyChars)});
        auth->recordTokens(subject, prompt, completion);
    };
    auto shared = std::make_shared<Shape>(std::move(shape));
    relay::RelayHandlers h;
    h.started = [sse, stream] {
        if (stream)
            sse->begin(); // the client sees its head as soon as the provider's arrives
    };
    // Past the size limit: the provider is cut off at once (not read to its end) and the client gets the error.
    auto overflow = [sse, state, charge] {
        QTimer::singleShot(0, state->call, [sse, state, charge] { // not from inside the call's own signal
            if (state->ended)
                return;
            state->ended = true;
            QObject::disconnect(state->watch);
            if (state->call)
                state->call->cancel();
            charge();
            endWithError(*sse,
                         {502, QStringLiteral("upstream_error"),
                          QStringLiteral("the provider's answer is larger than %1 MiB").arg(kMaxAnswerBytes >> 20)});
        });
    };
    h.data = [sse, state, stream, shared, overflow](const QByteArray &bytes) {
        if (state->tooLarge)
            return;
        if (!stream) {
            state->plain += bytes;
            if ((state->tooLarge = state->plain.size() > kMaxAnswerBytes))
                overflow();
            return;
        }
        state->tooLarge = !state->reader.feed(bytes, [&](const QByteArray &data) {
            if (data.trimmed() == "[DONE]") {
                state->done = true;
                return;
            }
            QJsonParseError error{};
            const QJsonObject event = QJsonDocument::fromJson(data, &error).object();
            if (error.error != QJsonParseError::NoError) // not ours to judge: passed on as it came, line by line
                return sse->sendRaw(QByteArray(data).replace("\n", "\ndata: "));
            if (auto usage = readUsage(event.value(QStringLiteral("usage"))))
                state->usage = usage;
            state->replyChars += contentCharacters(event, QStringLiteral("delta"));
            shared->event(event, *sse);
        });
        if (state->tooLarge)
            overflow();
    };
    h.finished = [sse, state, stream, shared, charge] {
        if (state->ended) // cut off by overflow()
            return;
        state->ended = true;
        QObject::disconnect(state->watch);
        if (!stream) {
            QJsonParseError error{};
            const QJsonObject o = QJsonDocument::fromJson(state->plain, &error).object();
            if (error.error != QJsonParseError::NoError || o.isEmpty())
                return writeError(sse->responder(), {502, QStringLiteral("upstream_error"),
                                                     QStringLiteral("the provider's answer is not a JSON object")});
            state->usage = readUsage(o.value(QStringLiteral("usage")));
            state->replyChars += contentCharacters(o, QStringLiteral("message"));
            charge();
            return shared->answer(o, sse->responder());
        }
        charge();
        if (!state->done) // a clean end without [DONE]: the provider's stream was cut
            return endWithError(*sse, {502, QStringLiteral("upstream_error"),
                                       QStringLiteral("the provider's stream ended without its [DONE] event")});
        shared->end(*sse);
    };
    h.failed = [sse, state, charge](const relay::RelayError &e) {
        if (state->ended)
            return;
        state->ended = true;
        QObject::disconnect(state->watch);
        if (sse->begun())
            charge(); // what was streamed was paid for upstream
        endWithError(*sse, relayError(e));
    };
    state->call = ctx.relay->post(target, QStringLiteral("/chat/completions"),
                                  QJsonDocument(upstreamBody).toJson(QJsonDocument::Compact), std::move(h));
    // The client goes away: the provider's request is aborted; what was streamed to it is charged (else hanging up
    // before the usage event would be free).
    if (state->call)
        state->watch = QObject::connect(socket, &QTcpSocket::disconnected, state->call, [sse, state, charge] {
            if (state->ended)
                return;
            state->ended = true;
            if (sse->begun())
                charge();
            if (state->call)
                state->call->cancel();
        });
}

QString firstChoiceText(const QJsonObject &o, const QString &part)
{
    return o.value(QStringLiteral("choices"))
        .toArray()
        .at(0)
        .toObject()
        .value(part)
        .toObject()
        .value(QStringLiteral("content"))
        .toString();
}

} // namespace

void relayChatCompletion(const RouteContext &ctx, const Principal &who, QJsonObject body,
                         const relay::ProviderRelay::Target &target, QTcpSocket *socket,
                         QHttpServerResponder &&responder)
{
    bool stream = false;
    if (auto e = boolean(body, QStringLiteral("stream"), stream))
        return writeError(responder, *e);
    const QString clientModel = body.value(QStringLiteral("model")).toString();
    QJsonObject options = body.value(QStringLiteral("stream_options")).toObject();
    const bool clientWantsUsage = options.value(QStringLiteral("include_usage")).toBool();
    body.insert(QStringLiteral("model"), target.model);
    if (stream) { // usage is charged from the provider's count, so it is asked for whatever the client asked
        options.insert(QStringLiteral("include_usage"), true);
        body.insert(QStringLiteral("stream_options"), options);
    }
    Shape shape;
    shape.answer = [clientModel](QJsonObject o, QHttpServerResponder &responder) {
        o.insert(QStringLiteral("model"), clientModel);
        writeJson(responder, 200, o);
    };
    shape.event = [clientModel, clientWantsUsage](QJsonObject event, SseStream &sse) {
        if (!clientWantsUsage) {
            if (event.value(QStringLiteral("choices")).toArray().isEmpty() && event.contains(QStringLiteral("usage")))
                return; // the usage event the client did not ask for
            event.remove(QStringLiteral("usage"));
        }
        if (event.contains(QStringLiteral("model")))
            event.insert(QStringLiteral("model"), clientModel);
        sse.send(event);
    };
    shape.end = [](SseStream &sse) {
        sse.sendRaw("[DONE]");
        sse.end();
    };
    relayExchange(ctx, who, body, stream, target, socket, std::move(responder), std::move(shape));
}

void relaySeedChat(const RouteContext &ctx, const Principal &who, const SeedChat &chat,
                   const relay::ProviderRelay::Target &target, QTcpSocket *socket, QHttpServerResponder &&responder)
{
    // The seed's fields as a chat completion: the conversation so far, then the message; its sampling fields as
    // they are (the provider judges them), with the seed route's defaults (greedy, [model] max_tokens).
    QJsonArray messages;
    for (const auto &[role, content] : chat.history)
        messages.append(QJsonObject{{QStringLiteral("role"), QString::fromStdString(role)},
                                    {QStringLiteral("content"), QString::fromStdString(content)}});
    messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                {QStringLiteral("content"), QString::fromStdString(chat.message)}});
    QJsonObject body{{QStringLiteral("model"), target.model},
                     {QStringLiteral("messages"), messages},
                     {QStringLiteral("temperature"), 0.0},
                     {QStringLiteral("max_tokens"), ctx.config->maxTokens}};
    for (const char *field : {"temperature", "top_p", "max_tokens", "seed", "stop", "presence_penalty",
                              "frequency_penalty", "response_format"})
        if (chat.body.contains(QLatin1String(field)))
            body.insert(QLatin1String(field), chat.body.value(QLatin1String(field)));
    if (chat.stream) {
        body.insert(QStringLiteral("stream"), true);
        body.insert(QStringLiteral("stream_options"), QJsonObject{{QStringLiteral("include_usage"), true}});
    }
    service::ConversationStore *store = ctx.conversations;
    const QString id = chat.conversationId, model = chat.clientModel, owner = chat.owner;
    const std::string userText = chat.message;
    auto reply = [id, model](const QString &text, const QJsonValue &finish, const QJsonValue &usage) {
        return QJsonObject{{QStringLiteral("reply"), text},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("conversation_id"), id},
                           {QStringLiteral("finish_reason"), finish},
                           {QStringLiteral("usage"), usage}};
    };
    Shape shape;
    shape.answer = [store, id, owner, model, userText, reply](const QJsonObject &o, QHttpServerResponder &responder) {
        const QString text = firstChoiceText(o, QStringLiteral("message"));
        store->appendOrLog(id, owner, model, userText, text.toStdString());
        writeJson(
            responder, 200,
            reply(text,
                  o.value(QStringLiteral("choices")).toArray().at(0).toObject().value(QStringLiteral("finish_reason")),
                  o.value(QStringLiteral("usage"))));
    };
    struct Streamed {
        QString text;
        QJsonValue finish;
        QJsonValue usage;
    };
    auto streamed = std::make_shared<Streamed>();
    shape.event = [streamed, id](const QJsonObject &event, SseStream &sse) {
        if (event.value(QStringLiteral("usage")).isObject())
            streamed->usage = event.value(QStringLiteral("usage"));
        const QJsonObject choice = event.value(QStringLiteral("choices")).toArray().at(0).toObject();
        if (const QJsonValue finish = choice.value(QStringLiteral("finish_reason")); finish.isString())
            streamed->finish = finish;
        const QString delta = firstChoiceText(event, QStringLiteral("delta"));
        if (delta.isEmpty())
            return;
        streamed->text += delta;
        sse.send({{QStringLiteral("conversation_id"), id}, {QStringLiteral("delta"), delta}});
    };
    shape.end = [streamed, store, id, owner, model, userText, reply](SseStream &sse) {
        store->appendOrLog(id, owner, model, userText, streamed->text.toStdString());
        QJsonObject done = reply(streamed->text, streamed->finish, streamed->usage);
        done.insert(QStringLiteral("done"), true);
        sse.send(done);
        sse.sendRaw("[DONE]");
        sse.end();
    };
    relayExchange(ctx, who, body, chat.stream, target, socket, std::move(responder), std::move(shape));
}

} // namespace smartbot::http
