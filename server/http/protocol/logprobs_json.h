// Logprobs as OpenAI writes them: chat's choice.logprobs.content entries ({token, logprob, bytes, top_logprobs}) and
// the legacy completions object ({tokens, token_logprobs, top_logprobs, text_offset}). Pure functions; any thread.
#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <vector>

#include "smartbot/engine/engine.h"

namespace smartbot::http {

// Chat: one entry per token. A token's text is its bytes read as UTF-8 (a token ending inside a character shows
// U+FFFD there, as OpenAI's do); "bytes" holds them exactly.
QJsonArray chatLogprobs(const std::vector<engine::TokenLogprob> &tokens);

// Legacy /v1/completions logprobs, built up piece by piece: text_offset counts characters (UTF-16 units, as the
// text's JavaScript string length) from the start of the choice's text.
class LegacyLogprobs {
public:
    explicit LegacyLogprobs(qsizetype startOffset = 0) : offset_(startOffset) {}
    // Echoed prompt tokens (GenerationResult::promptLogprobs): control tokens (BOS) are not text and are left out;
    // a token with nothing before it has neither logprob nor alternatives (null), as OpenAI writes it.
    void addPrompt(const std::vector<engine::TokenLogprob> &prompt);
    void add(const std::vector<engine::TokenLogprob> &tokens);
    QJsonObject json() const;
    bool empty() const { return tokens_.isEmpty(); }

private:
    void addToken(const std::string &bytes, const QJsonValue &logprob, const QJsonValue &top);
    QJsonArray tokens_, logprobs_, top_, offsets_;
    qsizetype offset_;
};

} // namespace smartbot::http
