// ChatTemplate: turns a conversation into a model prompt with the model's Hugging Face chat template (the Jinja
// `chat_template` of tokenizer_config.json). Qt-free. Output is byte-identical to @huggingface/jinja 0.5.x (the
// renderer of transformers.js), including its JavaScript-flavoured details: booleans print as true/false, lists and
// dicts print as JSON, `tojson` writes ", " and ": " separators, string lengths count UTF-16 units.
//
// Tokenize the result with Tokenizer::encode(prompt, /*addSpecial=*/false): the template writes the special tokens
// itself (transformers' apply_chat_template does the same).
//
// Jinja supported: {{ }}, {% if/elif/else %}, {% for %} (with `if` filter, else block, loop.index/index0/revindex/
// revindex0/first/last/length/previtem/nextitem, break, continue), {% set %} (tuples, namespace() attributes,
// block set), {% macro %}, {% filter %}, comments, whitespace control ({%- -%} {{- -}} {#- -#}; lstrip_blocks and
// trim_blocks are on, as in transformers), literals (strings with escapes, numbers, lists, tuples, dicts), member
// and subscript access, slices x[a:b:c], calls with keyword and ** / * arguments, operators (+ - * / // % ** ~,
// comparisons, in / not in, and / or / not, `x if c else y`). Filters: tojson (indent, ensure_ascii, sort_keys,
// separators), trim, length, upper, lower, title, capitalize, default, first, last, join, string, int, float, abs,
// list, reverse, sort, unique, items, indent, replace, selectattr, rejectattr, map(attribute=), dictsort, safe.
// Tests: defined, undefined, none, string, number, integer, boolean, mapping, iterable, sequence, callable, odd,
// even, true, false, lower, upper, eq / equalto. String methods: strip, lstrip, rstrip, startswith, endswith,
// split, replace, upper, lower, title, capitalize. Dict methods: get, items, keys, values. Globals:
// raise_exception (becomes an Error), range, namespace, strftime_now, true/false/none (+ True/False/None).
// Not supported: {% call %}, {% include %} / {% extends %} / {% block %}, {% raw %}, the Python-only filters
// @huggingface/jinja lacks too (e.g. reject, batch, wordcount). Case mapping has no Final_Sigma rule and
// tojson(sort_keys=true) orders keys by an approximation of localeCompare (exact for ASCII letters and digits).
// Runaway templates are stopped with an Error: 1e6 loop iterations, 32 MiB of output, macro call depth 64, syntax
// nesting depth 128.
//
// Plain fallback, for models without a chat template (base models such as stories260K): the prompt is the
// bos token followed by the message contents, separated by blank lines ("\n\n"); roles are not written and
// add_generation_prompt adds nothing. A base model simply continues that text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "smartbot/engine/result.h"

namespace smartbot::engine {

struct ChatMessage {
    std::string role; // "system", "user", "assistant", "tool" ...
    std::string content;
    // Optional JSON object text with further fields of the message (e.g. {"tool_calls": [...]} or
    // {"tool_call_id": "..."}); its keys are added after role and content and override them. Empty: none.
    std::string extraJson;
};

class ChatTemplate {
public:
    // Compiles a template; syntax errors come back as "chat template syntax error at line L, column C: ...".
    static Result<ChatTemplate> parse(const std::string &jinjaSource);
    // The same with the bos/eos token texts that render() without them uses (a GGUF file's template and tokens).
    static Result<ChatTemplate> parse(const std::string &jinjaSource, const std::string &bosToken,
                                      const std::string &eosToken);
    // Reads tokenizer_config.json: `chat_template` as a string, or the list-of-{name, template} form (the entry named
    // "default"); without one, chat_template.jinja or chat_template.json next to it; otherwise the plain fallback.
    // bos_token / eos_token (string or {"content": ...}; null -> "") are kept for render().
    static Result<ChatTemplate> load(const std::string &tokenizerConfigPath);
    static ChatTemplate plain();

    // Renders with the variables messages, add_generation_prompt, bos_token, eos_token and, when toolsJson (a JSON
    // array text) is not empty, tools. Template errors, raise_exception() and invalid JSON come back as Error.
    Result<std::string> render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt,
                               const std::string &bosToken, const std::string &eosToken,
                               const std::string &toolsJson = {}) const;
    // Same with bos/eos from tokenizer_config.json (empty when the template was not loaded from one).
    Result<std::string> render(const std::vector<ChatMessage> &messages, bool addGenerationPrompt) const;
    // Renders with every key of a JSON object as a template variable (full control: messages as JSON, extra
    // variables such as date_string or documents).
    Result<std::string> renderContext(const std::string &contextJson) const;

    const std::string &source() const;
    const std::string &bosToken() const;
    const std::string &eosToken() const;
    bool isPlainFallback() const;

private:
    struct Impl;
    explicit ChatTemplate(std::shared_ptr<const Impl> impl);
    std::shared_ptr<const Impl> d_;
};

} // namespace smartbot::engine
