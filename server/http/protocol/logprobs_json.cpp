#include "http/protocol/logprobs_json.h"

#include <cmath>

namespace smartbot::http {

namespace {

QJsonArray bytesJson(const std::string &bytes)
{
    QJsonArray out;
    for (unsigned char c : bytes)
        out.append(int(c));
    return out;
}

QJsonObject entry(const engine::TokenProbability &t)
{
    return {{QStringLiteral("token"), QString::fromUtf8(t.bytes)},
            {QStringLiteral("logprob"), double(t.logprob)},
            {QStringLiteral("bytes"), bytesJson(t.bytes)}};
}

} // namespace

QJsonArray chatLogprobs(const std::vector<engine::TokenLogprob> &tokens)
{
    QJsonArray out;
    for (const engine::TokenLogprob &t : tokens) {
        QJsonObject o = entry(t);
        QJsonArray top;
        for (const engine::TokenProbability &alt : t.top)
            top.append(entry(alt));
        o.insert(QStringLiteral("top_logprobs"), top);
        out.append(o);
    }
    return out;
}

void LegacyLogprobs::addToken(const std::string &bytes, const QJsonValue &logprob, const QJsonValue &top)
{
    const QString text = QString::fromUtf8(bytes);
    tokens_.append(text);
    logprobs_.append(logprob);
    top_.append(top);
    offsets_.append(qint64(offset_));
    offset_ += text.size();
}

void LegacyLogprobs::addPrompt(const std::vector<engine::TokenLogprob> &prompt)
{
    for (const engine::TokenLogprob &t : prompt) {
        if (t.special)
            continue;
        if (std::isnan(t.logprob))
            addToken(t.bytes, QJsonValue(), QJsonValue());
        else
            add({t});
    }
}

void LegacyLogprobs::add(const std::vector<engine::TokenLogprob> &tokens)
{
    for (const engine::TokenLogprob &t : tokens) {
        QJsonObject top;
        for (const engine::TokenProbability &alt : t.top)
            if (!top.contains(QString::fromUtf8(alt.bytes))) // two tokens may read the same: the likelier stays
                top.insert(QString::fromUtf8(alt.bytes), double(alt.logprob));
        addToken(t.bytes, double(t.logprob), top);
    }
}

QJsonObject LegacyLogprobs::json() const
{
    return {{QStringLiteral("tokens"), tokens_},
            {QStringLiteral("token_logprobs"), logprobs_},
            {QStringLiteral("top_logprobs"), top_},
            {QStringLiteral("text_offset"), offsets_}};
}

} // namespace smartbot::http
