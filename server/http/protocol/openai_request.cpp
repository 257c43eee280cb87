#include "http/protocol/openai_request.h"

#include <QJsonArray>

namespace smartbot::http {

namespace {

ApiError unsupported(const QString &field, const QString &what)
{
    return badRequest(QStringLiteral("%1 is not supported by SmartBot").arg(what),
                      QStringLiteral("unsupported_parameter"), field);
}

} // namespace

std::optional<ApiError> refuseUnsupported(const QJsonObject &body)
{
    if (body.contains(QStringLiteral("n")) && body.value(QStringLiteral("n")).toDouble(1) != 1)
        return unsupported(QStringLiteral("n"), QStringLiteral("n other than 1"));
    // Present but empty ([] or {}) is what many clients send by default: as good as absent.
    const auto given = [&](const char *field) {
        const QJsonValue v = body.value(QLatin1String(field));
        return !v.isUndefined() && !v.isNull() && !(v.isArray() && v.toArray().isEmpty()) &&
               !(v.isObject() && v.toObject().isEmpty());
    };
    for (const char *field : {"tools", "functions", "function_call", "audio", "prediction"})
        if (given(field))
            return unsupported(QLatin1String(field), QStringLiteral("'%1'").arg(QLatin1String(field)));
    // Without tools, "none" and "auto" ask for a plain reply, which is what they get.
    const QJsonValue toolChoice = body.value(QStringLiteral("tool_choice"));
    if (given("tool_choice") && toolChoice != QJsonValue(QStringLiteral("none")) &&
        toolChoice != QJsonValue(QStringLiteral("auto")))
        return unsupported(QStringLiteral("tool_choice"), QStringLiteral("a tool_choice that calls a tool"));
    if (given("stream_options") && !body.value(QStringLiteral("stream")).toBool())
        return badRequest(QStringLiteral("'stream_options' is only allowed when 'stream' is true"),
                          QStringLiteral("invalid_request"), QStringLiteral("stream_options"));
    if (body.value(QStringLiteral("logprobs")).toBool())
        return unsupported(QStringLiteral("logprobs"), QStringLiteral("logprobs"));
    const QJsonValue rf = body.value(QStringLiteral("response_format"));
    if (rf.isObject() && rf.toObject().value(QStringLiteral("type")).toString() != QLatin1String("text"))
        return unsupported(QStringLiteral("response_format"), QStringLiteral("a response_format other than text"));
    const QJsonValue modalities = body.value(QStringLiteral("modalities"));
    if (modalities.isArray() && modalities.toArray() != QJsonArray{QStringLiteral("text")})
        return unsupported(QStringLiteral("modalities"), QStringLiteral("modalities other than text"));
    return std::nullopt;
}

std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<std::pair<std::string, std::string>> &out)
{
    const QJsonValue v = body.value(QStringLiteral("messages"));
    if (!v.isArray() || v.toArray().isEmpty())
        return badRequest(QStringLiteral("field 'messages' must be a non-empty list"),
                          QStringLiteral("invalid_request"), QStringLiteral("messages"));
    const QJsonArray messages = v.toArray();
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QString where = QStringLiteral("messages[%1]").arg(i);
        if (!messages[i].isObject())
            return badRequest(QStringLiteral("'%1' must be an object").arg(where), QStringLiteral("invalid_request"),
                              where);
        const QJsonObject m = messages[i].toObject();
        QString role = m.value(QStringLiteral("role")).toString();
        if (role == QLatin1String("developer"))
            role = QStringLiteral("system");
        if (role != QLatin1String("system") && role != QLatin1String("user") && role != QLatin1String("assistant"))
            return badRequest(QStringLiteral("'%1.role' must be system, developer, user or assistant").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".role"));
        const QJsonValue c = m.value(QStringLiteral("content"));
        QString text;
        if (c.isString()) {
            text = c.toString();
        } else if (c.isArray()) {
            for (const auto &part : c.toArray()) {
                const QJsonObject p = part.toObject();
                if (p.value(QStringLiteral("type")).toString() != QLatin1String("text") ||
                    !p.value(QStringLiteral("text")).isString())
                    return unsupported(where + QStringLiteral(".content"), QStringLiteral("content other than text"));
                text += p.value(QStringLiteral("text")).toString();
            }
        } else if (!(c.isNull() && role == QLatin1String("assistant"))) {
            return badRequest(QStringLiteral("'%1.content' must be a string or a list of text parts").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".content"));
        }
        out.push_back({role.toStdString(), text.toStdString()});
    }
    return std::nullopt;
}

} // namespace smartbot::http
