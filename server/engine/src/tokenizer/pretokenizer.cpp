#include "tokenizer/pretokenizer.h"

#include <algorithm>

#include "tokenizer/bytelevel.h"
#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

namespace {

using Matches = std::vector<std::pair<std::size_t, std::size_t>>;

void findLiteral(std::string_view text, std::string_view literal, Matches &out)
{
    out.clear();
    for (std::size_t p = text.find(literal); p != std::string_view::npos; p = text.find(literal, p + literal.size()))
        out.emplace_back(p, p + literal.size());
}

} // namespace

PreTokenizer PreTokenizer::fromJson(const json &j)
{
    PreTokenizer p;
    if (!j.is_null())
        p.parse(j, "pre_tokenizer");
    return p;
}

void PreTokenizer::parse(const json &j, const std::string &where)
{
    const std::string type = typeOf(j, where);
    Step s;
    if (type == "Sequence") {
        const json &list = field(j, "pretokenizers", where);
        if (!list.is_array())
            fail(where + ": field 'pretokenizers' must be an array");
        for (std::size_t i = 0; i < list.size(); ++i)
            parse(list[i], where + ".pretokenizers[" + std::to_string(i) + "]");
        return;
    } else if (type == "Metaspace") {
        parseMetaspace(j, where, s);
    } else if (type == "ByteLevel") {
        s.kind = Kind::ByteLevel;
        s.addPrefixSpace = boolField(j, "add_prefix_space", where, true);
        s.useRegex = boolField(j, "use_regex", where, true);
        if (s.useRegex)
            s.regex = Regex::compile(std::string(kGpt2SplitPattern));
    } else if (type == "Split") {
        s.kind = Kind::Split;
        const json &pattern = field(j, "pattern", where);
        if (const json *re = optField(pattern, "Regex")) {
            if (!re->is_string())
                fail(where + ": Split pattern Regex must be a string");
            try {
                s.regex = Regex::compile(re->get<std::string>());
            } catch (const LoadError &e) {
                fail(where + ": " + e.what());
            }
        } else if (optField(pattern, "String")) {
            s.literal = stringField(pattern, "String", where + ".pattern");
            if (s.literal.empty())
                fail(where + ": Split String pattern must not be empty");
        } else {
            fail(where + ": Split pattern must be {\"Regex\": ...} or {\"String\": ...}");
        }
        const std::string behavior = stringField(j, "behavior", where);
        if (behavior == "Removed")
            s.behavior = Behavior::Removed;
        else if (behavior == "Isolated")
            s.behavior = Behavior::Isolated;
        else if (behavior == "MergedWithPrevious")
            s.behavior = Behavior::MergedWithPrevious;
        else if (behavior == "MergedWithNext")
            s.behavior = Behavior::MergedWithNext;
        else if (behavior == "Contiguous")
            s.behavior = Behavior::Contiguous;
        else
            fail(where + ": unsupported Split behavior '" + behavior + "'");
        s.invert = boolField(j, "invert", where, false);
    } else if (type == "Digits") {
        s.kind = Kind::Digits;
        // char::is_numeric is \p{N}; individual digits are Isolated, runs of them Contiguous (same as \p{N}+).
        s.regex = Regex::compile(boolField(j, "individual_digits", where, false) ? "\\p{N}" : "\\p{N}+");
        s.behavior = Behavior::Isolated;
    } else {
        fail("unsupported pre_tokenizer type '" + type + "'");
    }
    steps_.push_back(std::move(s));
}

void PreTokenizer::parseMetaspace(const json &j, const std::string &where, Step &m)
{
    m.kind = Kind::Metaspace;
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
}

// HF NormalizedString::split(pattern, behavior): the matches and the gaps between them cover the piece; the
// behavior decides which parts become pieces of their own and which are merged or removed.
void PreTokenizer::splitByMatches(const Step &step, Piece &piece, std::vector<Piece> &out)
{
    const std::string &text = piece.text;
    Matches matches;
    if (step.literal.empty())
        step.regex.findAll(text, matches);
    else
        findLiteral(text, step.literal, matches);
    struct Part {
        std::size_t begin, end;
        bool isMatch;
    };
    std::vector<Part> parts;
    std::size_t prev = 0;
    for (const auto &[b, e] : matches) {
        if (b != prev)
            parts.push_back(Part{prev, b, false});
        parts.push_back(Part{b, e, true});
        prev = e;
    }
    if (prev != text.size())
        parts.push_back(Part{prev, text.size(), false});
    if (step.invert)
        for (Part &p : parts)
            p.isMatch = !p.isMatch;

    std::vector<Part> kept; // isMatch now means "remove"
    bool previousMatch = false;
    switch (step.behavior) {
    case Behavior::Removed:
        kept = parts;
        break;
    case Behavior::Isolated:
        for (const Part &p : parts)
            kept.push_back(Part{p.begin, p.end, false});
        break;
    case Behavior::MergedWithPrevious:
        for (const Part &p : parts) {
            if (p.isMatch && !previousMatch && !kept.empty())
                kept.back().end = p.end;
            else
                kept.push_back(Part{p.begin, p.end, false});
            previousMatch = p.isMatch;
        }
        break;
    case Behavior::MergedWithNext:
        for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
            if (it->isMatch && !previousMatch && !kept.empty())
                kept.back().begin = it->begin;
            else
                kept.push_back(Part{it->begin, it->end, false});
            previousMatch = it->isMatch;
        }
        std::reverse(kept.begin(), kept.end());
        break;
    case Behavior::Contiguous:
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i > 0 && parts[i].isMatch == parts[i - 1].isMatch)
                kept.back().end = parts[i].end;
            else
                kept.push_back(Part{parts[i].begin, parts[i].end, false});
        }
        break;
    }
    for (const Part &p : kept)
        if (!p.isMatch && p.end > p.begin)
            out.push_back(Piece{text.substr(p.begin, p.end - p.begin), piece.atTextStart && p.begin == 0});
}

void PreTokenizer::applyStep(const Step &step, Piece &piece, std::vector<Piece> &out) const
{
    switch (step.kind) {
    case Kind::Metaspace: {
        std::string s = replaceAll(piece.text, " ", step.replacement);
        const bool startsWithRep = s.compare(0, step.replacement.size(), step.replacement) == 0;
        if (!s.empty() && !startsWithRep &&
            (step.prepend == Prepend::Always || (step.prepend == Prepend::First && piece.atTextStart)))
            s.insert(0, step.replacement);
        if (!step.split) {
            if (!s.empty())
                out.push_back(Piece{std::move(s), piece.atTextStart});
            return;
        }
        // SplitDelimiterBehavior::MergedWithNext: each replacement starts a new word.
        std::size_t begin = 0;
        while (begin < s.size()) {
            const std::size_t cut = s.find(step.replacement, begin + 1);
            const std::size_t end = cut == std::string::npos ? s.size() : cut;
            out.push_back(Piece{s.substr(begin, end - begin), piece.atTextStart && begin == 0});
            begin = end;
        }
        return;
    }
    case Kind::ByteLevel: {
        if (step.addPrefixSpace && !piece.text.empty() && piece.text[0] != ' ')
            piece.text.insert(0, 1, ' ');
        const std::size_t first = out.size();
        if (step.useRegex) {
            Step isolated;
            isolated.regex = step.regex;
            splitByMatches(isolated, piece, out);
        } else if (!piece.text.empty()) {
            out.push_back(std::move(piece));
        }
        for (std::size_t i = first; i < out.size(); ++i) {
            std::string mapped;
            mapped.reserve(out[i].text.size() * 2);
            appendByteLevel(mapped, out[i].text);
            out[i].text = std::move(mapped);
        }
        return;
    }
    case Kind::Split:
    case Kind::Digits:
        splitByMatches(step, piece, out);
        return;
    }
}

void PreTokenizer::split(std::string_view segment, bool atTextStart, std::vector<std::string> &words) const
{
    std::vector<Piece> pieces{Piece{std::string(segment), atTextStart}};
    std::vector<Piece> next;
    for (const Step &step : steps_) {
        next.clear();
        for (Piece &p : pieces)
            applyStep(step, p, next);
        pieces.swap(next);
    }
    words.clear();
    for (Piece &p : pieces)
        words.push_back(std::move(p.text));
}

} // namespace smartbot::engine::tokenizer_detail
