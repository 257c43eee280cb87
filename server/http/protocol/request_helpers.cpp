#include "http/protocol/request_helpers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <cmath>

namespace smartbot::http {

constexpr int kMaxLogitBias = 1024; // entries in one logit_bias (OpenAI allows 300; a little room)

namespace {
// The name of the first string (key or value) in v holding an unpaired UTF-16 surrogate (a JSON escape such as
// "\ud800" with no partner): such text has no UTF-8 form and must not reach storage or the tokenizer.
std::optional<QString> unpairedSurrogate(const QJsonValue &v, const QString &name)
{
    if (v.isString())
        return v.toString().isValidUtf16() ? std::nullopt : std::optional<QString>(name);
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            if (auto bad = unpairedSurrogate(a[i], QStringLiteral("%1[%2]").arg(name).arg(i)))
                return bad;
    }
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString path = name.isEmpty() ? it.key() : name + QLatin1Char('.') + it.key();
            if (!it.key().isValidUtf16())
                return name.isEmpty() ? QStringLiteral("(a key)") : name;
            if (auto bad = unpairedSurrogate(it.value(), path))
                return bad;
        }
    }
    return std::nullopt;
}
} // namespace

QString forMessage(const QString &value, qsizetype maxChars)
{
    return value.size() <= maxChars ? value
                                    : value.left(maxChars) + QStringLiteral("… (%1 characters)").arg(value.size());
}

std::optional<ApiError> jsonBody(const QHttpServerRequest &request, QJsonObject &out)
{
    const QByteArray type = request.value("Content-Type").toLower();
    if (!type.startsWith("application/json"))
        return ApiError{415, QStringLiteral("unsupported_media_type"),
                        QStringLiteral("Content-Type must be application/json")};
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(request.body(), &err);
    if (err.error != QJsonParseError::NoError)
        return badRequest(QStringLiteral("malformed JSON at offset %1: %2").arg(err.offset).arg(err.errorString()),
                          QStringLiteral("invalid_json"));
    if (!doc.isObject())
        return badRequest(QStringLiteral("request body must be a JSON object"), QStringLiteral("invalid_json"));
    if (auto bad = unpairedSurrogate(doc.object(), {}))
        return badRequest(QStringLiteral("field '%1' holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff "
                                         "without its partner), which is not text")
                              .arg(forMessage(*bad, 64)),
                          QStringLiteral("invalid_json"), *bad);
    out = doc.object();
    return std::nullopt;
}

std::optional<ApiError> number(const QJsonObject &o, const QString &field, double lo, double hi, bool integral,
                               double &out)
{
    const QJsonValue v = o.value(field);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const double d = v.toDouble(std::nan(""));
    if (!v.isDouble() || std::isnan(d) || d < lo || d > hi || (integral && d != std::floor(d)))
        return badRequest(QStringLiteral("field '%1' must be %2 from %3 to %4")
                              .arg(field, integral ? QStringLiteral("a whole number") : QStringLiteral("a number"))
                              .arg(lo)
                              .arg(hi),
                          QStringLiteral("invalid_request"), field);
    out = d;
    return std::nullopt;
}

std::optional<ApiError> boolean(const QJsonObject &o, const QString &field, bool &out)
{
    const QJsonValue v = o.value(field);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    if (!v.isBool())
        return badRequest(QStringLiteral("field '%1' must be true or false").arg(field),
                          QStringLiteral("invalid_request"), field);
    out = v.toBool();
    return std::nullopt;
}

std::optional<std::vector<int32_t>> tokenIdList(const QJsonArray &list)
{
    std::vector<int32_t> ids;
    for (const QJsonValue &v : list) {
        const double d = v.toDouble(-1);
        if (!v.isDouble() || d < 0 || d > 2147483647.0 || d != std::floor(d))
            return std::nullopt;
        ids.push_back(int32_t(d));
    }
    return ids;
}

QByteArray bearerToken(const QHttpServerRequest &request)
{
    const QByteArray auth = request.value("Authorization");
    if (!auth.left(7).toLower().startsWith("bearer "))
        return {};
    return auth.mid(7).trimmed();
}

std::optional<ApiError> parseSampling(const QJsonObject &body, const ServerConfig &config, double defaultTemperature,
                                      engine::GenerationParams &out)
{
    double maxTokens = config.maxTokens, temperature = defaultTemperature, topP = 1, topK = 0, seed = 0;
    double presence = 0, frequency = 0, repetition = 1;
    const QString maxField = body.contains(QStringLiteral("max_completion_tokens"))
                                 ? QStringLiteral("max_completion_tokens")
                                 : QStringLiteral("max_tokens");
    for (auto e : {number(body, maxField, 1, config.maxTokensLimit, true, maxTokens),
                   number(body, QStringLiteral("temperature"), 0, 2, false, temperature),
                   number(body, QStringLiteral("top_p"), 0, 1, false, topP),
                   number(body, QStringLiteral("top_k"), 0, 1e6, true, topK),
                   number(body, QStringLiteral("seed"), -9007199254740991.0, 9007199254740991.0, true, seed),
                   number(body, QStringLiteral("presence_penalty"), -2, 2, false, presence),
                   number(body, QStringLiteral("frequency_penalty"), -2, 2, false, frequency),
                   number(body, QStringLiteral("repetition_penalty"), 0.01, 10, false, repetition)})
        if (e)
            return e;
    out.maxTokens = int(maxTokens);
    out.temperature = float(temperature);
    out.topP = float(topP);
    out.topK = int(topK);
    if (topP == 0) { // OpenAI accepts 0: nothing but the most likely token
        out.topP = 1;
        out.topK = 1;
    }
    // No seed: fresh randomness per request (OpenAI's behaviour; "regenerate" must give another reply). With one,
    // the same request gives the same reply.
    const QJsonValue seedValue = body.value(QStringLiteral("seed"));
    out.seed = seedValue.isUndefined() || seedValue.isNull() ? QRandomGenerator::system()->generate64()
                                                             : uint64_t(int64_t(seed)); // any integer, as OpenAI takes
    out.presencePenalty = float(presence);
    out.frequencyPenalty = float(frequency);
    out.repetitionPenalty = float(repetition);

    // logit_bias: {"token id": bias from -100 to 100}; ids beyond the vocabulary are refused by the worker.
    const QJsonValue bias = body.value(QStringLiteral("logit_bias"));
    if (bias.isObject()) {
        const QJsonObject o = bias.toObject();
        if (o.size() > kMaxLogitBias)
            return badRequest(QStringLiteral("field 'logit_bias' may name at most %1 tokens").arg(kMaxLogitBias),
                              QStringLiteral("invalid_request"), QStringLiteral("logit_bias"));
        for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
            bool ok = false;
            const int token = it.key().toInt(&ok);
            const double value = it.value().toDouble(std::nan(""));
            if (!ok || token < 0 || !it.value().isDouble() || std::isnan(value) || value < -100 || value > 100)
                return badRequest(QStringLiteral("field 'logit_bias' maps token ids (whole numbers from 0) to biases "
                                                 "from -100 to 100; '%1' is not one")
                                      .arg(it.key()),
                                  QStringLiteral("invalid_request"), QStringLiteral("logit_bias"));
            out.logitBias.push_back({int32_t(token), float(value)});
        }
    } else if (!bias.isUndefined() && !bias.isNull()) {
        return badRequest(QStringLiteral("field 'logit_bias' must be an object of token id: bias"),
                          QStringLiteral("invalid_request"), QStringLiteral("logit_bias"));
    }

    const QJsonValue stop = body.value(QStringLiteral("stop"));
    const auto stopError =
        badRequest(QStringLiteral("field 'stop' must be a string or a list of up to 4 non-empty strings"),
                   QStringLiteral("invalid_request"), QStringLiteral("stop"));
    if (stop.isString()) {
        if (stop.toString().isEmpty())
            return stopError;
        out.stop = {stop.toString().toStdString()};
    } else if (stop.isArray()) {
        const QJsonArray a = stop.toArray();
        if (a.size() > 4)
            return stopError;
        for (const auto &v : a) {
            if (!v.isString() || v.toString().isEmpty())
                return stopError;
            out.stop.push_back(v.toString().toStdString());
        }
    } else if (!stop.isUndefined() && !stop.isNull()) {
        return stopError;
    }
    return std::nullopt;
}

} // namespace smartbot::http
