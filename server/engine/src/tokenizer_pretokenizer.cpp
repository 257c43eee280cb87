#include "tokenizer_pretokenizer.h"

#include "tokenizer_utf8.h"

namespace smartbot::engine::tokenizer_detail {

PreTokenizer PreTokenizer::fromJson(const json &j) {
    PreTokenizer p;
    if (!j.is_null())
        p.parse(j, "pre_tokenizer");
    return p;
}

void PreTokenizer::parse(const json &j, const std::string &where) {
    const std::string type = typeOf(j, where);
    if (type == "Sequence") {
        const json &list = field(j, "pretokenizers", where);
        if (!list.is_array())
            fail(where + ": field 'pretokenizers' must be an array");
        for (std::size_t i = 0; i < list.size(); ++i)
            parse(list[i], where + ".pretokenizers[" + std::to_string(i) + "]");
        return;
    }
    if (type != "Metaspace")
        fail("unsupported pre_tokenizer type '" + type + "'");
    Metaspace m;
    m.replacement = stringField(j, "replacement", where);
    char32_t cp = 0;
    if (!singleCodePoint(m.replacement, cp))
        fail(where + ": Metaspace replacement must be a single character");
    if (const json *scheme = optField(j, "prepend_scheme")) {
        const std::string s = scheme->is_string() ? scheme->get<std::string>() : std::string();
        if (s == "always")
            m.prepend = Prepend::Always;
        else if (s == "first")
            m.prepend = Prepend::First;
        else if (s == "never")
            m.prepend = Prepend::Never;
        else
            fail(where + ": unsupported Metaspace prepend_scheme '" + scheme->dump() + "'");
    } else {
        m.prepend = boolField(j, "add_prefix_space", where, true) ? Prepend::Always : Prepend::Never;
    }
    m.split = boolField(j, "split", where, true);
    steps_.push_back(std::move(m));
}

void PreTokenizer::split(std::string_view segment, bool atTextStart, std::vector<std::string> &words) const {
    words.assign(1, std::string(segment));
    std::vector<bool> starts{atTextStart};
    for (const Metaspace &m : steps_) {
        std::vector<std::string> next;
        std::vector<bool> nextStarts;
        for (std::size_t w = 0; w < words.size(); ++w) {
            std::string s = replaceAll(words[w], " ", m.replacement);
            const bool startsWithRep = s.compare(0, m.replacement.size(), m.replacement) == 0;
            if (!s.empty() && !startsWithRep &&
                (m.prepend == Prepend::Always || (m.prepend == Prepend::First && starts[w])))
                s.insert(0, m.replacement);
            if (!m.split) {
                if (!s.empty()) {
                    next.push_back(std::move(s));
                    nextStarts.push_back(starts[w]);
                }
                continue;
            }
            // SplitDelimiterBehavior::MergedWithNext: each replacement starts a new word.
            std::size_t begin = 0;
            bool first = true;
            while (begin < s.size()) {
                const std::size_t cut = s.find(m.replacement, begin + 1);
                const std::size_t end = cut == std::string::npos ? s.size() : cut;
                next.push_back(s.substr(begin, end - begin));
                nextStarts.push_back(first && starts[w]);
                first = false;
                begin = end;
            }
        }
        words = std::move(next);
        starts = std::move(nextStarts);
    }
}

} // namespace smartbot::engine::tokenizer_detail
