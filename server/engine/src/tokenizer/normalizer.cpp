#include "tokenizer/normalizer.h"

#include "tokenizer/unicode.h"
#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

Normalizer Normalizer::fromJson(const json &j)
{
    Normalizer n;
    if (!j.is_null())
        n.parse(j, "normalizer");
    return n;
}

void Normalizer::parse(const json &j, const std::string &where)
{
    const std::string type = typeOf(j, where);
    if (type == "Sequence") {
        const json &list = field(j, "normalizers", where);
        if (!list.is_array())
            fail(where + ": field 'normalizers' must be an array");
        for (std::size_t i = 0; i < list.size(); ++i)
            parse(list[i], where + ".normalizers[" + std::to_string(i) + "]");
    } else if (type == "Prepend") {
        steps_.push_back(Step{Kind::Prepend, stringField(j, "prepend", where), {}});
    } else if (type == "Replace") {
        const json &pattern = field(j, "pattern", where);
        if (!optField(pattern, "String"))
            fail(where + ": unsupported Replace pattern (only {\"String\": ...} is supported)");
        std::string from = stringField(pattern, "String", where + ".pattern");
        if (from.empty())
            fail(where + ": Replace pattern must not be empty");
        steps_.push_back(Step{Kind::Replace, std::move(from), stringField(j, "content", where)});
    } else if (type == "Strip") {
        Step s{Kind::Strip, {}, {}};
        s.left = boolField(j, "strip_left", where, false);
        s.right = boolField(j, "strip_right", where, false);
        steps_.push_back(std::move(s));
    } else if (type == "NFC") {
        steps_.push_back(Step{Kind::Nfc, {}, {}});
    } else if (type == "NFD") {
        steps_.push_back(Step{Kind::Nfd, {}, {}});
    } else {
        fail("unsupported normalizer type '" + type + "'");
    }
}

std::string Normalizer::apply(std::string_view text) const
{
    std::string s(text);
    for (const Step &step : steps_) {
        switch (step.kind) {
        case Kind::Prepend:
            if (!s.empty()) // HF: prepending to an empty string is a no-op
                s.insert(0, step.a);
            break;
        case Kind::Replace:
            if (s.find(step.a) != std::string::npos)
                s = replaceAll(s, step.a, step.b);
            break;
        case Kind::Strip:
            if (step.right)
                s.resize(trailingWhitespaceStart(s));
            if (step.left)
                s.erase(0, leadingWhitespaceLength(s));
            break;
        case Kind::Nfc:
            s = toNfc(s);
            break;
        case Kind::Nfd:
            s = toNfd(s);
            break;
        }
    }
    return s;
}

} // namespace smartbot::engine::tokenizer_detail
