// Shared by the fuzz targets: FUZZ_CHECK(cond, what) aborts with a message when an invariant does not hold, so
// libFuzzer records the input as a crash (a sanitizer report does the same on its own).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(cond, what)                                                                                         \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  %s\n", __FILE__, __LINE__, #cond,                  \
                         std::string(what).c_str());                                                                   \
            std::abort();                                                                                              \
        }                                                                                                              \
    } while (0)

namespace fuzz {

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool validUtf8(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        int n = 0;
        unsigned min = 0, cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + static_cast<size_t>(n) >= s.size())
            return false;
        for (int k = 1; k <= n; ++k) {
            const unsigned char d = static_cast<unsigned char>(s[i + k]);
            if ((d & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

// The directory of the repository's shared test data: $SMARTBOT_SHARED_DIR, else the one compiled in.
inline std::string sharedDir()
{
    if (const char *env = std::getenv("SMARTBOT_SHARED_DIR"); env && *env)
        return env;
#ifdef SMARTBOT_SHARED_DIR
    return SMARTBOT_SHARED_DIR;
#else
    return "../shared";
#endif
}

} // namespace fuzz
