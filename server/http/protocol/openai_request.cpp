#include "http/protocol/openai_request.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <map>

#include "http/protocol/request_helpers.h"
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
    // Present but empty ([] or {}) is what many clients send by default: as good as absent.
    const auto given = [&](const char *field) {
        const QJsonValue v = body.value(QLatin1String(field));
        return !v.isUndefined() && !v.isNull() && !(v.isArray() && v.toArray().isEmpty()) &&
               !(v.isObject() && v.toObject().isEmpty());
    };
    // The legacy functions API (before tools) is refused: tools do the same.
    for (const char *field : {"functions", "function_call", "audio", "prediction"})
        if (given(field))
            return unsupported(QLatin1String(field), QStringLiteral("'%1'").arg(QLatin1String(field)));
    if (given("stream_options") && !body.value(QStringLiteral("stream")).toBool())
        return badRequest(QStringLiteral("'stream_options' is only allowed when 'stream' is true"),
                          QStringLiteral("invalid_request"), QStringLiteral("stream_options"));
    const QJsonValue modalities = body.value(QStringLiteral("modalities"));
    if (modalities.isArray() && modalities.toArray() != QJsonArray{QStringLiteral("text")})
        return unsupported(QStringLiteral("modalities"), QStringLiteral("modalities other than text"));
    return std::nullopt;
}

std::optional<ApiError> parseChoiceCount(const QJsonObject &body, int &n)
{
    double count = 1;
    if (auto e = number(body, QStringLiteral("n"), 1, kMaxChoices, true, count))
        return e;
    n = int(count);
    return std::nullopt;
}

std::optional<ApiError> parseLogprobs(const QJsonObject &body, engine::GenerationParams &out)
{
    bool wanted = false;
    if (auto e = boolean(body, QStringLiteral("logprobs"), wanted))
        return e;
    double top = 0;
    if (auto e = number(body, QStringLiteral("top_logprobs"), 0, kMaxTopLogprobs, true, top))
        return e;
    const QJsonValue topValue = body.value(QStringLiteral("top_logprobs"));
    if (!topValue.isUndefined() && !topValue.isNull() && !wanted)
        return badRequest(QStringLiteral("'top_logprobs' needs 'logprobs': true"), QStringLiteral("invalid_request"),
                          QStringLiteral("top_logprobs"));
    out.logprobs = wanted ? int(top) : -1;
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

namespace {

// An assistant message's tool_calls in the form chat templates read (Hugging Face's): arguments as an object.
std::optional<ApiError> readToolCalls(const QJsonValue &v, const QString &where, QJsonArray &out)
{
    const auto bad = [&](const QString &field, const QString &what) {
        return badRequest(QStringLiteral("'%1' %2").arg(field, what), QStringLiteral("invalid_request"), field);
    };
    if (!v.isArray())
        return bad(where, QStringLiteral("must be a list of calls"));
    const QJsonArray calls = v.toArray();
    for (qsizetype i = 0; i < calls.size(); ++i) {
        const QString at = where + QStringLiteral("[%1]").arg(i);
        const QJsonObject call = calls[i].toObject();
        const QJsonObject fn = call.value(QStringLiteral("function")).toObject();
        if (!fn.value(QStringLiteral("name")).isString())
            return bad(at + QStringLiteral(".function.name"), QStringLiteral("must be a string"));
        const QJsonValue args = fn.value(QStringLiteral("arguments"));
        QJsonValue parsed = QJsonObject();
        if (args.isString()) {
            const QJsonDocument doc = QJsonDocument::fromJson(args.toString().toUtf8());
            if (!doc.isObject())
                return bad(at + QStringLiteral(".function.arguments"),
                           QStringLiteral("must be a JSON object (as text)"));
            parsed = doc.object();
        } else if (args.isObject()) {
            parsed = args;
        } else if (!args.isUndefined() && !args.isNull()) {
            return bad(at + QStringLiteral(".function.arguments"), QStringLiteral("must be a JSON object (as text)"));
        }
        out.append(QJsonObject{
            {QStringLiteral("id"), call.value(QStringLiteral("id"))},
            {QStringLiteral("type"), QStringLiteral("function")},
            {QStringLiteral("function"), QJsonObject{{QStringLiteral("name"), fn.value(QStringLiteral("name"))},
                                                     {QStringLiteral("arguments"), parsed}}}});
    }
    return std::nullopt;
}

} // namespace

std::optional<ApiError> parseMessages(const QJsonObject &body, std::vector<engine::ChatMessage> &out)
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
        static const QStringList roles = {QStringLiteral("system"), QStringLiteral("user"), QStringLiteral("assistant"),
                                          QStringLiteral("tool")};
        if (!roles.contains(role))
            return badRequest(QStringLiteral("'%1.role' must be system, developer, user, assistant or tool").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".role"));
        QJsonObject extra;
        const QJsonValue calls = m.value(QStringLiteral("tool_calls"));
        const bool hasCalls = role == QLatin1String("assistant") && !calls.isUndefined() && !calls.isNull();
        if (hasCalls) {
            QJsonArray list;
            if (auto e = readToolCalls(calls, where + QStringLiteral(".tool_calls"), list))
                return e;
            extra.insert(QStringLiteral("tool_calls"), list);
        }
        if (role == QLatin1String("tool")) {
            const QJsonValue id = m.value(QStringLiteral("tool_call_id"));
            if (!id.isString())
                return badRequest(QStringLiteral("'%1.tool_call_id' must be the id of the call answered").arg(where),
                                  QStringLiteral("invalid_request"), where + QStringLiteral(".tool_call_id"));
            extra.insert(QStringLiteral("tool_call_id"), id);
        }
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
        } else if (!((c.isNull() || c.isUndefined()) && hasCalls) &&
                   !(c.isNull() && role == QLatin1String("assistant"))) {
            return badRequest(QStringLiteral("'%1.content' must be a string or a list of text parts").arg(where),
                              QStringLiteral("invalid_request"), where + QStringLiteral(".content"));
        }
        out.push_back(
            {role.toStdString(), text.toStdString(),
             extra.isEmpty() ? std::string() : QJsonDocument(extra).toJson(QJsonDocument::Compact).toStdString()});
    }
    return std::nullopt;
}

std::optional<ApiError> parseTools(const QJsonObject &body, const QByteArray &rawBody, std::string &toolsJson,
                                   engine::ToolChoice &choice)
{
    const auto invalid = [](const QString &what, const QString &param) {
        return badRequest(what, QStringLiteral("invalid_request"), param);
    };
    const QJsonValue tools = body.value(QStringLiteral("tools"));
    const QJsonValue tc = body.value(QStringLiteral("tool_choice"));
    choice.parallel = true;
    if (auto e = boolean(body, QStringLiteral("parallel_tool_calls"), choice.parallel))
        return e;
    const bool none = tools.isUndefined() || tools.isNull() || (tools.isArray() && tools.toArray().isEmpty());
    if (tc.isString()) {
        static const std::map<QString, engine::ToolChoice::Mode> modes = {
            {QStringLiteral("none"), engine::ToolChoice::Mode::None},
            {QStringLiteral("auto"), engine::ToolChoice::Mode::Auto},
            {QStringLiteral("required"), engine::ToolChoice::Mode::Required}};
        auto it = modes.find(tc.toString());
        if (it == modes.end())
            return invalid(QStringLiteral("'tool_choice' must be none, auto, required or {\"type\": \"function\", "
                                          "\"function\": {\"name\": ...}}"),
                           QStringLiteral("tool_choice"));
        choice.mode = it->second;
    } else if (tc.isObject()) {
        const QJsonValue name =
            tc.toObject().value(QStringLiteral("function")).toObject().value(QStringLiteral("name"));
        if (!name.isString())
            return invalid(QStringLiteral("'tool_choice.function.name' must name one of the tools"),
                           QStringLiteral("tool_choice"));
        choice.mode = engine::ToolChoice::Mode::Function;
        choice.function = name.toString().toStdString();
    } else if (!tc.isUndefined() && !tc.isNull()) {
        return invalid(QStringLiteral("'tool_choice' must be a string or an object"), QStringLiteral("tool_choice"));
    }
    if (none) {
        if (choice.mode == engine::ToolChoice::Mode::Required || choice.mode == engine::ToolChoice::Mode::Function)
            return invalid(QStringLiteral("'tool_choice' asks for a call but no tools are given"),
                           QStringLiteral("tool_choice"));
        return std::nullopt;
    }
    if (!tools.isArray())
        return invalid(QStringLiteral("field 'tools' must be a list"), QStringLiteral("tools"));
    if (choice.mode == engine::ToolChoice::Mode::None)
        return std::nullopt; // the model is not to call: the tools are not shown to it
    // From the body as received (the parameters' property order), checked by the engine's own reader.
    auto text = engine::jsonAt(std::string_view(rawBody.constData(), size_t(rawBody.size())), "/tools");
    if (!text)
        return invalid(QString::fromStdString(text.error()), QStringLiteral("tools"));
    if (auto ok = engine::checkTools(text.value()); !ok)
        return invalid(QString::fromStdString(ok.error()), QStringLiteral("tools"));
    if (choice.mode == engine::ToolChoice::Mode::Function) {
        bool found = false;
        for (const auto &t : tools.toArray())
            found = found || t.toObject().value(QStringLiteral("function")).toObject().value(QStringLiteral("name")) ==
                                 QJsonValue(QString::fromStdString(choice.function));
        if (!found)
            return invalid(QStringLiteral("'tool_choice' names '%1', which is not among the tools")
                               .arg(QString::fromStdString(choice.function)),
                           QStringLiteral("tool_choice"));
    }
    toolsJson = std::move(text.value());
    return std::nullopt;
}

} // namespace smartbot::http
