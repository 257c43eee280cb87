// What the chat routes share after parsing: choosing the model, handing a job to its worker (cancelled when the
// client goes away, 503 + Retry-After when the queue is full), and ending a stream that failed.
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <functional>
#include <memory>
#include <optional>

#include "http/protocol/api_error.h"
#include "service/inference_worker.h"
#include "http/server/routes.h"
#include "http/protocol/sse_stream.h"

class QTcpSocket;

namespace smartbot::http {

// The common start of a route that generates (chat, completions): refuses while draining (503), authenticates the
// caller for the chat scope into `who` (401/403/429) and reads the JSON body (400/415). False when it has answered.
bool admitGeneration(const RouteContext &ctx, const QHttpServerRequest &request, QHttpServerResponder &responder,
                     Principal &who, QJsonObject &body);

// The model a request's "model" field names (absent: the default model), through [model] aliases: its worker and the
// name replies carry. A model that is not loaded but is in [model] folders starts loading and the request waits in
// its queue. 404 model_not_found for an unknown name; 503 model_not_loaded when none is loaded or the load failed;
// 503 insufficient_memory (Retry-After) when busy models hold the memory budget; 507 when the model alone exceeds it.
// The HTTP error for a ModelPool error (its codes as ModelPool::acquire documents them).
ApiError modelPoolError(const Error &e);
struct SelectedModel {
    service::InferenceWorker *worker = nullptr;
    QString name;
};
std::optional<ApiError> selectModel(const RouteContext &ctx, const QJsonValue &model, SelectedModel &out);
// The model name a request's model field stands for ("" = the default model): the name itself, or an alias's target.
QString resolveModelName(const RouteContext &ctx, const QString &asked);
// Whose conversations (service/conversation_store.h) a caller's are: its subject, "user:<name>" or "key:<prefix>".
QString conversationOwner(const Principal &who);
// A conversation store error as the client sees it: 404 conversation_not_found, a database outage, else 500.
ApiError conversationError(const Error &e, const QString &id);
// A model this server has under that exact name: loaded, or in [model] folders (not an alias).
bool isLocalModelName(const RouteContext &ctx, const QString &name);

// Queues job on worker; done runs on the server thread. The stream holds the responder for both outcomes.
void dispatch(const RouteContext &ctx, service::InferenceWorker *worker, const Principal &who,
              service::InferenceWorker::Request &&job, QTcpSocket *socket, const std::shared_ptr<SseStream> &stream,
              std::function<void(const service::InferenceWorker::Reply &)> done);

// Several jobs for one request (n choices, several prompts, an embeddings list): queued together, all cancelled
// when the client goes away, each charged to the caller as it finishes; done runs once, on the server thread, with
// every reply in the jobs' order. If the queue cannot take them all now, none is queued and the client gets 503 busy;
// more jobs than the queue can ever hold get 400 naming n.
void dispatchAll(const RouteContext &ctx, service::InferenceWorker *worker, const Principal &who,
                 std::vector<service::InferenceWorker::Request> &&jobs, QTcpSocket *socket,
                 const std::shared_ptr<SseStream> &stream,
                 std::function<void(const std::vector<service::InferenceWorker::Reply> &)> done);

// The first failed reply of several, if any.
const service::InferenceWorker::Reply *firstFailure(const std::vector<service::InferenceWorker::Reply> &replies);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details": {"cached_tokens"}} of a result,
// or summed over several: replies in groups of choicesPerPrompt choices of one prompt (n), whose prompt counts once
// (as OpenAI counts it).
QJsonObject usageJson(const engine::GenerationResult &result);
QJsonObject usageJson(const std::vector<service::InferenceWorker::Reply> &replies, size_t choicesPerPrompt = 1);

// The API error of a failed job.
ApiError replyError(const service::InferenceWorker::Reply &reply);

// A failed job: a JSON error response if the stream has not started, else an error event and the end.
void failStream(SseStream &stream, const service::InferenceWorker::Reply &reply);

} // namespace smartbot::http
