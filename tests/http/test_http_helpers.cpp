// The HTTP layer's pure helpers, in-process and table-driven: sampling parameters, the OpenAI request body, error
// JSON and raw error responses, CORS origin matching, quoting client values in messages. (Sockets are the
// integration tests' job.)
#include <QtTest>

#include <QJsonDocument>

#include "http/auth/cors.h"
#include "http/protocol/api_error.h"
#include "http/protocol/embeddings_request.h"
#include "http/protocol/logprobs_json.h"
#include "http/protocol/openai_request.h"
#include "http/protocol/responses_request.h"
#include "http/protocol/request_helpers.h"

using namespace smartbot;
using namespace smartbot::http;

namespace {
QJsonObject parseObject(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}
} // namespace

class TestHttpHelpers : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sampling_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("errorParam"); // empty: accepted
        QTest::newRow("defaults") << QByteArray("{}") << QString();
        QTest::newRow("all valid") << QByteArray(R"({"max_tokens": 10, "temperature": 0.7, "top_p": 0.9, "top_k": 40,
            "seed": 3, "presence_penalty": 1, "frequency_penalty": -1, "repetition_penalty": 1.1, "stop": ["a", "b"]})")
                                   << QString();
        QTest::newRow("max_completion_tokens") << QByteArray(R"({"max_completion_tokens": 5})") << QString();
        QTest::newRow("null seed") << QByteArray(R"({"seed": null})") << QString();
        QTest::newRow("max_tokens 0") << QByteArray(R"({"max_tokens": 0})") << QString("max_tokens");
        QTest::newRow("max_tokens over limit") << QByteArray(R"({"max_tokens": 5000})") << QString("max_tokens");
        QTest::newRow("max_tokens fraction") << QByteArray(R"({"max_tokens": 1.5})") << QString("max_tokens");
        QTest::newRow("temperature string") << QByteArray(R"({"temperature": "hot"})") << QString("temperature");
        QTest::newRow("temperature 3") << QByteArray(R"({"temperature": 3})") << QString("temperature");
        QTest::newRow("top_k negative") << QByteArray(R"({"top_k": -1})") << QString("top_k");
        QTest::newRow("stop empty string") << QByteArray(R"({"stop": ""})") << QString("stop");
        QTest::newRow("stop five") << QByteArray(R"({"stop": ["a","b","c","d","e"]})") << QString("stop");
        QTest::newRow("stop number") << QByteArray(R"({"stop": 7})") << QString("stop");
    }
    void sampling()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, errorParam);
        ServerConfig config;
        engine::GenerationParams params;
        const auto error = parseSampling(parseObject(body), config, 0.0, params);
        QCOMPARE(error.has_value(), !errorParam.isEmpty());
        if (error) {
            QCOMPARE(error->status, 400);
            QCOMPARE(error->param, errorParam);
            QVERIFY2(error->message.contains(errorParam), qPrintable(error->message));
        }
    }

    void samplingValues()
    {
        ServerConfig config;
        engine::GenerationParams p;
        QVERIFY(
            !parseSampling(parseObject(R"({"max_completion_tokens": 7, "seed": 42, "stop": "x"})"), config, 0.5, p));
        QCOMPARE(p.maxTokens, 7);
        QCOMPARE(p.seed, uint64_t(42));
        QCOMPARE(p.temperature, 0.5f); // the route's default temperature
        QCOMPARE(p.stop, std::vector<std::string>{"x"});
        engine::GenerationParams a, b;
        QVERIFY(!parseSampling({}, config, 1.0, a));
        QVERIFY(!parseSampling({}, config, 1.0, b));
        QCOMPARE(a.maxTokens, config.maxTokens);
        QVERIFY2(a.seed != b.seed, "two requests without a seed got the same one");
    }

    // /v1/chat/completions: what is refused (400 naming the param) and how messages are read.
    void openAiRequest_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("errorParam"); // empty: accepted
        QTest::addColumn<QString>("roles");      // accepted: the roles read, joined by ','
        QTest::newRow("plain") << QByteArray(R"({"messages":[{"role":"user","content":"hi"}]})") << QString()
                               << QString("user");
        QTest::newRow("developer is system")
            << QByteArray(R"({"messages":[{"role":"developer","content":"x"},{"role":"user","content":"y"}]})")
            << QString() << QString("system,user");
        QTest::newRow("text parts") << QByteArray(
                                           R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"}]}]})")
                                    << QString() << QString("user");
        QTest::newRow("assistant null content")
            << QByteArray(R"({"messages":[{"role":"assistant","content":null}]})") << QString() << QString("assistant");
        QTest::newRow("n 1 and empty tools")
            << QByteArray(R"({"n":1,"tools":[],"messages":[{"role":"user","content":"x"}]})") << QString()
            << QString("user");
        QTest::newRow("no messages") << QByteArray(R"({})") << QString("messages") << QString();
        QTest::newRow("empty messages") << QByteArray(R"({"messages":[]})") << QString("messages") << QString();
        QTest::newRow("message not object") << QByteArray(R"({"messages":[1]})") << QString("messages[0]") << QString();
        QTest::newRow("bad role") << QByteArray(R"({"messages":[{"role":"robot","content":"x"}]})")
                                  << QString("messages[0].role") << QString();
        QTest::newRow("image part")
            << QByteArray(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]})")
            << QString("messages[0].content") << QString();
        QTest::newRow("number content") << QByteArray(R"({"messages":[{"role":"user","content":5}]})")
                                        << QString("messages[0].content") << QString();
        QTest::newRow("n 2") << QByteArray(R"({"n":2,"messages":[{"role":"user","content":"x"}]})") << QString()
                             << QString("user");
        QTest::newRow("tools") << QByteArray(R"({"tools":[{}],"messages":[{"role":"user","content":"x"}]})")
                               << QString("tools") << QString();
        QTest::newRow("tool without name") << QByteArray("{\"tools\":[{\"type\":\"function\",\"function\":{}}],"
                                                         "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                                           << QString("tools") << QString();
        QTest::newRow("tool_choice names no tool")
            << QByteArray(
                   "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}}],\"tool_choice\":{\"type\":"
                   "\"function\",\"function\":{\"name\":\"b\"}},\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
            << QString("tool_choice") << QString();
        QTest::newRow("required without tools")
            << QByteArray("{\"tool_choice\":\"required\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
            << QString("tool_choice") << QString();
        QTest::newRow("tool turn without id") << QByteArray("{\"messages\":[{\"role\":\"tool\",\"content\":\"42\"}]}")
                                              << QString("messages[0].tool_call_id") << QString();
        QTest::newRow("a tool round trip")
            << QByteArray(
                   "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":null,"
                   "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":"
                   "\"{\\\"a\\\":1}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"2\"}]}")
            << QString() << QString("user,assistant,tool");
        QTest::newRow("arguments not JSON")
            << QByteArray("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\","
                          "\"function\":{\"name\":\"f\",\"arguments\":\"{oops\"}}]}]}")
            << QString("messages[0].tool_calls[0].function.arguments") << QString();
        QTest::newRow("logprobs") << QByteArray(R"({"logprobs":true,"messages":[{"role":"user","content":"x"}]})")
                                  << QString() << QString("user");
        QTest::newRow("json_object response_format")
            << QByteArray(R"({"response_format":{"type":"json_object"},"messages":[{"role":"user","content":"x"}]})")
            << QString() << QString("user");
        QTest::newRow("xml response_format")
            << QByteArray(R"({"response_format":{"type":"xml"},"messages":[{"role":"user","content":"x"}]})")
            << QString("response_format.type") << QString();
        QTest::newRow("schema with pattern")
            << QByteArray("{\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\","
                          "\"schema\":{\"type\":\"string\",\"pattern\":\"a(?=b)\"}}},"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
            << QString("response_format.json_schema.schema") << QString();
        QTest::newRow("grammar that does not parse")
            << QByteArray("{\"grammar\":\"root ::= (\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
            << QString("grammar") << QString();
        QTest::newRow("logprobs with top 20 and n 16")
            << QByteArray(R"({"logprobs":true,"top_logprobs":20,"n":16,"messages":[{"role":"user","content":"x"}]})")
            << QString() << QString("user");
        QTest::newRow("top_logprobs without logprobs")
            << QByteArray(R"({"top_logprobs":2,"messages":[{"role":"user","content":"x"}]})") << QString("top_logprobs")
            << QString();
        QTest::newRow("top_logprobs 21")
            << QByteArray(R"({"logprobs":true,"top_logprobs":21,"messages":[{"role":"user","content":"x"}]})")
            << QString("top_logprobs") << QString();
        QTest::newRow("logprobs not bool") << QByteArray(R"({"logprobs":1,"messages":[{"role":"user","content":"x"}]})")
                                           << QString("logprobs") << QString();
        QTest::newRow("n 17") << QByteArray(R"({"n":17,"messages":[{"role":"user","content":"x"}]})") << QString("n")
                              << QString();
        QTest::newRow("n 0") << QByteArray(R"({"n":0,"messages":[{"role":"user","content":"x"}]})") << QString("n")
                             << QString();
    }
    void responsesRequest_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("errorParam");
        QTest::addColumn<QString>("roles"); // of the messages, when accepted
        const auto b = [](const char *single) { return QByteArray(single).replace('\'', '"'); };
        QTest::newRow("a string") << b("{'input':'hi'}") << QString() << "user";
        QTest::newRow("items and calls")
            << b("{'input':[{'role':'developer','content':'be brief'},{'role':'user','content':[{'type':'input_text',"
                 "'text':'2+3?'}]},{'type':'function_call','call_id':'c1','name':'add','arguments':'{}'},"
                 "{'type':'function_call','call_id':'c2','name':'add','arguments':'{}'},"
                 "{'type':'function_call_output','call_id':'c1','output':'5'}]}")
            << QString() << "system,user,assistant,tool";
        QTest::newRow("an image") << b("{'input':[{'role':'user','content':[{'type':'input_image'}]}]}")
                                  << "input[0].content[0]" << QString();
        QTest::newRow("unknown item") << b("{'input':[{'type':'computer_call'}]}") << "input[0].type" << QString();
        QTest::newRow("no input") << b("{}") << "input" << QString();
        QTest::newRow("max_output_tokens named")
            << b("{'input':'x','max_output_tokens':0}") << "max_output_tokens" << QString();
        QTest::newRow("hosted tool") << b("{'input':'x','tools':[{'type':'web_search'}]}") << "tools[0].type"
                                     << QString();
        QTest::newRow("forced call, no tools")
            << b("{'input':'x','tool_choice':'required'}") << "tool_choice" << QString();
        QTest::newRow("schema refused") << b("{'input':'x','text':{'format':{'type':'json_schema','name':'s',"
                                             "'schema':{'type':'string','pattern':'\\\\1'}}}}")
                                        << "text.format.schema" << QString();
        QTest::newRow("store not bool") << b("{'input':'x','store':'yes'}") << "store" << QString();
    }
    void responsesRequest()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, errorParam);
        QFETCH(QString, roles);
        ResponsesRequest out;
        const ServerConfig config;
        auto error = parseResponsesRequest(parseObject(body), body, config, out);
        QCOMPARE(error ? error->param : QString(), errorParam);
        if (error)
            return;
        QStringList got;
        for (const auto &m : out.job.messages)
            got << QString::fromStdString(m.role);
        QCOMPARE(got.join(','), roles);
        if (QTest::currentDataTag() == QLatin1String("items and calls")) // the two calls are one assistant turn
            QVERIFY(QByteArray::fromStdString(out.job.messages[2].extraJson).count("\"name\":\"add\"") == 2);
    }

    void openAiRequest()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, errorParam);
        QFETCH(QString, roles);
        const QJsonObject object = parseObject(body);
        std::vector<smartbot::engine::ChatMessage> messages;
        std::string toolsJson;
        smartbot::engine::ToolChoice choice;
        std::optional<ApiError> error = refuseUnsupported(object);
        smartbot::engine::GenerationParams params;
        int n = 1;
        if (!error)
            error = parseLogprobs(object, params);
        if (!error)
            error = parseChoiceCount(object, n);
        if (!error)
            error = parseResponseFormat(object, body, params);
        if (!error)
            error = parseTools(object, body, toolsJson, choice);
        if (!error)
            error = parseMessages(object, messages);
        QCOMPARE(error.has_value(), !errorParam.isEmpty());
        if (error) {
            QCOMPARE(error->status, 400);
            QCOMPARE(error->param, errorParam);
            return;
        }
        QStringList got;
        for (const auto &m : messages)
            got << QString::fromStdString(m.role);
        QCOMPARE(got.join(','), roles);
    }

    void embeddingsRequest_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("error"); // a fragment of the message; empty: accepted
        QTest::addColumn<int>("inputs");
        QTest::addColumn<bool>("base64");
        QTest::addColumn<int>("dimensions");
        const auto b = [](const char *single) { return QByteArray(single).replace('\'', '"'); };
        QTest::newRow("a string") << b("{'input':'hi'}") << QString() << 1 << false << 0;
        QTest::newRow("strings, base64, 8")
            << b("{'input':['a','b'],'encoding_format':'base64','dimensions':8}") << QString() << 2 << true << 8;
        QTest::newRow("token ids") << b("{'input':[1,2,3]}") << QString() << 1 << false << 0;
        QTest::newRow("lists of ids and text")
            << b("{'input':[[1,2],'c',[3]],'encoding_format':'float'}") << QString() << 3 << false << 0;
        QTest::newRow("empty string") << b("{'input':''}") << "must not be empty" << 0 << false << 0;
        QTest::newRow("empty in list") << b("{'input':['a','']}") << "input[1]" << 0 << false << 0;
        QTest::newRow("empty list") << b("{'input':[]}") << "must be a non-empty" << 0 << false << 0;
        QTest::newRow("no input") << b("{}") << "must be a non-empty" << 0 << false << 0;
        QTest::newRow("negative id") << b("{'input':[1,-2]}") << "not a token id" << 0 << false << 0;
        QTest::newRow("fractional id") << b("{'input':[[1.5]]}") << "input[0]" << 0 << false << 0;
        QTest::newRow("an object") << b("{'input':[{'text':'a'}]}") << "input[0]" << 0 << false << 0;
        QTest::newRow("bad format") << b("{'input':'a','encoding_format':'int8'}") << "encoding_format" << 0 << false
                                    << 0;
        QTest::newRow("zero dimensions") << b("{'input':'a','dimensions':0}") << "dimensions" << 0 << false << 0;
        QTest::newRow("user not string") << b("{'input':'a','user':7}") << "user" << 0 << false << 0;
        QByteArray many = "{\"input\":[";
        for (int i = 0; i <= kMaxEmbeddingInputs; ++i)
            many += i ? ",\"x\"" : "\"x\"";
        QTest::newRow("2049 inputs") << many + "]}"
                                     << "at most 2048" << 0 << false << 0;
    }
    void embeddingsRequest()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, error);
        QFETCH(int, inputs);
        QFETCH(bool, base64);
        QFETCH(int, dimensions);
        EmbeddingsRequest out;
        const auto e = parseEmbeddingsRequest(parseObject(body), out);
        QCOMPARE(e.has_value(), !error.isEmpty());
        if (e) {
            QCOMPARE(e->status, 400);
            QVERIFY2(e->message.contains(error), qPrintable(e->message));
            return;
        }
        QCOMPARE(int(out.inputs.size()), inputs);
        QCOMPARE(out.base64, base64);
        QCOMPARE(out.dimensions, dimensions);
    }

    // The legacy table: BOS (a control token) is not text; a first token with nothing before it has null logprob and
    // alternatives; text_offset counts UTF-16 units from the given start; alternatives that read alike keep the
    // likelier.
    void legacyLogprobs()
    {
        using smartbot::engine::TokenLogprob;
        TokenLogprob bos;
        bos.id = 1;
        bos.bytes = "<s>";
        bos.special = true;
        bos.logprob = std::numeric_limits<float>::quiet_NaN();
        TokenLogprob first;
        first.id = 5;
        first.bytes = "\xc3\xa9t\xc3\xa9"; // "été": 3 UTF-16 units, 5 bytes
        first.logprob = -0.5f;
        first.top = {{5, "\xc3\xa9t\xc3\xa9", -0.5f, false}, {6, "x", -1.0f, false}, {7, "x", -2.0f, false}};
        TokenLogprob bare = first;
        bare.logprob = std::numeric_limits<float>::quiet_NaN();
        bare.top.clear();
        TokenLogprob next;
        next.id = 8;
        next.bytes = " ok";
        next.logprob = -0.25f;
        LegacyLogprobs withBos;
        withBos.addPrompt({bos, first});
        withBos.add({next});
        const QJsonObject a = withBos.json();
        QCOMPARE(a.value("tokens").toArray(), (QJsonArray{QString::fromUtf8("\xc3\xa9t\xc3\xa9"), " ok"}));
        QCOMPARE(a.value("token_logprobs").toArray(), (QJsonArray{-0.5, -0.25}));
        QCOMPARE(a.value("text_offset").toArray(), (QJsonArray{0, 3}));
        QCOMPARE(a.value("top_logprobs").toArray().at(0).toObject(),
                 (QJsonObject{{QString::fromUtf8("\xc3\xa9t\xc3\xa9"), -0.5}, {"x", -1.0}}));
        LegacyLogprobs noBos(10);
        noBos.addPrompt({bare});
        const QJsonObject b = noBos.json();
        QVERIFY(b.value("token_logprobs").toArray().at(0).isNull());
        QVERIFY(b.value("top_logprobs").toArray().at(0).isNull());
        QCOMPARE(b.value("text_offset").toArray(), (QJsonArray{10}));
    }

    void errorJson_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::newRow("400") << 400 << QString("invalid_request_error");
        QTest::newRow("401") << 401 << QString("authentication_error");
        QTest::newRow("403") << 403 << QString("permission_error");
        QTest::newRow("404") << 404 << QString("not_found_error");
        QTest::newRow("413") << 413 << QString("invalid_request_error");
        QTest::newRow("429") << 429 << QString("rate_limit_error");
        QTest::newRow("503") << 503 << QString("server_error");
    }
    void errorJson()
    {
        QFETCH(int, status);
        ApiError e{status, QStringLiteral("some_code"), QStringLiteral("a \"quoted\" message")};
        const QJsonObject error = parseObject(errorBody(e)).value("error").toObject();
        QCOMPARE(error.value("code").toString(), QStringLiteral("some_code"));
        QCOMPARE(error.value("message").toString(), QStringLiteral("a \"quoted\" message"));
        QTEST(error.value("type").toString(), "type");
        QVERIFY(error.value("param").isNull());
        e.param = QStringLiteral("model");
        QCOMPARE(parseObject(errorBody(e)).value("error").toObject().value("param").toString(),
                 QStringLiteral("model"));
    }

    void rawResponse()
    {
        ApiError e{503, QStringLiteral("too_many_connections"), QStringLiteral("full")};
        e.retryAfterSeconds = 1;
        const QByteArray raw = rawErrorResponse(e);
        QVERIFY(raw.startsWith("HTTP/1.1 503 Service Unavailable\r\n"));
        QVERIFY(raw.contains("\r\nRetry-After: 1\r\n"));
        QVERIFY(raw.contains("\r\nConnection: close\r\n"));
        const qsizetype headEnd = raw.indexOf("\r\n\r\n");
        const QByteArray body = raw.mid(headEnd + 4);
        QVERIFY(raw.left(headEnd).contains("Content-Length: " + QByteArray::number(body.size())));
        QCOMPARE(parseObject(body).value("error").toObject().value("code").toString(), e.code);
    }

    void corsOrigin_data()
    {
        QTest::addColumn<QStringList>("origins");
        QTest::addColumn<QByteArray>("origin");
        QTest::addColumn<QByteArray>("allowed");
        QTest::newRow("no config") << QStringList() << QByteArray("https://a.example") << QByteArray();
        QTest::newRow("no origin header") << QStringList{"https://a.example"} << QByteArray() << QByteArray();
        QTest::newRow("listed") << QStringList{"https://a.example"} << QByteArray("https://a.example")
                                << QByteArray("https://a.example");
        QTest::newRow("not listed") << QStringList{"https://a.example"} << QByteArray("https://b.example")
                                    << QByteArray();
        QTest::newRow("any") << QStringList{"*"} << QByteArray("https://b.example") << QByteArray("*");
    }
    void corsOrigin()
    {
        QFETCH(QStringList, origins);
        QFETCH(QByteArray, origin);
        QTEST(corsAllowOrigin(origins, origin), "allowed");
    }

    void quotedValues_data()
    {
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("quoted");
        QTest::newRow("short") << QString("abc") << QString("abc");
        QTest::newRow("exactly 64") << QString(64, 'x') << QString(64, 'x');
        QTest::newRow("long") << QString(900000, 'c') << QString(64, 'c') + QString::fromUtf8("… (900000 characters)");
    }
    void quotedValues()
    {
        QFETCH(QString, value);
        QTEST(forMessage(value), "quoted");
    }
};

QTEST_GUILESS_MAIN(TestHttpHelpers)
#include "test_http_helpers.moc"
