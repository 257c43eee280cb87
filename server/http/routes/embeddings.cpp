// POST /v1/embeddings: vectors for texts (or token ids) from the loaded model's hidden states (Engine::embed),
// through the same authentication, limits, usage accounting and metrics as chat.
#include "http/server/routes.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTcpSocket>

#include <cmath>
#include <cstring>

#include "http/protocol/embeddings_request.h"
#include "http/protocol/request_helpers.h"
#include "http/routes/chat_dispatch.h"

namespace smartbot::http {

namespace {
using Method = QHttpServerRequest::Method;

// The first `dimensions` components, L2-normalised again (OpenAI's shortened embeddings stay unit length).
std::vector<float> shorten(const std::vector<float> &v, int dimensions)
{
    if (dimensions <= 0 || size_t(dimensions) >= v.size())
        return v;
    std::vector<float> out(v.begin(), v.begin() + dimensions);
    double norm = 0;
    for (float x : out)
        norm += double(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0)
        for (float &x : out)
            x = float(x / norm);
    return out;
}

QJsonValue encode(const std::vector<float> &v, bool base64)
{
    if (base64) { // little-endian float32s, as the OpenAI clients decode them (x86 and ARM hosts are little-endian)
        static_assert(sizeof(float) == 4);
        QByteArray bytes(qsizetype(v.size() * sizeof(float)), Qt::Uninitialized);
        std::memcpy(bytes.data(), v.data(), v.size() * sizeof(float));
        return QString::fromLatin1(bytes.toBase64());
    }
    QJsonArray list;
    for (float x : v)
        list.append(double(x));
    return list;
}

void handleEmbeddings(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &&responder,
                      QTcpSocket *socket)
{
    Principal who;
    QJsonObject body;
    if (!admitGeneration(ctx, request, responder, who, body))
        return;
    EmbeddingsRequest parsed;
    if (auto e = parseEmbeddingsRequest(body, parsed))
        return writeError(responder, *e);
    SelectedModel selected;
    if (auto e = selectModel(ctx, body.value(QStringLiteral("model")), selected))
        return writeError(responder, *e);
    service::InferenceWorker::Request job;
    job.embedInputs = std::move(parsed.inputs);
    job.embedDimensions = parsed.dimensions; // checked against the model's width once it is loaded
    const QString model =
        body.value(QStringLiteral("model")).isString() ? body.value(QStringLiteral("model")).toString() : selected.name;
    auto sse = std::make_shared<SseStream>(std::move(responder));
    dispatch(ctx, selected.worker, who, std::move(job), socket, sse,
             [sse, model, dimensions = parsed.dimensions,
              base64 = parsed.base64](const service::InferenceWorker::Reply &reply) {
                 if (!reply.ok)
                     return writeError(sse->responder(), replyError(reply));
                 QJsonArray data;
                 for (size_t i = 0; i < reply.embeddings.size(); ++i)
                     data.append(QJsonObject{
                         {QStringLiteral("object"), QStringLiteral("embedding")},
                         {QStringLiteral("index"), int(i)},
                         {QStringLiteral("embedding"), encode(shorten(reply.embeddings[i], dimensions), base64)}});
                 const qint64 tokens = qint64(reply.result.promptIds.size());
                 writeJson(sse->responder(), 200,
                           {{QStringLiteral("object"), QStringLiteral("list")},
                            {QStringLiteral("data"), data},
                            {QStringLiteral("model"), model},
                            {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), tokens},
                                                                  {QStringLiteral("total_tokens"), tokens}}}});
             });
}

} // namespace

void installEmbeddingRoutes(ApiServer &server, const RouteContext &ctx)
{
    server.route(Method::Post, QStringLiteral("/v1/embeddings"),
                 [ctx](const QHttpServerRequest &req, QHttpServerResponder &&r, QTcpSocket *socket) {
                     handleEmbeddings(ctx, req, std::move(r), socket);
                 });
}

} // namespace smartbot::http
