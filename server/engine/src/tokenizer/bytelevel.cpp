#include "tokenizer/bytelevel.h"

#include <array>

#include "tokenizer/utf8.h"

namespace smartbot::engine::tokenizer_detail {

namespace {

struct Tables {
    std::array<char32_t, 256> byteToChar{};
    std::array<std::string, 256> byteToUtf8;
    std::array<int16_t, 324> charToByte{}; // every mapped character is below U+0144
};

// GPT-2 bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the others are numbered from U+0100.
Tables makeTables()
{
    Tables t;
    t.charToByte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        const char32_t c = printable ? static_cast<char32_t>(b) : next++;
        t.byteToChar[static_cast<std::size_t>(b)] = c;
        appendUtf8(t.byteToUtf8[static_cast<std::size_t>(b)], c);
        t.charToByte[c] = static_cast<int16_t>(b);
    }
    return t;
}

const Tables &tables()
{
    static const Tables t = makeTables();
    return t;
}

} // namespace

void appendByteLevel(std::string &out, std::string_view bytes)
{
    const Tables &t = tables();
    for (const char c : bytes)
        out += t.byteToUtf8[static_cast<unsigned char>(c)];
}

void appendByteLevelBytes(std::string &out, std::string_view token)
{
    const Tables &t = tables();
    const std::size_t mark = out.size();
    std::size_t pos = 0;
    while (pos < token.size()) {
        char32_t cp = 0;
        pos += decodeUtf8(token, pos, cp);
        if (cp >= t.charToByte.size() || t.charToByte[cp] < 0) {
            out.resize(mark);
            out.append(token);
            return;
        }
        out += static_cast<char>(t.charToByte[cp]);
    }
}

} // namespace smartbot::engine::tokenizer_detail
