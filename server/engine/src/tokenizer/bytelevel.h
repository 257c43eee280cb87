// Internal: GPT-2's byte-level alphabet (each byte 0..255 is written as one printable Unicode character).
#pragma once

#include <string>
#include <string_view>

namespace smartbot::engine::tokenizer_detail {

// The pattern GPT-2's ByteLevel pre-tokenizer splits with (use_regex=true).
inline constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// Appends the byte-level spelling of every byte of `bytes` (HF ByteLevel pre-tokenizer, after the split).
void appendByteLevel(std::string &out, std::string_view bytes);

// Appends the bytes a byte-level token stands for (HF ByteLevel decoder): every character mapped back to its
// byte, or, when some character is outside the alphabet (e.g. an added token), the token's own bytes.
void appendByteLevelBytes(std::string &out, std::string_view token);

} // namespace smartbot::engine::tokenizer_detail
