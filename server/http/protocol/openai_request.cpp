#include "http/protocol/openai_request.h"

#include <QJsonArray>

#include "smartbot/engine/structured_output.h"

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
    const QJsonValue modalities = body.value(QStringLiteral("modalities"));
    if (modalities.isArray() && modalities.toArray() != QJsonArray{QStringLiteral("text")})
        return unsupported(QStringLiteral("modalities"), QStringLiteral("modalities other than text"));
    return std::nullopt;
}

std::optional<ApiError> parseResponseFormat(const QJsonObject &body, const QByteArray &rawBody,
                                            engine::GenerationParams &out)
{
    const QString field = QStringLiteral("response_format");
    const QJsonValue rf = body.value(field);
    const QJsonValue grammar = body.value(QStringLiteral("grammar"));
    const auto invalid = [](const QString &what, const QString &param) {
        return badRequest(what, QStringLiteral("invalid_request"), param);
    };
    if (!grammar.isUndefined() && !grammar.isNull()) {
        if (!grammar.isString() || grammar.toString().isEmpty())
            return invalid(QStringLiteral("field 'grammar' must be a GBNF grammar (a string)"),
                           QStringLiteral("grammar"));
        if (rf.isObject() && rf.toObject().value(QStringLiteral("type")).toString() != QLatin1String("text"))
            return invalid(QStringLiteral("give either 'grammar' or a response_format, not both"),
                           QStringLiteral("grammar"));
        const std::string gbnf = grammar.toString().toStdString();
        if (auto ok = engine::checkGrammar(gbnf); !ok)
            return invalid(QString::fromStdString(ok.error()), QStringLiteral("grammar"));
        out.grammar = gbnf;
        return std::nullopt;
    }
    if (rf.isUndefined() || rf.isNull())
        return std::nullopt;
    if (!rf.isObject())
        return invalid(QStringLiteral("field 'response_format' must be an object"), field);
    const QString type = rf.toObject().value(QStringLiteral("type")).toString();
    if (type == QLatin1String("text"))
        return std::nullopt;
    if (type == QLatin1String("json_object")) {
        out.grammar = engine::jsonGrammar(/*objectOnly=*/true);
        return std::nullopt;
    }
    if (type != QLatin1String("json_schema"))
        return invalid(QStringLiteral("'response_format.type' must be text, json_object or json_schema"),
                       field + QStringLiteral(".type"));
    const QJsonValue spec = rf.toObject().value(QStringLiteral("json_schema"));
    if (!spec.isObject())
        return invalid(QStringLiteral("'response_format.json_schema' must be an object with the schema"),
                       field + QStringLiteral(".json_schema"));
    const QJsonValue name = spec.toObject().value(QStringLiteral("name"));
    if (!name.isUndefined() && !name.isString())
        return invalid(QStringLiteral("'response_format.json_schema.name' must be a string"),
                       field + QStringLiteral(".json_schema.name"));
    const QJsonValue schema = spec.toObject().value(QStringLiteral("schema"));
    if (schema.isUndefined() || schema.isNull()) { // no schema: any JSON object, as OpenAI does
        out.grammar = engine::jsonGrammar(/*objectOnly=*/true);
        return std::nullopt;
    }
    if (!schema.isObject() && !schema.isBool())
        return invalid(QStringLiteral("'response_format.json_schema.schema' must be a JSON Schema object"),
                       field + QStringLiteral(".json_schema.schema"));
    // From the body as received: properties are generated in the schema's order, which QJsonObject does not keep.
    auto gbnf = engine::grammarFromJsonSchema(std::string_view(rawBody.constData(), size_t(rawBody.size())),
                                              "/response_format/json_schema/schema");
    if (!gbnf)
        return invalid(QString::fromStdString(gbnf.error()), field + QStringLiteral(".json_schema.schema"));
    out.grammar = std::move(gbnf.value());
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
