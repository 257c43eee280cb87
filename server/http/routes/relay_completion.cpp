#include "http/routes/relay_completion.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>

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

qsizetype promptCharacters(const QJsonObject &body)
{
    qsizetype n = 0;
    for (const QJsonValue &m : body.value(QStringLiteral("messages")).toArray())
        n += QJsonDocument(m.toObject()).toJson(QJsonDocument::Compact).size();
    return n;
}

// SSE events from a byte stream that arrives in pieces: the "data:" payload of each complete event.
class SseReader {
public:
    void feed(const QByteArray &bytes, const std::function<void(const QByteArray &)> &onEvent)
    {
        buffer_ += bytes;
        buffer_.replace("\r\n", "\n");
        qsizetype end;
        while ((end = buffer_.indexOf("\n\n")) >= 0) {
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
    }

private:
    QByteArray buffer_;
};

} // namespace

std::optional<std::variant<ApiError, relay::ProviderRelay::Target>> relayTarget(const RouteContext &ctx,
                                                                                const QJsonValue &model)
{
    if (!ctx.relay || ctx.relay->empty() || !model.isString())
        return std::nullopt;
    QString name = resolveModelName(ctx, model.toString());
    auto target = ctx.relay->resolve(name);
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

void relayChatCompletion(const RouteContext &ctx, const Principal &who, QJsonObject body,
                         const relay::ProviderRelay::Target &target, QTcpSocket *socket,
                         QHttpServerResponder &&responder)
{
    bool stream = false;
    if (auto e = boolean(body, QStringLiteral("stream"), stream))
        return writeError(responder, *e);
    const QString clientModel = body.value(QStringLiteral("model")).toString();
    const qsizetype promptChars = promptCharacters(body);
    QJsonObject options = body.value(QStringLiteral("stream_options")).toObject();
    const bool clientWantsUsage = options.value(QStringLiteral("include_usage")).toBool();
    body.insert(QStringLiteral("model"), target.model);
    if (stream) { // usage is charged from the provider's count, so it is asked for whatever the client asked
        options.insert(QStringLiteral("include_usage"), true);
        body.insert(QStringLiteral("stream_options"), options);
    }
    auto sse = std::make_shared<SseStream>(std::move(responder));
    struct State {
        QByteArray plain; // a non-streamed answer, gathered
        SseReader reader;
        bool done = false; // [DONE] seen
        std::optional<std::pair<qint64, qint64>> usage;
        qsizetype replyChars = 0;
        QMetaObject::Connection watch;
    };
    auto state = std::make_shared<State>();
    auto charge = [auth = ctx.auth, subject = who.subject, state, promptChars] {
        const auto [prompt, completion] =
            state->usage.value_or(std::pair{estimateTokens(promptChars), estimateTokens(state->replyChars)});
        auth->recordTokens(subject, prompt, completion);
    };
    relay::RelayHandlers h;
    h.started = [sse, stream] {
        if (stream)
            sse->begin(); // the client sees its head as soon as the provider's arrives
    };
    h.data = [sse, state, stream, clientModel, clientWantsUsage](const QByteArray &bytes) {
        if (!stream) {
            state->plain += bytes;
            return;
        }
        state->reader.feed(bytes, [&](const QByteArray &data) {
            if (data.trimmed() == "[DONE]") {
                state->done = true;
                return;
            }
            QJsonParseError error{};
            QJsonObject event = QJsonDocument::fromJson(data, &error).object();
            if (error.error != QJsonParseError::NoError)
                return sse->sendRaw(data); // not ours to judge: passed on as it came
            if (auto usage = readUsage(event.value(QStringLiteral("usage"))))
                state->usage = usage;
            for (const QJsonValue &c : event.value(QStringLiteral("choices")).toArray())
                state->replyChars += c.toObject()
                                         .value(QStringLiteral("delta"))
                                         .toObject()
                                         .value(QStringLiteral("content"))
                                         .toString()
                                         .size();
            if (!clientWantsUsage) {
                if (event.value(QStringLiteral("choices")).toArray().isEmpty() &&
                    event.contains(QStringLiteral("usage")))
                    return; // the usage event the client did not ask for
                event.remove(QStringLiteral("usage"));
            }
            if (event.contains(QStringLiteral("model")))
                event.insert(QStringLiteral("model"), clientModel);
            sse->send(event);
        });
    };
    h.finished = [sse, state, stream, clientModel, charge] {
        QObject::disconnect(state->watch);
        if (!stream) {
            QJsonParseError error{};
            QJsonObject o = QJsonDocument::fromJson(state->plain, &error).object();
            if (error.error != QJsonParseError::NoError || o.isEmpty())
                return writeError(sse->responder(), {502, QStringLiteral("upstream_error"),
                                                     QStringLiteral("the provider's answer is not a JSON object")});
            state->usage = readUsage(o.value(QStringLiteral("usage")));
            for (const QJsonValue &c : o.value(QStringLiteral("choices")).toArray())
                state->replyChars += c.toObject()
                                         .value(QStringLiteral("message"))
                                         .toObject()
                                         .value(QStringLiteral("content"))
                                         .toString()
                                         .size();
            charge();
            o.insert(QStringLiteral("model"), clientModel);
            return writeJson(sse->responder(), 200, o);
        }
        charge();
        if (!state->done) // a clean end without [DONE]: the provider's stream was cut
            sse->send({{QStringLiteral("error"),
                        QJsonObject{{QStringLiteral("code"), QStringLiteral("upstream_error")},
                                    {QStringLiteral("message"),
                                     QStringLiteral("the provider's stream ended without its [DONE] event")}}}});
        sse->sendRaw("[DONE]");
        sse->end();
    };
    h.failed = [sse, state, charge](const relay::RelayError &e) {
        QObject::disconnect(state->watch);
        const ApiError error = relayError(e);
        if (!sse->begun())
            return writeError(sse->responder(), error);
        charge(); // what was streamed was paid for upstream
        sse->send({{QStringLiteral("error"),
                    QJsonObject{{QStringLiteral("code"), error.code}, {QStringLiteral("message"), error.message}}}});
        sse->sendRaw("[DONE]");
        sse->end();
    };
    QPointer<relay::UpstreamCall> call = ctx.relay->post(
        target, QStringLiteral("/chat/completions"), QJsonDocument(body).toJson(QJsonDocument::Compact), std::move(h));
    if (call) // the client goes away: the provider's request is aborted (and no longer billed)
        state->watch = QObject::connect(socket, &QTcpSocket::disconnected, call, [call] {
            if (call)
                call->cancel();
        });
}

} // namespace smartbot::http
