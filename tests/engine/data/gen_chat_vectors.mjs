// Generates the chat-template test vectors with the reference renderer, @huggingface/jinja (transformers.js).
//
//   mkdir -p /tmp/jinja && (cd /tmp/jinja && npm install @huggingface/jinja@0.5.11)
//   JINJA_DIR=/tmp/jinja node tests/engine/data/gen_chat_vectors.mjs
//
// Writes, next to this script (the outputs are committed; the C++ tests never need npm):
//   chat_template_vectors.jsonl  chat_templates/*.jinja rendered with conversations below:
//                                {template, name, messages, [tools], add_generation_prompt, bos_token, eos_token,
//                                 prompt | error}
//   jinja_vectors.jsonl          small templates exercising the language: {name, template, context (JSON text),
//                                output | error}
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const jinjaDir = process.env.JINJA_DIR ?? "/tmp/jinja";
const require = createRequire(join(jinjaDir, "package.json"));
const { Template } = require("@huggingface/jinja");
const version = JSON.parse(readFileSync(join(jinjaDir, "node_modules/@huggingface/jinja/package.json"), "utf8")).version;

function render(source, context) {
  try {
    return { output: new Template(source).render(context) };
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
}

// ------------------------------------------------------------------------------------------ chat templates
const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string", description: "City name, e.g. \"Zürich\"" }, days: { type: "integer" } },
      required: ["city"],
    },
  },
};
const timeTool = {
  type: "function",
  function: { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } },
};

const conversations = [
  { name: "user-only", messages: [{ role: "user", content: "Hello!" }] },
  {
    name: "system-user",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "What is the capital of France?" },
    ],
  },
  {
    name: "multi-turn",
    messages: [
      { role: "system", content: "  Be brief.  " },
      { role: "user", content: "What is 2 + 2?" },
      { role: "assistant", content: " 2 + 2 = 4. " },
      { role: "user", content: "And 3 * 7?\n" },
    ],
  },
  {
    name: "no-system-multi-turn",
    messages: [
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello! How can I help?" },
      { role: "user", content: "Tell me a joke." },
    ],
  },
  {
    name: "unicode-whitespace",
    messages: [
      { role: "user", content: "\u00a0 Café e\u0301 日本語 😀\r\n\ttab \u2028line" },
      { role: "assistant", content: "Ünïcödé ✓\n\n" },
      { role: "user", content: "" },
    ],
  },
  {
    name: "template-like-content",
    messages: [{ role: "user", content: "{{ not a tag }} {% if %} <|eot_id|> [INST] </s>" }],
  },
  { name: "roles-not-alternating", messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }] },
  { name: "assistant-first", messages: [{ role: "assistant", content: "I start." }, { role: "user", content: "ok" }] },
  {
    name: "tools",
    tools: [weatherTool, timeTool],
    messages: [
      { role: "system", content: "You can call tools." },
      { role: "user", content: "Weather in Zürich for 3 days?" },
    ],
  },
  {
    name: "tool-call-round-trip",
    tools: [weatherTool],
    messages: [
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: "",
        tool_calls: [{ id: "call12345", type: "function", function: { name: "get_weather", arguments: { city: "Paris", days: 1 } } }],
      },
      { role: "tool", content: "{\"temp\": 21, \"sky\": \"clear\"}", tool_call_id: "call12345", name: "get_weather" },
      { role: "tool", content: "second result", tool_call_id: "call12345" },
      { role: "assistant", content: "It is 21 °C and clear." },
      { role: "user", content: "Thanks" },
    ],
  },
];

const chatTemplates = {
  "llama-3-instruct.jinja": { bos: "<|begin_of_text|>", eos: "<|eot_id|>" },
  "llama-3.1-instruct.jinja": { bos: "<|begin_of_text|>", eos: "<|eot_id|>" },
  "llama-2-chat.jinja": { bos: "<s>", eos: "</s>" },
  "mistral-7b-instruct-v0.2.jinja": { bos: "<s>", eos: "</s>" },
  "mistral-7b-instruct-v0.3.jinja": { bos: "<s>", eos: "</s>" },
  "qwen2.5-instruct.jinja": { bos: "", eos: "<|im_end|>" },
  "phi-3-mini-instruct.jinja": { bos: "<s>", eos: "<|endoftext|>" },
};

const chatLines = [];
for (const [file, tokens] of Object.entries(chatTemplates)) {
  const source = readFileSync(join(here, "chat_templates", file), "utf8");
  for (const conv of conversations) {
    for (const addGenerationPrompt of [true, false]) {
      if (!addGenerationPrompt && conv.name !== "multi-turn" && conv.name !== "no-system-multi-turn") continue;
      const context = {
        messages: conv.messages,
        add_generation_prompt: addGenerationPrompt,
        bos_token: tokens.bos,
        eos_token: tokens.eos,
      };
      if (conv.tools) context.tools = conv.tools;
      const r = render(source, context);
      const line = { template: file, name: conv.name, messages: conv.messages };
      if (conv.tools) line.tools = conv.tools;
      Object.assign(line, { add_generation_prompt: addGenerationPrompt, bos_token: tokens.bos, eos_token: tokens.eos });
      if ("output" in r) line.prompt = r.output;
      else line.error = r.error;
      line.renderer = `@huggingface/jinja ${version}`;
      chatLines.push(JSON.stringify(line));
    }
  }
}
writeFileSync(join(here, "chat_template_vectors.jsonl"), chatLines.join("\n") + "\n");

// ------------------------------------------------------------------------------------- language features
// [name, template, context as JSON text]. Errors are expected where the reference renderer throws.
const features = [
  ["text", "Hello world", "{}"],
  ["trailing-newline-dropped", "a\n", "{}"],
  ["two-trailing-newlines", "a\n\n", "{}"],
  ["crlf-text", "a\r\n{% if true %}\r\nb{% endif %}\r\n", "{}"],
  ["variable", "{{ x }}", '{"x": "v"}'],
  ["undefined-prints-nothing", "[{{ y }}][{{ none }}][{{ y.z }}]", "{}"],
  ["booleans", "{{ true }} {{ false }} {{ True }} {{ None }}|", "{}"],
  ["integers", "{{ 1 + 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ -3 }} {{ +3 }}", "{}"],
  ["floats", "{{ 1.5 }} {{ 1.0 }} {{ 3 / 2 }} {{ 4 / 2 }} {{ 0.1 + 0.2 }} {{ 1.5 * 2 }} {{ -0.0 }} {{ 10 / 3 }}", "{}"],
  ["number-formatting", "{{ 100000000000000000000 * 10 }} {{ 100000000000000000000.0 * 10 }} {{ 0.000001 }} {{ 0.0000001 }} {{ 1 / 3 }} {{ 2 ** 53 + 1 }} {{ 1 / 0 }}", "{}"],
  ["json-numbers", "{{ a }} {{ b }} {{ c }} {{ a + b }} {{ c | tojson }} {{ d }}", '{"a": 1.0, "b": 2.5, "c": [1.0, 1e21, 1e-7], "d": 12345678901234567890}'],
  ["concat", "{{ 'a' + 'b' ~ 1 ~ true ~ 2.0 ~ [1, 'x'] }}", "{}"],
  ["string-plus-number", "{{ 'n=' + 5 }} {{ 1.0 ~ '' }} {{ 'l' + [1, 2] }} {{ 'd' + {'a': 1} }}", "{}"],
  ["print-list-dict", "{{ [1, 'a', none, true, 2.5, 2.0] }} {{ {'a': 1, 'b': [1, 2], 'c': {'d': none}} }}", "{}"],
  ["print-context-objects", "{{ m }} {{ m.tool_calls }} {{ m.content }}", '{"m": {"role": "user", "content": "hi", "tool_calls": [{"id": 1}]}}'],
  ["tojson", "{{ x | tojson }}", '{"x": {"a": [1, 2.5, "é\\n\\"\\u0001\\u007f\\u2028", null, true], "b": {}, "c": []}}'],
  ["tojson-indent", "{{ x | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ {} | tojson(indent=2) }}", '{"x": {"a": [1, {"b": [2]}], "c": "d"}}'],
  ["tojson-ensure-ascii", "{{ x | tojson(ensure_ascii=true) }}", '{"x": {"ké": "é😀\\u007f~"}}'],
  ["tojson-sort-keys", "{{ x | tojson(sort_keys=true) }}", '{"x": {"b": 1, "a": {"z": 1, "y": 2}, "B": 3, "a_b": 4, "ab": 5}}'],
  ["tojson-separators", "{{ x | tojson(separators=(',', ':')) }}", '{"x": {"a": [1, 2], "b": "c"}}'],
  ["json-key-order", "{{ x | tojson }} {% for k in x %}{{ k }}{% endfor %}", '{"x": {"b": 1, "2": 2, "a": 3, "1": 4, "01": 5}}'],
  ["if-elif-else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}", "{}"],
  ["loop-variables", "{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.previtem }}{{ loop.nextitem }}|{% endfor %}", '{"xs": ["a", "b", "c"]}'],
  ["for-else", "{% for x in [] %}x{% else %}empty{% endfor %} {% for x in [1] %}{% continue %}{% else %}all-continued{% endfor %}", "{}"],
  ["for-if-filter", "{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{{ loop.last }}{% endfor %}", '{"xs": [1, 2, 3]}'],
  ["for-dict", "{% for k in d %}{{ k }}={{ d[k] }};{% endfor %}{% for k, v in d.items() %}{{ k }}:{{ v }};{% endfor %}{% for k, v in d | items %}{{ k }}{% endfor %}", '{"d": {"z": 1, "a": 2}}'],
  ["break-continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}"],
  ["nested-loops", "{% for a in [1, 2] %}{% for b in ['x', 'y'] %}{{ a }}{{ b }}{{ loop.index }}{% endfor %}{{ loop.index }};{% endfor %}", "{}"],
  ["set-scoping", "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}{% if true %}{% set y = 3 %}{% endif %}{{ y }}", "{}"],
  ["namespace", "{% set ns = namespace(count=0, found=false) %}{% for m in ms %}{% if m.role == 'user' %}{% set ns.count = ns.count + 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns }} {{ namespace({'a': 1}).a }}", '{"ms": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}]}'],
  ["whitespace-control", "  {%- if true -%}  \n  x  \n  {%- endif -%}  \n y {{- ' z ' -}} w", "{}"],
  ["lstrip-trim-blocks", "<\n  {% if true %}\n  a\n  {% endif %}\n  {# c #}\n>\n", "{}"],
  ["expression-not-stripped", "a\n  {{ 'b' }}\nc", "{}"],
  ["comments", "a{# comment #}b {#- stripped -#} c", "{}"],
  ["generation-tag", "a {% generation %} b {%- endgeneration %}c", "{}"],
  ["string-filters", "{{ '  Hi There  ' | trim }}|{{ 'abc' | upper }}|{{ 'ÀÉÎ Σ' | lower }}|{{ 'hello world-foo éclair' | title }}|{{ 'hello' | capitalize }}|{{ 'straße ﬁ' | upper }}|{{ 'abc' | length }}|{{ '😀a' | length }}|{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}", "{}"],
  ["list-filters", "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'a'] | sort }} {{ [3, 1, 2] | reverse }} {{ [1, 2] | first }} {{ [1, 2] | last }} {{ ['a', 'b'] | join(', ') }} {{ [1, 2, 2, 3, 1.0] | unique }} {{ [1, 2] | length }} {{ ['x', 1, 2.0, true, none] | join }} {{ 'abc' | join('-') }} {{ [1, [2, 3]] | string }}", "{}"],
  ["sort-options", "{{ xs | sort(attribute='n') | map(attribute='n') | join }} {{ xs | sort(reverse=true, attribute='n') | map(attribute='n') | join }} {{ ['b', 'A', 'a'] | sort(case_sensitive=true) }}", '{"xs": [{"n": 2}, {"n": 1}, {"n": 3}]}'],
  ["default-filter", "{{ x | default('d') }}|{{ '' | default('e') }}|{{ '' | default('e', true) }}|{{ none | default('n') }}|{{ y | default(boolean=true) }}", "{}"],
  ["number-filters", "{{ -3 | abs }} {{ 3.7 | int }} {{ '42x' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ '2.5e1' | float }} {{ 3 | float }} {{ 3 | string }} {{ 3.0 | string }} {{ true | int }} {{ false | string }}", "{}"],
  ["dict-filters", "{{ d | items }} {{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ d | length }}", '{"d": {"b": 2, "a": 1, "C": 3}}'],
  ["selectattr-map", "{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }} {{ ms | rejectattr('role', 'equalto', 'user') | length }} {{ ms | selectattr('flag') | length }} {{ ms | map(attribute='missing', default='-') | join }}", '{"ms": [{"role": "user", "content": "a", "flag": true}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c", "flag": false}]}'],
  ["tests", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.5 is integer }} {{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 3 is odd }} {{ 4 is even }} {{ x is not none }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ true is boolean }}", '{"x": 1}'],
  ["membership", "{{ 'a' in 'cat' }} {{ 'z' not in 'cat' }} {{ 1 in [1, 2] }} {{ 1.0 in [1, 2] }} {{ '1' in [1] }} {{ 'k' in {'k': 1} }} {{ 'x' in y }} {{ 'x' not in y }}", "{}"],
  ["comparisons", "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 'a' == 'a' }} {{ 1 == 1.0 }} {{ '1' == 1 }} {{ true == 1 }} {{ none == y }} {{ [1] == [1] }} {{ x == x }} {{ 'a' != 'b' }} {{ '' == 0 }} {{ x == '1' }}", '{"x": [1]}'],
  ["logic", "{{ 0 or 'b' }} {{ 'a' and 'b' }} {{ not [] }} {{ 1 and 0 }} {{ none or [] }} {{ not 'x' == 'y' }} {{ {} or 'e' }}", "{}"],
  ["ternary-select", "{{ 'y' if x else 'n' }} {{ 'y' if not x else 'n' }}|{{ 'only' if false }}", '{"x": 1}'],
  ["slices", "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[1:3] }} {{ xs[-2:] }} {{ 'hello'[1:3] }} {{ 'héllo😀'[::-1] }} {{ xs[-1] }} {{ 'abc'[0] }} {{ 'abc'[-1] }} [{{ xs[10] }}] {{ xs[5:1:-1] }} {{ xs[3:0:-1] }}", '{"xs": [1, 2, 3, 4]}'],
  ["string-methods", "{{ ' a b '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ ' a b  c '.split(none, 1) }}|{{ 'hello'.startswith('he') }}|{{ 'hello'.endswith(('x', 'lo')) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'ab'.replace('', '-') }}|{{ '  x '.lstrip() }}|{{ '  x '.rstrip() }}|{{ 'ab'.upper() }}|{{ 'x y'.title() }}|", "{}"],
  ["string-method-chains", "{{ m.content.strip().split('\\n')[0] | upper }} {{ (m.content | trim).endswith('?') }}", '{"m": {"content": "  first line\\nsecond?  "}}'],
  ["dict-methods", "{{ d.get('a') }} {{ d.get('z', 'dflt') }} [{{ d.get('z') }}] {{ d.keys() }} {{ d.values() }} {{ d.items() }} {{ d['b'][0] }} {{ d.b.0 }}", '{"d": {"a": 1, "b": [2]}}'],
  ["macro", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }} {{ greet('X', 'Yo') }}", "{}"],
  ["macro-kwargs-varargs", "{% macro f(a) %}{{ a }}{{ kwargs }}{{ varargs }}{% endmacro %}{{ f(1, 2, 3, k='v') }}", "{}"],
  ["macro-scope", "{% set g = 'global' %}{% macro m() %}{{ g }}{% set g = 'local' %}{{ g }}{% endmacro %}{{ m() }}{{ g }}", "{}"],
  ["filter-block", "{% filter upper %}hello {{ x }}{% endfilter %}", '{"x": "w"}'],
  ["set-block", "{% set s %}a{{ 1 }}b{% endset %}[{{ s }}]", "{}"],
  ["tuples", "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set t = (1, 'x') %}{{ t | length }} {{ t[1] }}", "{}"],
  ["escapes", "{{ 'tab\\there' }} {{ \"q\\\"uote\" }} {{ '\\u00e9\\x41' }} {{ 'a' 'b' }} {{ '\\ud83d\\ude00' }}", "{}"],
  ["unicode-values", "{{ s }}|{{ s | length }}|{{ s | upper }}|{{ s[1] }}", '{"s": "aé中😀"}'],
  ["range", "{{ range(3) }} {{ range(1, 7, 2) }} {{ range(5, 0, -2) }} {{ range(0) }}", "{}"],
  ["object-literals", "{% set d = {'a': 1, 'b': 2, 'a': 3} %}{{ d }} {{ d | length }} {{ {'k': [1, {'n': none}]}.k[1] }}", "{}"],
  ["call-spread", "{% macro f(a, b, c='z') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ f(*[1, 2]) }} {{ f(1, **{'b': 2, 'c': 3}) }}", "{}"],
  ["messages-loop-like-templates", "{% for m in messages %}{% if loop.first and m.role != 'system' %}[default system]{% endif %}<{{ m.role }}>{{ m.content | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}", '{"messages": [{"role": "user", "content": " hi "}, {"role": "assistant", "content": "yo"}], "add_generation_prompt": true}'],
  ["multiline-statements", "{%-\n  set x = [\n    1,\n    2\n  ]\n-%}\n{{ x | length }}", "{}"],
  // errors
  ["err-unknown-filter", "{{ 'a' | nosuchfilter }}", "{}"],
  ["err-unknown-filter-call", "{{ [1] | nosuch(1) }}", "{}"],
  ["err-unknown-test", "{{ 1 is blah }}", "{}"],
  ["err-raise-exception", "{% if true %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}", "{}"],
  ["err-missing-endif", "{% if true %}x", "{}"],
  ["err-missing-endfor", "{% for x in xs %}x{% endif %}", '{"xs": []}'],
  ["err-bad-expression", "{{ 1 + }}", "{}"],
  ["err-unclosed-string", "{{ 'abc }}", "{}"],
  ["err-unclosed-expression", "{{ x ", '{"x": 1}'],
  ["err-unclosed-comment", "{# never closed", "{}"],
  ["err-exponent-literal", "{{ 1e3 }}", "{}"],
  ["err-undefined-arithmetic", "{{ x + 1 }}", "{}"],
  ["err-call-non-function", "{{ x() }}", '{"x": 1}'],
  ["err-default-without-parens-on-undefined", "{{ y | default }}", "{}"],
  ["err-tilde-undefined", "{{ 'a' ~ y }}", "{}"],
  ["err-unknown-statement", "{% foo %}", "{}"],
  ["err-print-tuple", "{{ (1, 2) }}", "{}"],
  ["err-string-less-than", "{{ 'a' < 'b' }}", "{}"],
  ["err-loop-over-string", "{% for c in 'abc' %}{{ c }}{% endfor %}", "{}"],
  ["err-set-attribute-of-dict", "{% set d = {} %}{% set d.x = 1 %}", "{}"],
  ["err-unexpected-character", "{{ 1 ! 2 }}", "{}"],
  ["err-length-of-undefined", "{{ y | length }}", "{}"],
  ["err-none-plus", "{{ none + 1 }}", "{}"],
  ["err-break-outside-loop", "{% break %}", "{}"],
];

const featureLines = [];
const names = new Set();
const problems = [];
for (const [name, template, contextJson] of features) {
  if (names.has(name)) throw new Error(`duplicate feature name ${name}`);
  names.add(name);
  const r = render(template, JSON.parse(contextJson));
  if (name.startsWith("err-") !== "error" in r)
    problems.push(`${name}: expected ${name.startsWith("err-") ? "an error" : "output"}, got ${JSON.stringify(r)}`);
  const line = { name, template, context: contextJson };
  if ("output" in r) line.output = r.output;
  else line.error = r.error;
  featureLines.push(JSON.stringify(line));
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
writeFileSync(join(here, "jinja_vectors.jsonl"), featureLines.join("\n") + "\n");
console.log(`@huggingface/jinja ${version}: ${chatLines.length} chat vectors, ${featureLines.length} language vectors`);
