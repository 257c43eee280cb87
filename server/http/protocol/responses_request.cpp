#include "http/protocol/responses_request.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <map>

#include "http/protocol/request_helpers.h"
#include "smartbot/engine/structured_output.h"
#include "smartbot/engine/tool_calls.h"

namespace smartbot::http {

namespace {

ApiError invalid(const QString &what, const QString &param)
{
    return badRequest(what, QStringLiteral("invalid_request"), param);
}

std::string compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
}

// A message's content: a string, or parts of type input_text / output_text (what clients send back) / text.
std::optional<ApiError> readContent(const QJsonValue &c, const QString &where, std::string &out)
{
    if (c.isString()) {
        out = c.toString().toStdString();
        return std::nullopt;
    }
    if (!c.isArray())
        return invalid(QStringLiteral("'%1' must be a string or a list of text parts").arg(where), where);
    const QJsonArray parts = c.toArray();
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QJsonObject p = parts[i].toObject();
        const QString type = p.value(QStringLiteral("type")).toString();
        if (type != QLatin1String("input_text") && type != QLatin1String("output_text") &&
            type != QLatin1String("text"))
            return badRequest(QStringLiteral("'%1[%2]' of type '%3' is not supported by SmartBot (text only)")
                                  .arg(where)
                                  .arg(i)
                                  .arg(forMessage(type)),
                              QStringLiteral("unsupported_parameter"), where + QStringLiteral("[%1]").arg(i));
        out += p.value(QStringLiteral("text")).toString().toStdString();
    }
    return std::nullopt;
}

// input: a string (one user message) or items. Consecutive function_call items become one assistant message with
// several tool_calls, as the chat templates expect parallel calls.
std::optional<ApiError> readInput(const QJsonValue &input, std::vector<engine::ChatMessage> &out)
{
    if (input.isString()) {
        out.push_back({"user", input.toString().toStdString(), {}});
        return std::nullopt;
    }
    if (!input.isArray() || input.toArray().isEmpty())
        return invalid(QStringLiteral("field 'input' must be a string or a non-empty list of items"),
                       QStringLiteral("input"));
    const QJsonArray items = input.toArray();
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QString where = QStringLiteral("input[%1]").arg(i);
        if (!items[i].isObject())
            return invalid(QStringLiteral("'%1' must be an object").arg(where), where);
        const QJsonObject item = items[i].toObject();
        const QString type = item.value(QStringLiteral("type")).toString(QStringLiteral("message"));
        if (type == QLatin1String("message")) {
            QString role = item.value(QStringLiteral("role")).toString();
            if (role == QLatin1String("developer"))
                role = QStringLiteral("system");
            if (role != QLatin1String("user") && role != QLatin1String("system") && role != QLatin1String("assistant"))
                return invalid(QStringLiteral("'%1.role' must be user, system, developer or assistant").arg(where),
                               where + QStringLiteral(".role"));
            std::string text;
            if (auto e = readContent(item.value(QStringLiteral("content")), where + QStringLiteral(".content"), text))
                return e;
            out.push_back({role.toStdString(), text, {}});
        } else if (type == QLatin1String("function_call")) {
            const QJsonValue name = item.value(QStringLiteral("name"));
            const QJsonValue callId = item.value(QStringLiteral("call_id"));
            const QJsonDocument args =
                QJsonDocument::fromJson(item.value(QStringLiteral("arguments")).toString().toUtf8());
            if (!name.isString() || !callId.isString() || !args.isObject())
                return invalid(
                    QStringLiteral("'%1' must have name, call_id and arguments (a JSON object as text)").arg(where),
                    where);
            const QJsonObject call{
                {QStringLiteral("id"), callId},
                {QStringLiteral("type"), QStringLiteral("function")},
                {QStringLiteral("function"),
                 QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("arguments"), args.object()}}}};
            // Join the assistant turn just before (its text, or earlier calls of the same turn).
            if (!out.empty() && out.back().role == "assistant") {
                QJsonObject extra = QJsonDocument::fromJson(QByteArray::fromStdString(out.back().extraJson)).object();
                QJsonArray calls = extra.value(QStringLiteral("tool_calls")).toArray();
                calls.append(call);
                extra.insert(QStringLiteral("tool_calls"), calls);
                out.back().extraJson = compact(extra);
            } else {
                out.push_back({"assistant", "", compact({{QStringLiteral("tool_calls"), QJsonArray{call}}})});
            }
        } else if (type == QLatin1String("function_call_output")) {
            const QJsonValue callId = item.value(QStringLiteral("call_id"));
            const QJsonValue output = item.value(QStringLiteral("output"));
            if (!callId.isString() || !output.isString())
                return invalid(QStringLiteral("'%1' must have call_id and output (a string)").arg(where), where);
            out.push_back(
                {"tool", output.toString().toStdString(), compact({{QStringLiteral("tool_call_id"), callId}})});
        } else if (type == QLatin1String("reasoning")) {
            continue; // a reasoning model's notes, sent back by clients: nothing for this model to read
        } else {
            return badRequest(
                QStringLiteral("input items of type '%1' are not supported by SmartBot").arg(forMessage(type)),
                QStringLiteral("unsupported_parameter"), where + QStringLiteral(".type"));
        }
    }
    return std::nullopt;
}

std::optional<ApiError> readTools(const QJsonObject &body, const QByteArray &raw, ResponsesRequest &out)
{
    using Mode = engine::ToolChoice::Mode;
    engine::ToolChoice &choice = out.job.toolChoice;
    const QJsonValue tc = body.value(QStringLiteral("tool_choice"));
    if (tc.isString()) {
        static const std::map<QString, Mode> modes = {{QStringLiteral("none"), Mode::None},
                                                      {QStringLiteral("auto"), Mode::Auto},
                                                      {QStringLiteral("required"), Mode::Required}};
        const auto it = modes.find(tc.toString());
        if (it == modes.end())
            return invalid(QStringLiteral("'tool_choice' must be none, auto, required or {\"type\": \"function\", "
                                          "\"name\": ...}"),
                           QStringLiteral("tool_choice"));
        choice.mode = it->second;
    } else if (tc.isObject()) {
        const QJsonValue name = tc.toObject().value(QStringLiteral("name"));
        if (tc.toObject().value(QStringLiteral("type")).toString() != QLatin1String("function") || !name.isString())
            return invalid(
                QStringLiteral("'tool_choice' must name a function: {\"type\": \"function\", \"name\": ...}"),
                QStringLiteral("tool_choice"));
        choice.mode = Mode::Function;
        choice.function = name.toString().toStdString();
    } else if (!tc.isUndefined() && !tc.isNull()) {
        return invalid(QStringLiteral("'tool_choice' must be a string or an object"), QStringLiteral("tool_choice"));
    }
    choice.parallel = true;
    if (auto e = boolean(body, QStringLiteral("parallel_tool_calls"), choice.parallel))
        return e;
    const QJsonValue tools = body.value(QStringLiteral("tools"));
    if (tools.isUndefined() || tools.isNull() || (tools.isArray() && tools.toArray().isEmpty())) {
        if (choice.mode == Mode::Required || choice.mode == Mode::Function)
            return invalid(QStringLiteral("'tool_choice' asks for a call but no tools are given"),
                           QStringLiteral("tool_choice"));
        return std::nullopt;
    }
    if (!tools.isArray())
        return invalid(QStringLiteral("field 'tools' must be a list"), QStringLiteral("tools"));
    for (qsizetype i = 0; i < tools.toArray().size(); ++i) {
        const QString type = tools.toArray()[i].toObject().value(QStringLiteral("type")).toString();
        if (type != QLatin1String("function"))
            return badRequest(QStringLiteral("tools of type '%1' (hosted tools) are not supported by SmartBot; give "
                                             "functions")
                                  .arg(forMessage(type)),
                              QStringLiteral("unsupported_parameter"), QStringLiteral("tools[%1].type").arg(i));
    }
    if (choice.mode == Mode::None)
        return std::nullopt;
    auto text = engine::jsonAt(std::string_view(raw.constData(), size_t(raw.size())), "/tools");
    if (text)
        text = engine::chatTools(text.value());
    if (!text)
        return invalid(QString::fromStdString(text.error()), QStringLiteral("tools"));
    if (auto ok = engine::checkTools(text.value()); !ok)
        return invalid(QString::fromStdString(ok.error()), QStringLiteral("tools"));
    out.job.toolsJson = std::move(text.value());
    return std::nullopt;
}

// text.format: {"type": "text" | "json_object" | "json_schema", "name", "schema", "strict"} (flat, unlike chat's).
std::optional<ApiError> readTextFormat(const QJsonObject &body, const QByteArray &raw, engine::GenerationParams &out)
{
    const QJsonValue format = body.value(QStringLiteral("text")).toObject().value(QStringLiteral("format"));
    if (format.isUndefined() || format.isNull())
        return std::nullopt;
    const QString type = format.toObject().value(QStringLiteral("type")).toString();
    if (type == QLatin1String("text"))
        return std::nullopt;
    if (type == QLatin1String("json_object")) {
        out.grammar = engine::jsonGrammar(/*objectOnly=*/true);
        return std::nullopt;
    }
    if (type != QLatin1String("json_schema"))
        return invalid(QStringLiteral("'text.format.type' must be text, json_object or json_schema"),
                       QStringLiteral("text.format.type"));
    const QJsonValue schema = format.toObject().value(QStringLiteral("schema"));
    if (!schema.isObject() && !schema.isBool())
        return invalid(QStringLiteral("'text.format.schema' must be a JSON Schema object"),
                       QStringLiteral("text.format.schema"));
    auto gbnf =
        engine::grammarFromJsonSchema(std::string_view(raw.constData(), size_t(raw.size())), "/text/format/schema");
    if (!gbnf)
        return invalid(QString::fromStdString(gbnf.error()), QStringLiteral("text.format.schema"));
    out.grammar = std::move(gbnf.value());
    return std::nullopt;
}

} // namespace

std::optional<ApiError> parseResponsesRequest(const QJsonObject &body, const QByteArray &rawBody,
                                              const ServerConfig &config, ResponsesRequest &out)
{
    if (auto e = readInput(body.value(QStringLiteral("input")), out.job.messages))
        return e;
    const QJsonValue instructions = body.value(QStringLiteral("instructions"));
    if (instructions.isString() && !instructions.toString().isEmpty())
        out.instructions.push_back({"system", instructions.toString().toStdString(), {}});
    else if (!instructions.isUndefined() && !instructions.isNull() && !instructions.isString())
        return invalid(QStringLiteral("field 'instructions' must be a string"), QStringLiteral("instructions"));

    // The sampling fields under their chat names, so that the limits and errors are the chat routes' own.
    QJsonObject sampling;
    static const std::pair<const char *, const char *> names[] = {
        {"max_output_tokens", "max_tokens"}, {"temperature", "temperature"}, {"top_p", "top_p"}, {"seed", "seed"}};
    for (const auto &[from, to] : names)
        if (body.contains(QLatin1String(from)) && !body.value(QLatin1String(from)).isNull())
            sampling.insert(QLatin1String(to), body.value(QLatin1String(from)));
    if (auto e = parseSampling(sampling, config, 1.0, out.job.params)) {
        for (const auto &[from, to] : names)
            if (e->param == QLatin1String(to)) {
                e->param = QLatin1String(from);
                e->message.replace(QLatin1String(to), QLatin1String(from));
            }
        return e;
    }
    if (auto e = readTextFormat(body, rawBody, out.job.params))
        return e;
    if (auto e = readTools(body, rawBody, out))
        return e;

    const QJsonValue previous = body.value(QStringLiteral("previous_response_id"));
    if (previous.isString())
        out.previousResponseId = previous.toString();
    else if (!previous.isUndefined() && !previous.isNull())
        return invalid(QStringLiteral("field 'previous_response_id' must be a string"),
                       QStringLiteral("previous_response_id"));
    for (const auto &[field, flag] : {std::pair{"store", &out.store}, std::pair{"stream", &out.stream}})
        if (auto e = boolean(body, QLatin1String(field), *flag))
            return e;
    return std::nullopt;
}

} // namespace smartbot::http
