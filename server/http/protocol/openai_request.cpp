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
    for (const char *field :
         {"tools", "functions", "tool_choice", "function_call", "logit_bias", "audio", "prediction"}) {
        const QJsonValue v = body.value(QLatin1String(field));
        if (!v.isUndefined() && !v.isNull() && !(v.isArray() && v.toArray().isEmpty()))
            return unsupported(QLatin1String(field), QStringLiteral("'%1'").arg(QLatin1String(field)));
    }
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
