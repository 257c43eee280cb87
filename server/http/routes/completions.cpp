// OpenAI's legacy text completions: POST /v1/completions (JSON or SSE streaming). Each prompt (text or token ids) is
// continued as it is written (BOS added as the tokenizer says, no chat template), n times, through the same engine,
// authentication, limits, usage accounting and metrics as chat; logprobs in the legacy table, echo with logprobs
// scores the prompt itself.
#include "http/server/routes.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>

#include <algorithm>

#include "core/secret_files.h"
#include "http/protocol/logprobs_json.h"
#include "http/protocol/openai_request.h"
#include "http/protocol/request_helpers.h"
#include "http/protocol/sse_stream.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

constexpr int kDefaultMaxTokens = 16; // OpenAI's default for /v1/completions (not [model] max_tokens)

constexpr int kMaxPrompts = 64;       // prompts in one request (each times n is a generation)
constexpr int kMaxLegacyLogprobs = 5; // OpenAI's limit for /v1/completions

ApiError unsupported(const QString &field, const QString &what)
{
    return badRequest(QStringLiteral("%1 is not supported by SmartBot").arg(what),
                      QStringLiteral("unsupported_parameter"), field);
}

ApiError invalidPrompt(const QString &why)
{
    return badRequest(QStringLiteral("field 'prompt' %1").arg(why), QStringLiteral("invalid_request"),
                      QStringLiteral("prompt"));
}

// prompt: a string, a list of strings, a list of token ids, or a list of lists of token ids (one choice or n
// each). Every prompt must be non-empty.
std::optional<ApiError> parsePrompts(const QJsonObject &body, std::vector<service::InferenceWorker::Request> &out)
{
    const QJsonValue p = body.value(QStringLiteral("prompt"));
    auto addText = [&out](const QString &text) {
        service::InferenceWorker::Request job;
        job.prompt = text.toStdString();
        out.push_back(std::move(job));
        return !text.isEmpty();
    };
    auto addIds = [&out](const QJsonArray &list) {
        auto ids = tokenIdList(list);
        if (!ids || ids->empty())
            return false;
        service::InferenceWorker::Request job;
        job.promptIds = std::move(*ids);
        job.decodePrompt = true;
        out.push_back(std::move(job));
        return true;
    };
    if (p.isString())
        return addText(p.toString()) ? std::nullopt
                                     : std::optional<ApiError>(invalidPrompt(QStringLiteral("must not be empty")));
    if (!p.isArray() || p.toArray().isEmpty())
        return invalidPrompt(QStringLiteral("must be a non-empty string, a list of strings or a list of token ids"));
    const QJsonArray list = p.toArray();
    if (list.first().isDouble())
        return addIds(list) ? std::nullopt
                            : std::optional<ApiError>(invalidPrompt(QStringLiteral("holds something not a token id")));
    if (list.size() > kMaxPrompts)
        return invalidPrompt(
            QStringLiteral("holds %1 prompts; at most %2 are allowed").arg(list.size()).arg(kMaxPrompts));
    for (qsizetype i = 0; i < list.size(); ++i) {
        const bool ok =
            list[i].isString() ? addText(list[i].toString()) : list[i].isArray() && addIds(list[i].toArray());
        if (!ok)
            return invalidPrompt(QStringLiteral("[%1] must be a non-empty string or a list of token ids").arg(i));
    }
    return std::nullopt;
}

// What OpenAI accepts here that SmartBot does not do: refused by name rather than ignored.
std::optional<ApiError> refuseUnsupportedCompletion(const QJsonObject &body, int n)
{
    const auto given = [&](const char *field) {
        const QJsonValue v = body.value(QLatin1String(field));
        return !v.isUndefined() && !v.isNull();
    };
    if (given("suffix") && !body.value(QStringLiteral("suffix")).toString().isEmpty())
        return unsupported(QStringLiteral("suffix"), QStringLiteral("'suffix' (insertion)"));
    // best_of > n picks the likeliest of several server-side; best_of == n (or 1) is plain n.
    if (given("best_of") && body.value(QStringLiteral("best_of")).toDouble(1) != 1 &&
        body.value(QStringLiteral("best_of")).toDouble(1) != n)
        return unsupported(QStringLiteral("best_of"), QStringLiteral("'best_of' other than 1 or n"));
    if (given("stream_options") && !body.value(QStringLiteral("stream")).toBool())
        return badRequest(QStringLiteral("'stream_options' is only allowed when 'stream' is true"),
                          QStringLiteral("invalid_request"), QStringLiteral("stream_options"));
    return std::nullopt;
}

void handleCompletions(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                       QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    int n = 1;
    if (auto e = parseChoiceCount(body, n))
        return writeError(responder, *e);
    if (auto e = refuseUnsupportedCompletion(body, n))
        return writeError(responder, *e);
    std::vector<service::InferenceWorker::Request> prompts;
    if (auto e = parsePrompts(body, prompts))
        return writeError(responder, *e);
    bool stream = false, echo = false;
    if (auto e = boolean(body, QStringLiteral("stream"), stream))
        return writeError(responder, *e);
    if (auto e = boolean(body, QStringLiteral("echo"), echo))
        return writeError(responder, *e);
    double logprobs = -1;
    if (auto e = number(body, QStringLiteral("logprobs"), 0, kMaxLegacyLogprobs, true, logprobs))
        return writeError(responder, *e);
    const bool idPrompt = std::any_of(prompts.begin(), prompts.end(), [](const auto &p) { return p.decodePrompt; });
    if (echo && stream && idPrompt) // the text of an id prompt is known only once its job ends
        return writeError(responder, unsupported(QStringLiteral("echo"), QStringLiteral("echo of a token-id prompt "
                                                                                        "while streaming")));
    if (echo && logprobs >= 0 && stream)
        return writeError(responder, unsupported(QStringLiteral("echo"), QStringLiteral("echo with logprobs while "
                                                                                        "streaming")));
    // max_tokens 0 with echo scores a text without continuing it (OpenAI's way, e.g. lm-evaluation-harness).
    QJsonObject sampling = body;
    const bool scoreOnly = echo && body.value(QStringLiteral("max_tokens")).isDouble() &&
                           body.value(QStringLiteral("max_tokens")).toDouble() == 0;
    if (scoreOnly)
        sampling.remove(QStringLiteral("max_tokens"));
    ServerConfig config = *ctx.config;
    config.maxTokens = std::min(kDefaultMaxTokens, config.maxTokensLimit);
    engine::GenerationParams params;
    if (auto e = parseSampling(sampling, config, 1.0, params))
        return writeError(responder, *e);
    if (scoreOnly)
        params.maxTokens = 0;
    params.logprobs = int(logprobs);
    params.promptLogprobs = echo && logprobs >= 0;
    SelectedModel selected;
    if (auto e = selectModel(ctx, body.value(QStringLiteral("model")), selected))
        return writeError(responder, *e);

    const bool includeUsage =
        body.value(QStringLiteral("stream_options")).toObject().value(QStringLiteral("include_usage")).toBool();
    const QString id = QStringLiteral("cmpl-") + QString::fromLatin1(randomBytes(12).toHex());
    const qint64 created = QDateTime::currentSecsSinceEpoch();
    const QString model = selected.name;
    // One text_completion object; choices holds the given choices, or none for the usage chunk.
    auto completion = [id, created, model](const QJsonArray &choices) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("object"), QStringLiteral("text_completion")},
                           {QStringLiteral("created"), created},
                           {QStringLiteral("model"), model},
                           {QStringLiteral("system_fingerprint"), QStringLiteral("smartbot")},
                           {QStringLiteral("choices"), choices}};
    };
    auto choice = [](int index, const QString &text, const QJsonValue &logprobs, const QJsonValue &finish) {
        return QJsonObject{{QStringLiteral("text"), text},
                           {QStringLiteral("index"), index},
                           {QStringLiteral("logprobs"), logprobs},
                           {QStringLiteral("finish_reason"), finish}};
    };
    // Choice i is prompt i / n, its (i % n)-th generation, seeded apart.
    std::vector<service::InferenceWorker::Request> jobs;
    QStringList echoes; // per choice: the prompt as given (text prompts) or "" (decoded by the worker)
    for (auto &prompt : prompts)
        for (int j = 0; j < n; ++j) {
            service::InferenceWorker::Request job = prompt;
            job.params = params;
            job.params.seed = params.seed + uint64_t(j);
            job.decodePrompt = job.decodePrompt && echo;
            echoes.append(QString::fromStdString(prompt.prompt));
            jobs.push_back(std::move(job));
        }
    auto echoed = [echoes, echo](size_t i, const service::InferenceWorker::Reply &reply) {
        return !echo ? QString() : echoes[qsizetype(i)].isEmpty() ? reply.promptText : echoes[qsizetype(i)];
    };
    const bool wantLogprobs = logprobs >= 0;
    auto sse = std::make_shared<SseStream>(std::move(responder));

    if (!stream) {
        dispatchAll(ctx, selected.worker, who, std::move(jobs), socket, sse,
                    [sse, completion, choice, echoed, wantLogprobs,
                     n](const std::vector<service::InferenceWorker::Reply> &replies) {
                        if (const auto *failed = firstFailure(replies))
                            return writeError(sse->responder(), replyError(*failed));
                        QJsonArray list;
                        for (size_t i = 0; i < replies.size(); ++i) {
                            const engine::GenerationResult &r = replies[i].result;
                            const QString prefix = echoed(i, replies[i]);
                            QJsonValue lp;
                            if (wantLogprobs) {
                                LegacyLogprobs table(r.promptLogprobs.empty() ? prefix.size() : 0);
                                table.addPrompt(r.promptLogprobs);
                                table.add(r.logprobs);
                                lp = table.json();
                            }
                            list.append(choice(int(i), prefix + QString::fromStdString(r.text), lp,
                                               QString::fromLatin1(engine::finishReasonName(r.finish))));
                        }
                        QJsonObject o = completion(list);
                        o.insert(QStringLiteral("usage"), usageJson(replies, size_t(n)));
                        writeJson(sse->responder(), 200, o);
                    });
        return;
    }

    auto chunk = [completion, choice, includeUsage](int index, const QString &text, const QJsonValue &logprobs,
                                                    const QJsonValue &finish) {
        QJsonObject o = completion(QJsonArray{choice(index, text, logprobs, finish)});
        if (includeUsage)
            o.insert(QStringLiteral("usage"), QJsonValue());
        return o;
    };
    // Per choice: whether its echo went out, and where its text has got to (text_offset).
    struct Choice {
        bool first = true;
        qsizetype offset = 0;
    };
    auto state = std::make_shared<std::vector<Choice>>(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
        const QString prefix = echo ? echoes[qsizetype(i)] : QString();
        jobs[i].onPiece = [sse, chunk, state, i, prefix, wantLogprobs](const service::InferenceWorker::Piece &piece) {
            Choice &c = (*state)[i];
            const QString text = (c.first ? prefix : QString()) + QString::fromStdString(piece.text);
            QJsonValue lp;
            if (wantLogprobs) {
                LegacyLogprobs table(c.offset + (c.first ? prefix.size() : 0));
                table.add(piece.logprobs);
                lp = table.json();
            }
            c.first = false;
            c.offset += text.size();
            sse->send(chunk(int(i), text, lp, QJsonValue()));
        };
    }
    dispatchAll(ctx, selected.worker, who, std::move(jobs), socket, sse,
                [sse, chunk, completion, state, echoed, includeUsage,
                 n](const std::vector<service::InferenceWorker::Reply> &replies) {
                    if (const auto *failed = firstFailure(replies))
                        return failStream(*sse, *failed);
                    for (size_t i = 0; i < replies.size(); ++i) {
                        const QString prefix = echoed(i, replies[i]);
                        if ((*state)[i].first && !prefix.isEmpty()) // nothing was generated: the echo still arrives
                            sse->send(chunk(int(i), prefix, QJsonValue(), QJsonValue()));
                        sse->send(chunk(int(i), QString(), QJsonValue(),
                                        QString::fromLatin1(engine::finishReasonName(replies[i].result.finish))));
                    }
                    if (includeUsage) {
                        QJsonObject u = completion(QJsonArray());
                        u.insert(QStringLiteral("usage"), usageJson(replies, size_t(n)));
                        sse->send(u);
                    }
                    sse->sendRaw("[DONE]");
                    sse->end();
                });
}

} // namespace

void installCompletionRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/completions"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleCompletions(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
