#include "tokenizer/decoder.h"

#include "tokenizer/bytelevel.h"
#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

namespace {

std::size_t sizeField(const json &j, const char *key, const std::string &where)
{
    const json *v = optField(j, key);
    if (!v)
        return 0;
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0))
        fail(where + ": field '" + key + "' must be a non-negative integer");
    return static_cast<std::size_t>(v->get<uint64_t>());
}

// HF ByteFallback: a token spelled exactly "<0xHH>" (u8::from_str_radix also takes a leading '+').
int byteTokenValue(std::string_view t)
{
    if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>')
        return -1;
    auto hexDigit = [](char c) {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    if (t[3] == '+') {
        const int lo = hexDigit(t[4]);
        return lo;
    }
    const int hi = hexDigit(t[3]);
    const int lo = hexDigit(t[4]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// Per-token HF Strip: up to `start` leading and `stop` trailing `content` characters.
std::string stripToken(std::string_view token, std::string_view content, std::size_t start, std::size_t stop)
{
    std::size_t begin = 0;
    for (std::size_t i = 0; i < start && token.substr(begin, content.size()) == content; ++i)
        begin += content.size();
    std::size_t end = token.size();
    for (std::size_t i = 0;
         i < stop && end >= begin + content.size() && token.substr(end - content.size(), content.size()) == content;
         ++i)
        end -= content.size();
    return std::string(token.substr(begin, end - begin));
}

std::string metaspaceToken(std::string_view token, std::string_view replacement, bool drop)
{
    return replaceAll(token, replacement, drop ? std::string_view{} : std::string_view{" "});
}

} // namespace

DecoderPipeline DecoderPipeline::fromJson(const json &j)
{
    DecoderPipeline d;
    if (j.is_null()) {
        d.joinWithSpace_ = true;
        return d;
    }
    bool fused = false;
    d.parse(j, "decoder", fused);
    return d;
}

void DecoderPipeline::parse(const json &j, const std::string &where, bool &fused)
{
    const std::string type = typeOf(j, where);
    Step step;
    step.fused = fused;
    if (type == "Sequence") {
        const json &list = field(j, "decoders", where);
        if (!list.is_array())
            fail(where + ": field 'decoders' must be an array");
        for (std::size_t i = 0; i < list.size(); ++i)
            parse(list[i], where + ".decoders[" + std::to_string(i) + "]", fused);
        return;
    } else if (type == "Replace") {
        const json &pattern = field(j, "pattern", where);
        if (!optField(pattern, "String"))
            fail(where + ": unsupported Replace pattern (only {\"String\": ...} is supported)");
        step.kind = Kind::Replace;
        step.pattern = stringField(pattern, "String", where + ".pattern");
        step.content = stringField(j, "content", where);
        if (step.pattern.empty())
            fail(where + ": Replace pattern must not be empty");
    } else if (type == "ByteFallback") {
        step.kind = Kind::ByteFallback;
    } else if (type == "Fuse") {
        step.kind = Kind::Fuse;
        fused = true;
    } else if (type == "Strip") {
        step.kind = Kind::Strip;
        step.pattern = stringField(j, "content", where);
        char32_t cp = 0;
        if (!singleCodePoint(step.pattern, cp))
            fail(where + ": Strip content must be a single character");
        step.start = sizeField(j, "start", where);
        step.stop = sizeField(j, "stop", where);
    } else if (type == "Metaspace") {
        step.kind = Kind::Metaspace;
        step.pattern = stringField(j, "replacement", where);
        char32_t cp = 0;
        if (!singleCodePoint(step.pattern, cp))
            fail(where + ": Metaspace replacement must be a single character");
        if (const json *scheme = optField(j, "prepend_scheme")) {
            if (!scheme->is_string())
                fail(where + ": field 'prepend_scheme' must be a string");
            step.prependNever = scheme->get<std::string>() == "never";
        } else {
            step.prependNever = !boolField(j, "add_prefix_space", where, true);
        }
    } else if (type == "ByteLevel") {
        // Joins all tokens into one byte string (what follows sees a single growing token).
        step.kind = Kind::ByteLevel;
        fused = true;
    } else {
        fail("unsupported decoder type '" + type + "'");
    }
    steps_.push_back(std::move(step));
}

DecoderPipeline::State DecoderPipeline::initialState(bool midStream) const
{
    State st;
    st.steps.resize(steps_.size());
    for (std::size_t i = 0; i < steps_.size(); ++i)
        st.steps[i].started = midStream || (steps_[i].kind == Kind::Strip && steps_[i].start == 0);
    st.joinStarted = midStream;
    return st;
}

bool DecoderPipeline::isClean(const State &state) const
{
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const Step &s = steps_[i];
        const StepState &ss = state.steps[i];
        if (!ss.buf.empty())
            return false;
        const bool firstMatters =
            (s.kind == Kind::Strip && s.fused) || (s.kind == Kind::Metaspace && !s.fused && !s.prependNever);
        if (firstMatters && !ss.started)
            return false;
    }
    return !joinWithSpace_ || state.joinStarted;
}

bool DecoderPipeline::onlyBuffersBytes(std::string_view token) const
{
    std::string t(token);
    for (const Step &s : steps_) {
        if (s.fused)
            return false;
        switch (s.kind) {
        case Kind::Replace:
            t = replaceAll(t, s.pattern, s.content);
            break;
        case Kind::Strip:
            t = stripToken(t, s.pattern, s.start, s.stop);
            break;
        case Kind::ByteFallback:
            return byteTokenValue(t) >= 0;
        case Kind::Fuse:
        case Kind::Metaspace: // stateful: its first-token flag may change
        case Kind::ByteLevel:
            return false;
        }
    }
    return false;
}

void DecoderPipeline::flushBytes(State &state, std::size_t step, std::string &out) const
{
    std::string bytes = std::move(state.steps[step].buf);
    state.steps[step].buf.clear();
    if (bytes.empty())
        return;
    if (state.raw || isValidUtf8(bytes)) {
        feedFrom(state, step + 1, std::move(bytes), out);
    } else {
        for (std::size_t i = 0; i < bytes.size(); ++i) // HF: one U+FFFD per byte token of an invalid run
            feedFrom(state, step + 1, std::string(kReplacementChar), out);
    }
}

void DecoderPipeline::feedFrom(State &state, std::size_t i, std::string token, std::string &out) const
{
    for (; i < steps_.size(); ++i) {
        const Step &s = steps_[i];
        StepState &ss = state.steps[i];
        switch (s.kind) {
        case Kind::Fuse:
            break;
        case Kind::Replace:
            if (!s.fused) {
                token = replaceAll(token, s.pattern, s.content);
            } else {
                // One growing token: hold back a tail that may be the start of a pattern occurrence.
                ss.buf += token;
                std::string ready;
                std::size_t p = 0;
                const std::string &b = ss.buf;
                while (p < b.size()) {
                    if (b.compare(p, s.pattern.size(), s.pattern) == 0) {
                        ready += s.content;
                        p += s.pattern.size();
                    } else if (b.size() - p < s.pattern.size() &&
                               s.pattern.compare(0, b.size() - p, b, p, b.size() - p) == 0) {
                        break;
                    } else {
                        ready += b[p++];
                    }
                }
                ss.buf.erase(0, p);
                if (ready.empty())
                    return;
                token = std::move(ready);
            }
            break;
        case Kind::ByteFallback:
            if (s.fused) {
                ss.buf += token; // the whole text is one token: decided at finish()
                return;
            }
            if (const int byte = byteTokenValue(token); byte >= 0) {
                ss.buf += static_cast<char>(byte);
                return;
            }
            flushBytes(state, i, out);
            break;
        case Kind::Strip:
            if (!s.fused) {
                token = stripToken(token, s.pattern, s.start, s.stop);
                break;
            }
            {
                std::size_t p = 0;
                while (!ss.started && p < token.size()) {
                    if (token.compare(p, s.pattern.size(), s.pattern) == 0) {
                        p += s.pattern.size();
                        ss.started = ++ss.count >= s.start;
                    } else {
                        ss.started = true;
                    }
                }
                token.erase(0, p);
                if (s.stop > 0) {
                    // Hold back up to `stop` trailing content characters until the end is known.
                    std::string text = ss.buf + token;
                    std::size_t cut = text.size();
                    for (std::size_t k = 0; k < s.stop && cut >= s.pattern.size() &&
                                            text.compare(cut - s.pattern.size(), s.pattern.size(), s.pattern) == 0;
                         ++k)
                        cut -= s.pattern.size();
                    ss.buf = text.substr(cut);
                    text.resize(cut);
                    token = std::move(text);
                }
                if (token.empty())
                    return;
            }
            break;
        case Kind::ByteLevel: {
            // Bytes accumulate; complete characters (and ill-formed parts, as U+FFFD) go on, an unfinished
            // character waits for the next token. Identical to from_utf8_lossy over the whole sequence.
            appendByteLevelBytes(ss.buf, token);
            if (state.raw) {
                token = std::move(ss.buf);
                ss.buf.clear();
                break;
            }
            const std::size_t ready = ss.buf.size() - incompleteUtf8Tail(ss.buf);
            if (ready == 0)
                return;
            token.clear();
            appendUtf8Lossy(token, std::string_view(ss.buf).substr(0, ready));
            ss.buf.erase(0, ready);
            break;
        }
        case Kind::Metaspace: {
            // After Fuse everything is token 0.
            const bool first = s.fused || !ss.started;
            ss.started = true;
            token = metaspaceToken(token, s.pattern, first && !s.prependNever);
            break;
        }
        }
    }
    if (joinWithSpace_) {
        if (state.joinStarted)
            out += ' ';
        state.joinStarted = true;
    }
    out += token;
}

void DecoderPipeline::finish(State &state, std::string &out) const
{
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        const Step &s = steps_[i];
        StepState &ss = state.steps[i];
        if (s.kind == Kind::ByteFallback && !s.fused) {
            flushBytes(state, i, out);
        } else if (s.kind == Kind::ByteFallback) {
            std::string text = std::move(ss.buf);
            ss.buf.clear();
            if (const int byte = byteTokenValue(text); byte >= 0)
                text =
                    byte < 0x80 || state.raw ? std::string(1, static_cast<char>(byte)) : std::string(kReplacementChar);
            if (!text.empty())
                feedFrom(state, i + 1, std::move(text), out);
        } else if (s.kind == Kind::Replace && s.fused && !ss.buf.empty()) {
            std::string rest = std::move(ss.buf);
            ss.buf.clear();
            feedFrom(state, i + 1, std::move(rest), out);
        } else if (s.kind == Kind::ByteLevel && !ss.buf.empty()) {
            std::string rest;
            appendUtf8Lossy(rest, ss.buf);
            ss.buf.clear();
            feedFrom(state, i + 1, std::move(rest), out);
        } else if (s.kind == Kind::Strip && s.fused) {
            ss.buf.clear(); // the held trailing characters are the ones Strip removes
        }
    }
}

} // namespace smartbot::engine::tokenizer_detail
