// Fuzzes the Jinja chat-template engine (chat_template.h: lexer, parser, interpreter) with the input as the template.
// A template parse() accepts is rendered with a fixed conversation, with and without tools. Invariants: errors come
// back as Result errors (never an exception, never a crash), and output stays within the documented 32 MiB cap.
#include "fuzz_check.h"
#include "smartbot/engine/chat_template.h"

using smartbot::engine::ChatMessage;
using smartbot::engine::ChatTemplate;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string source(reinterpret_cast<const char *>(data), size);
    auto parsed = ChatTemplate::parse(source);
    if (!parsed.ok()) {
        FUZZ_CHECK(!parsed.error().empty(), "refused without a message");
        return 0;
    }
    static const std::vector<ChatMessage> kMessages = {
        {"system", "You are a helpful assistant.", ""},
        {"user", "Hello \xE4\xBD\xA0\xE5\xA5\xBD {{ not a tag }} <|im_end|>", ""},
        {"assistant", "Hi! How can I help?", R"({"tool_calls": [{"type": "function", "function": {"name": "f",
            "arguments": {"x": 1}}}]})"},
        {"tool", "42", R"({"tool_call_id": "call_1"})"},
        {"user", "", ""},
    };
    static const std::string kTools =
        R"([{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object",
            "properties": {"x": {"type": "integer"}}, "required": ["x"]}}}])";
    constexpr size_t kOutputCap = 32u << 20;
    for (const bool generation : {true, false}) {
        auto out = parsed->render(kMessages, generation, "<s>", "</s>", generation ? kTools : std::string());
        if (out.ok())
            FUZZ_CHECK(out->size() <= kOutputCap, "output of " + std::to_string(out->size()) + " bytes");
        else
            FUZZ_CHECK(!out.error().empty(), "render failed without a message");
    }
    return 0;
}
