// Checks shared by fuzz_tokenizer and fuzz_tokenizer_json: what any loaded tokenizer must do with any text or ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "smartbot/engine/tokenizer.h"

namespace fuzz {

// Encodes text, then decodes the ids at once and streamed; also streams `extraIds` (arbitrary, even out of range).
// - every id from encode() is inside the vocabulary;
// - decode() never throws or crashes on any id, in range or not;
// - StreamDecoder: every chunk is valid UTF-8 and the chunks add up to decode() (the contract test_tokenizer checks).
inline void checkTokenizer(const smartbot::engine::Tokenizer &tok, std::string_view text, bool addSpecial,
                           bool skipSpecial, const std::vector<int32_t> &extraIds)
{
    const std::vector<int32_t> ids = tok.encode(text, addSpecial);
    for (int32_t id : ids)
        FUZZ_CHECK(id >= 0 && id < tok.vocabSize(), "encode gave id " + std::to_string(id) + " outside the vocabulary");
    for (const std::vector<int32_t> *list : {&ids, &extraIds}) {
        const std::string whole = tok.decode(*list, skipSpecial);
        smartbot::engine::Tokenizer::StreamDecoder stream(tok, skipSpecial);
        std::string streamed;
        for (size_t i = 0; i < list->size(); ++i) {
            const std::string chunk = stream.push((*list)[i]);
            FUZZ_CHECK(validUtf8(chunk), "a streamed chunk is not valid UTF-8 (after id #" + std::to_string(i) + ")");
            streamed += chunk;
        }
        const std::string rest = stream.flush();
        FUZZ_CHECK(validUtf8(rest), "StreamDecoder::flush() is not valid UTF-8");
        streamed += rest;
        FUZZ_CHECK(streamed == whole, "streamed decode '" + streamed + "' != decode '" + whole + "'");
    }
    for (int32_t id : extraIds)
        (void)tok.tokenString(id), (void)tok.isSpecial(id);
}

// Ids from raw bytes, two per id, spread over the vocabulary and a little beyond it on both sides.
inline std::vector<int32_t> idsFromBytes(std::string_view bytes, int32_t vocabSize)
{
    std::vector<int32_t> ids;
    for (size_t i = 0; i + 1 < bytes.size() && ids.size() < 64; i += 2) {
        const uint32_t v = uint32_t(uint8_t(bytes[i])) << 8 | uint8_t(bytes[i + 1]);
        ids.push_back(int32_t(uint64_t(v) * uint64_t(vocabSize + 8) / 65536) - 4);
    }
    return ids;
}

} // namespace fuzz
