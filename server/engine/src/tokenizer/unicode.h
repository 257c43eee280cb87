// Internal: Unicode canonical normalization (NFC, NFD) without ICU, from the generated tables in
// tokenizer_unicode_data.cpp (tools/gen_unicode_tables.py). Hangul syllables are handled algorithmically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smartbot::engine::tokenizer_detail {

// Bytes that are not valid UTF-8 are copied unchanged and block composition across them.
std::string toNfc(std::string_view text);
std::string toNfd(std::string_view text);

namespace unicode_data {
struct CombiningClassRange {
    char32_t first, last;
    uint8_t ccc;
};
struct Decomposition {
    char32_t cp, first, second; // second == 0: singleton
    uint8_t composes;           // the pair composes back to cp (primary composite)
};
struct CodePointRange {
    char32_t first, last;
};
extern const CodePointRange kNfcQuickCheckNoOrMaybe[];
extern const std::size_t kNfcQuickCheckCount;
extern const CombiningClassRange kCombiningClasses[];
extern const std::size_t kCombiningClassCount;
extern const Decomposition kDecompositions[];
extern const std::size_t kDecompositionCount;
} // namespace unicode_data

} // namespace smartbot::engine::tokenizer_detail
