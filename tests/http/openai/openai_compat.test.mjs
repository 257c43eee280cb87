// The official OpenAI Node client (v7) against a live smartbotd: SMARTBOT_URL, SMARTBOT_TOKEN, SMARTBOT_MODEL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';

const baseURL = `${process.env.SMARTBOT_URL}/v1`;
const model = process.env.SMARTBOT_MODEL;
const client = new OpenAI({ baseURL, apiKey: process.env.SMARTBOT_TOKEN, maxRetries: 0, timeout: 30000 });

async function metric(name) {
  const text = await (await fetch(`${process.env.SMARTBOT_URL}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.trim().split(/\s+/).pop()) : NaN;
}

// run_openai_test.sh's server.conf: [model] aliases = gpt-4o-mini: default, gpt-3.5-turbo: <model>;
// [network] cors_origins = http://app.example.
test('lists the loaded model and its aliases', async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.deepEqual(ids, [model, 'gpt-4o-mini', 'gpt-3.5-turbo']);
  assert.equal(list.data[0].object, 'model');
});

test('models.retrieve (a connection check) for the model and an alias; 404 for others', async () => {
  assert.equal((await client.models.retrieve(model)).id, model);
  const alias = await client.models.retrieve('gpt-4o-mini');
  assert.equal(alias.id, 'gpt-4o-mini');
  assert.equal(alias.object, 'model');
  await assert.rejects(client.models.retrieve('gpt-4o'),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
});

test('an application written for another provider works unchanged through an alias', async () => {
  const params = { messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0 };
  const direct = await client.chat.completions.create({ ...params, model });
  const viaAlias = await client.chat.completions.create({ ...params, model: 'gpt-4o-mini' });
  assert.equal(viaAlias.choices[0].message.content, direct.choices[0].message.content);
  const langchainDefault = await client.chat.completions.create({ ...params, model: 'gpt-3.5-turbo' });
  assert.equal(langchainDefault.choices[0].message.content, direct.choices[0].message.content);
});

test('accepts what OpenAI accepts', async () => {
  const base = { model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 4 };
  const greedy = await client.chat.completions.create({ ...base, temperature: 0 });
  const topP0 = await client.chat.completions.create({ ...base, temperature: 1, top_p: 0 });
  assert.equal(topP0.choices[0].message.content, greedy.choices[0].message.content, 'top_p 0: the likeliest token');
  const a = await client.chat.completions.create({ ...base, temperature: 1, seed: -7 });
  const b = await client.chat.completions.create({ ...base, temperature: 1, seed: -7 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content, 'a negative seed is a seed');
  const r = await client.chat.completions.create({ ...base, logit_bias: {}, tool_choice: 'none', tools: [] });
  assert.equal(r.choices[0].finish_reason, 'length');
  await assert.rejects(client.chat.completions.create({ ...base, stream_options: { include_usage: true } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'stream_options');
});

test('logit_bias is applied (+100 all but forces a token; test_engine checks -100 bans one); bad ids are refused', async () => {
  const base = { model, messages: [{ role: 'user', content: 'Once upon a time' }], temperature: 1, seed: 3 };
  const one = await client.chat.completions.create({ ...base, max_tokens: 1, logit_bias: { 300: 100 } });
  const four = await client.chat.completions.create({ ...base, max_tokens: 4, logit_bias: { 300: 100 } });
  assert.equal(four.usage.completion_tokens, 4);
  const piece = one.choices[0].message.content.trim();
  assert.ok(piece.length > 0);
  assert.equal(four.choices[0].message.content.split(piece).length - 1, 4, four.choices[0].message.content);
  const legacy = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 4, logit_bias: { 300: 100 }, temperature: 1, seed: 3 });
  assert.equal(legacy.choices[0].text, four.choices[0].message.content, '/v1/completions applies it too');
  await assert.rejects(client.chat.completions.create({ ...base, max_tokens: 1, logit_bias: { 100000: 5 } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'logit_bias' && /vocabulary/.test(e.message));
  await assert.rejects(client.chat.completions.create({ ...base, max_tokens: 1, logit_bias: { 300: 101 } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'logit_bias');
});

test('x-request-id on every reply, the one in the log line', async () => {
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }).withResponse();
  const id = response.headers.get('x-request-id');
  assert.match(id, /^[0-9a-f]+$/);
  assert.equal(data._request_id, id);
  await new Promise((r) => setTimeout(r, 100));
  assert.match(readFileSync(process.env.SMARTBOT_LOG, 'utf8'), new RegExp(`request ${id} /v1/chat/completions 200 `));
  const err = await fetch(`${baseURL}/chat/completions`, { method: 'POST', body: '{' });
  assert.match(err.headers.get('x-request-id') ?? '', /^[0-9a-f]+$/);
});

test('a browser app: the preflight allows the SDK\'s own headers, replies expose x-request-id', async () => {
  const origin = 'http://app.example';
  const pre = await fetch(`${baseURL}/chat/completions`, { method: 'OPTIONS', headers: {
    Origin: origin, 'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'authorization,content-type,x-stainless-os,x-stainless-lang,x-stainless-retry-count',
  } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), origin);
  for (const h of ['authorization', 'x-stainless-os', 'x-stainless-retry-count'])
    assert.ok(pre.headers.get('access-control-allow-headers').toLowerCase().includes(h), h);
  const r = await fetch(`${baseURL}/models`, { headers: { Origin: origin, Authorization: `Bearer ${process.env.SMARTBOT_TOKEN}` } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('access-control-expose-headers'), /X-Request-Id/i);
});

test('a completion', async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0,
  });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, ', there was a little girl');
  assert.equal(r.choices[0].message.refusal, null);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.deepEqual(r.usage, {
    prompt_tokens: 5, completion_tokens: 8, total_tokens: 13, prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  });
});

test('a shared system prompt is served from the prefix cache (usage.prompt_tokens_details.cached_tokens)', async () => {
  const system = 'Lily and Tom were friends. They liked to play in the park with a big red ball every day.';
  const ask = (content) => client.chat.completions.create({
    model, messages: [{ role: 'system', content: system }, { role: 'user', content }], max_tokens: 4, temperature: 0,
  });
  await ask('One day,');
  const r = await ask('The sun was hot.');
  const cached = r.usage.prompt_tokens_details.cached_tokens;
  assert.ok(cached >= 20 && cached < r.usage.prompt_tokens, `cached_tokens ${cached} of ${r.usage.prompt_tokens}`);
});

test('stop sequences end with finish_reason stop', async () => {
  const r = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 30, temperature: 0, stop: ['girl'],
  });
  assert.equal(r.choices[0].message.content, ', there was a little ');
  assert.equal(r.choices[0].finish_reason, 'stop');
});

test('a streamed completion equals the plain one', async () => {
  const params = { model, messages: [{ role: 'user', content: 'Tom and his dog' }], max_tokens: 40, temperature: 0 };
  const plain = await client.chat.completions.create(params);
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  let role = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    assert.ok('usage' in chunk, 'with include_usage every chunk has usage (null until the last)');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      if (c.delta.role) role = c.delta.role;
      if (c.delta.content) { text += c.delta.content; chunks++; }
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(role, 'assistant');
  assert.ok(chunks > 3, `expected many chunks, got ${chunks}`);
  assert.equal(text, plain.choices[0].message.content);
  assert.equal(finish, plain.choices[0].finish_reason);
  assert.deepEqual(usage, plain.usage);
});

test('an aborted stream frees its slot', async () => {
  const params = { model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 480, temperature: 0 };
  const full = await client.chat.completions.create(params);
  const fullTokens = full.usage.completion_tokens;
  const before = await metric('smartbot_generated_tokens_total');
  const controller = new AbortController();
  const stream = await client.chat.completions.create({ ...params, stream: true }, { signal: controller.signal });
  let received = 0;
  try {
    for await (const chunk of stream) { received++; controller.abort(); }
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIUserAbortError || e.name === 'AbortError', `unexpected ${e}`);
  }
  assert.ok(received >= 1);
  // The worker notices within one decode step: the slot is idle again and the generation was cut short.
  let active = NaN;
  for (let i = 0; i < 50; i++) {
    active = await metric('smartbot_active_sequences');
    if (active === 0 && (await metric('smartbot_queue_depth')) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(active, 0);
  const generated = (await metric('smartbot_generated_tokens_total')) - before;
  assert.ok(generated < fullTokens, `aborted stream generated ${generated} of ${fullTokens} tokens`);
  const after = await client.chat.completions.create({ ...params, max_tokens: 4 });
  assert.equal(after.usage.completion_tokens, 4);
});

test('legacy text completions (/v1/completions): plain, echo, streamed, refusals', async () => {
  const params = { model, prompt: 'Once upon a time', max_tokens: 8, temperature: 0 };
  const chat = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0 });
  const r = await client.completions.create(params);
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  assert.equal(r.choices[0].text, chat.choices[0].message.content, 'the same continuation as chat without a template');
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 8);
  const echoed = await client.completions.create({ ...params, echo: true });
  assert.equal(echoed.choices[0].text, 'Once upon a time' + r.choices[0].text);
  const dflt = await client.completions.create({ model, prompt: 'Once upon a time', temperature: 0 });
  assert.equal(dflt.usage.completion_tokens, 16, "OpenAI's default max_tokens for completions");
  let text = '';
  let usage = null;
  const stream = await client.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'text_completion');
    for (const c of chunk.choices) text += c.text;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, r.choices[0].text);
  assert.deepEqual(usage, r.usage);
  await assert.rejects(client.completions.create({ ...params, suffix: 'The end.' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'suffix');
  await assert.rejects(client.completions.create({ ...params, prompt: ['a', ''] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'prompt' && /\[1\]/.test(e.message));
  await assert.rejects(client.completions.create({ ...params, best_of: 3 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'best_of');
  await assert.rejects(client.completions.create({ ...params, model: 'davinci-002' }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'model');
});

test('several prompts (text and token ids) and n choices on /v1/completions, plain and streamed', async () => {
  const base = { model, max_tokens: 6, temperature: 1, seed: 9 };
  const one = await client.completions.create({ ...base, prompt: 'Once upon a time' });
  const two = await client.completions.create({ ...base, prompt: 'Lily went' });
  const r = await client.completions.create({ ...base, prompt: ['Once upon a time', 'Lily went'], n: 2 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(r.choices[0].text, one.choices[0].text, 'choice 0 of a prompt is that prompt alone (same seed)');
  assert.equal(r.choices[2].text, two.choices[0].text);
  assert.notEqual(r.choices[1].text, r.choices[0].text, 'the n choices are seeded apart');
  assert.equal(r.usage.prompt_tokens, one.usage.prompt_tokens + two.usage.prompt_tokens, 'each prompt counted once');
  assert.equal(r.usage.completion_tokens, r.choices.length * 6);
  const texts = ['', '', '', ''];
  const finishes = [];
  const stream = await client.completions.create({ ...base, prompt: ['Once upon a time', 'Lily went'], n: 2, stream: true });
  for await (const chunk of stream)
    for (const c of chunk.choices) {
      texts[c.index] += c.text;
      if (c.finish_reason) finishes.push(c.index);
    }
  assert.deepEqual(texts, r.choices.map((c) => c.text));
  assert.deepEqual(finishes.sort(), [0, 1, 2, 3]);
  // A prompt of token ids (BOS "Once upon a time" as the tokenizer makes it, from echo + logprobs below).
  const scored = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 0, echo: true, logprobs: 0 });
  assert.equal(scored.usage.completion_tokens, 0);
  const ids = await client.completions.create({ ...base, prompt: [1, 403, 407, 261, 378], echo: true });
  assert.equal(ids.usage.prompt_tokens, 5);
  assert.ok(ids.choices[0].text.length > 0);
  await assert.rejects(client.completions.create({ ...base, prompt: [1, 1e9] }),
    (e) => e instanceof OpenAI.BadRequestError && /vocabulary/.test(e.message));
  await assert.rejects(client.completions.create({ ...base, prompt: Array(64).fill('a'), n: 16 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'n' && /1024 generations/.test(e.message));
  await assert.rejects(client.completions.create({ ...base, prompt: [1, 403], echo: true, stream: true }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'echo');
});

test('logprobs: legacy table with echo scores the prompt; chat logprobs and top_logprobs, plain and streamed', async () => {
  const scored = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 0, echo: true, logprobs: 2 });
  const lp = scored.choices[0].logprobs;
  assert.equal(scored.choices[0].text, 'Once upon a time');
  assert.equal(lp.tokens.join(''), 'Once upon a time', 'the tokens spell the text (BOS is not text)');
  assert.deepEqual(lp.text_offset, lp.tokens.map((_, i) => lp.tokens.slice(0, i).join('').length));
  for (let i = 0; i < lp.tokens.length; ++i) {
    assert.ok(lp.token_logprobs[i] < 0);
    const alternatives = Object.values(lp.top_logprobs[i]);
    assert.ok(alternatives.length >= 1 && alternatives.length <= 2);
    assert.ok(Math.max(...alternatives) >= lp.token_logprobs[i] - 1e-6);
  }
  const cont = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 5, temperature: 0, echo: true, logprobs: 1 });
  assert.equal(cont.choices[0].logprobs.tokens.join(''), cont.choices[0].text, 'prompt then continuation');
  assert.deepEqual(cont.choices[0].logprobs.token_logprobs.slice(0, lp.tokens.length), lp.token_logprobs);

  const params = { model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, temperature: 0 };
  const r = await client.chat.completions.create({ ...params, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  assert.equal(content.map((t) => t.token).join(''), r.choices[0].message.content);
  for (const t of content) {
    assert.equal(Buffer.from(t.bytes).toString('utf8'), t.token);
    assert.equal(t.top_logprobs.length, 3);
    assert.equal(t.top_logprobs[0].token, t.token, 'greedy: the likeliest token is the one chosen');
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob && t.top_logprobs[1].logprob >= t.top_logprobs[2].logprob);
  }
  const streamed = [];
  const stream = await client.chat.completions.create({ ...params, logprobs: true, top_logprobs: 3, stream: true });
  for await (const chunk of stream)
    for (const c of chunk.choices) if (c.logprobs) streamed.push(...c.logprobs.content);
  assert.deepEqual(streamed, content);
  const plain = await client.chat.completions.create(params);
  assert.equal(plain.choices[0].logprobs, null);
  assert.equal(plain.choices[0].message.content, r.choices[0].message.content);
  await assert.rejects(client.chat.completions.create({ ...params, top_logprobs: 2 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'top_logprobs');
  await assert.rejects(client.chat.completions.create({ ...params, logprobs: true, top_logprobs: 21 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'top_logprobs');
});

test('n choices on chat: seeded apart, prompt counted once, streamed by index', async () => {
  const params = { model, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 6, temperature: 1, seed: 21 };
  const single = await client.chat.completions.create(params);
  const r = await client.chat.completions.create({ ...params, n: 3 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  for (let i = 0; i < 3; ++i) { // choice i is the request with seed + i
    const alone = await client.chat.completions.create({ ...params, seed: params.seed + i });
    assert.equal(r.choices[i].message.content, alone.choices[0].message.content);
  }
  assert.ok(new Set(r.choices.map((c) => c.message.content)).size >= 2);
  assert.equal(r.usage.prompt_tokens, single.usage.prompt_tokens);
  assert.equal(r.usage.completion_tokens, 18);
  const texts = ['', '', ''];
  for await (const chunk of await client.chat.completions.create({ ...params, n: 3, stream: true }))
    for (const c of chunk.choices) texts[c.index] += c.delta.content ?? '';
  assert.deepEqual(texts, r.choices.map((c) => c.message.content));
});

test('embeddings: unit vectors, base64 (the client default) equals float, dimensions, token input, refusals', async () => {
  const r = await client.embeddings.create({ model, input: ['Once upon a time', 'Tim had a ball', 'Once upon a time'] });
  assert.equal(r.object, 'list');
  assert.equal(r.data.length, 3);
  const dim = r.data[0].embedding.length;
  assert.ok(dim > 0);
  const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  for (const d of r.data) assert.ok(Math.abs(norm(d.embedding) - 1) < 1e-5);
  const close = (a, b) => a.length === b.length && a.every((x, i) => Math.abs(x - b[i]) < 1e-5);
  assert.ok(close(r.data[2].embedding, r.data[0].embedding), 'the same text, up to rounding in the pack');
  assert.ok(!close(r.data[1].embedding, r.data[0].embedding));
  assert.ok(r.usage.prompt_tokens > 8 && r.usage.total_tokens === r.usage.prompt_tokens);
  const asFloat = await client.embeddings.create({ model, input: 'Once upon a time', encoding_format: 'float' });
  asFloat.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - r.data[0].embedding[i]) < 1e-6));
  const short = await client.embeddings.create({ model, input: 'Once upon a time', dimensions: 8 });
  assert.equal(short.data[0].embedding.length, 8);
  assert.ok(Math.abs(norm(short.data[0].embedding) - 1) < 1e-5);
  const head = r.data[0].embedding.slice(0, 8);
  short.data[0].embedding.forEach((x, i) => assert.ok(Math.abs(x - head[i] / norm(head)) < 1e-5));
  const ids = await client.embeddings.create({ model, input: [[1, 403, 407], [1, 403, 407]] });
  assert.ok(close(ids.data[0].embedding, ids.data[1].embedding));
  assert.equal(ids.usage.prompt_tokens, 6);
  // Many inputs run in packs between decode steps and come back in order.
  const many = await client.embeddings.create({ model, input: Array.from({ length: 300 }, (_, i) => `Story ${i} of Lily and her ${i % 7} dogs`) });
  assert.deepEqual(many.data.map((d) => d.index), Array.from({ length: 300 }, (_, i) => i));
  await assert.rejects(client.embeddings.create({ model, input: ['fine', ''] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'input' && /input\[1\]/.test(e.message));
  await assert.rejects(client.embeddings.create({ model, input: 'x', dimensions: dim + 1 }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'dimensions');
  await assert.rejects(client.embeddings.create({ model, input: 'the dog ran. '.repeat(400) }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded');
  await assert.rejects(client.embeddings.create({ model: 'text-embedding-3-large', input: 'x' }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'model');
});

test('a wrong key raises the client authentication error', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'not-a-token', maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key');
  await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
});

test('unsupported options and unknown models are refused clearly', async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], n: 17 }),
    (e) => e instanceof OpenAI.BadRequestError && /1 to 16/.test(e.message) && e.param === 'n');
  await assert.rejects( // the legacy functions API (tools replaced it)
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }],
      functions: [{ name: 'f', parameters: {} }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'functions');
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'model');
  await assert.rejects(
    client.chat.completions.create({ model, messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages');
});

// Structured outputs are held by constrained decoding: every reply validates, even from a 260K-parameter story model
// that has never seen JSON, and whatever the seed.
const person = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer' },
    mood: { enum: ['happy', 'sad', 'sleepy'] },
    friends: { type: 'array', items: { type: 'string', maxLength: 8 }, maxItems: 3 },
    pet: { anyOf: [{ type: 'null' }, { type: 'object', properties: { kind: { const: 'dog' } }, required: ['kind'] }] },
  },
  required: ['name', 'age', 'mood', 'friends', 'pet'],
  additionalProperties: false,
};

test('response_format json_schema: every reply validates (ajv), plain and streamed, properties in schema order', async () => {
  const validate = new Ajv({ strict: false }).compile(person);
  const base = {
    model, temperature: 1, max_tokens: 400,
    messages: [{ role: 'user', content: 'Describe a person as JSON.' }],
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema: person, strict: true } },
  };
  for (let seed = 0; seed < 10; seed++) {
    const r = await client.chat.completions.create({ ...base, seed });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'stop', choice.message.content);
    const doc = JSON.parse(choice.message.content);
    assert.ok(validate(doc), `${choice.message.content}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(Object.keys(doc), ['name', 'age', 'mood', 'friends', 'pet']);
  }
  const stream = await client.chat.completions.create({ ...base, seed: 99, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.ok(validate(JSON.parse(text)), text);
});

test('response_format json_object: a JSON object; the grammar extension: one of its texts', async () => {
  const base = { model, temperature: 1, max_tokens: 300, messages: [{ role: 'user', content: 'JSON please' }] };
  for (let seed = 0; seed < 5; seed++) {
    const r = await client.chat.completions.create({ ...base, seed, response_format: { type: 'json_object' } });
    if (r.choices[0].finish_reason === 'stop') {
      const doc = JSON.parse(r.choices[0].message.content);
      assert.equal(typeof doc, 'object');
      assert.ok(!Array.isArray(doc) && doc !== null);
    } else { // the budget ran out inside a long string: a prefix of an object
      assert.equal(r.choices[0].finish_reason, 'length');
      assert.ok(r.choices[0].message.content.startsWith('{'));
    }
  }
  const yn = await client.chat.completions.create({ ...base, grammar: 'root ::= "yes" | "no"' });
  assert.ok(['yes', 'no'].includes(yn.choices[0].message.content), yn.choices[0].message.content);
});

test('schemas a grammar cannot guarantee, and bad grammars, are refused naming the keyword', async () => {
  const base = { model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] };
  // zod's email pattern: its lookaheads are beyond a grammar.
  const schema = { type: 'object', properties: { code: { type: 'string', pattern: "^(?!\\.)(?!.*\\.\\.)([A-Za-z0-9_'+\\-\\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$" } } };
  await assert.rejects(
    client.chat.completions.create({ ...base, response_format: { type: 'json_schema', json_schema: { name: 's', schema } } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'response_format.json_schema.schema' &&
      /'pattern' at \/properties\/code: lookaround/.test(e.message));
  const multipleOf = { type: 'object', properties: { n: { type: 'integer', multipleOf: 5 } } };
  await assert.rejects(
    client.chat.completions.create({ ...base, response_format: { type: 'json_schema', json_schema: { name: 's', schema: multipleOf } } }),
    (e) => e instanceof OpenAI.BadRequestError && /'multipleOf' at \/properties\/n is not supported/.test(e.message));
  await assert.rejects(client.chat.completions.create({ ...base, response_format: { type: 'xml' } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'response_format.type');
  await assert.rejects(client.chat.completions.create({ ...base, grammar: 'root ::= "a' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'grammar' && /line 1, column/.test(e.message));
});

// Tools (kept short: stories260K's context is 512 tokens and its tokenizer spends one on every few characters):
// stories260K knows no tool format, so SmartBot describes the tools in the system message and a forcing
// tool_choice holds the reply to a call whose arguments fit the function's parameters.
const weather = {
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', minLength: 1, maxLength: 12 }, unit: { enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
};
const add = {
  type: 'function',
  function: { name: 'add', parameters: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] } },
};

test('tools: a forcing tool_choice gives tool_calls whose arguments validate (plain and streamed)', async () => {
  const ajv = new Ajv({ strict: false });
  const check = { get_weather: ajv.compile(weather.function.parameters), add: ajv.compile(add.function.parameters) };
  const base = {
    model, temperature: 1, max_tokens: 150, parallel_tool_calls: false, tools: [weather, add],
    messages: [{ role: 'user', content: 'Weather in Oslo?' }],
  };
  const probe = await client.chat.completions.create({ ...base, tool_choice: 'none', max_tokens: 1 });
  assert.ok(probe.usage.prompt_tokens < 200, `the tools (none shown) left the prompt at ${probe.usage.prompt_tokens}`);
  const cases = [[1, 'required', [weather]], [2, 'required', [weather]], [3, 'required', [add]],
    [4, { type: 'function', function: { name: 'add' } }, [weather, add]]];
  for (const [seed, tool_choice, tools] of cases) {
    const r = await client.chat.completions.create({ ...base, seed, tool_choice, tools });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls', JSON.stringify(choice.message));
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.match(call.id, /^call_/);
    assert.equal(call.type, 'function');
    if (typeof tool_choice === 'object') assert.equal(call.function.name, 'add');
    const args = JSON.parse(call.function.arguments);
    assert.ok(check[call.function.name](args), `${call.function.arguments}: ${JSON.stringify(check[call.function.name].errors)}`);
  }
  const plain = await client.chat.completions.create({ ...base, seed: 5, tool_choice: 'required', tools: [weather] });
  const stream = await client.chat.completions.create({ ...base, seed: 5, tool_choice: 'required', tools: [weather], stream: true });
  const calls = [];
  let finish = null;
  let content = '';
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (!c) continue;
    content += c.delta?.content ?? '';
    for (const d of c.delta?.tool_calls ?? []) {
      calls[d.index] ??= { name: '', arguments: '' };
      calls[d.index].name += d.function?.name ?? '';
      calls[d.index].arguments += d.function?.arguments ?? '';
    }
    finish = c.finish_reason ?? finish;
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(content, '', 'nothing of the call leaks as content');
  assert.deepEqual(calls, plain.choices[0].message.tool_calls.map((t) => ({ name: t.function.name, arguments: t.function.arguments })));
});

test('tools: a conversation carrying a call and its result is answered; bad tools are refused by name', async () => {
  const r = await client.chat.completions.create({
    model, max_tokens: 8, temperature: 0, tools: [add], tool_choice: 'auto',
    messages: [
      { role: 'user', content: 'What is 2 + 3?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{"a":2,"b":3}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '5' },
    ],
  });
  assert.ok(['stop', 'length', 'tool_calls'].includes(r.choices[0].finish_reason));
  const base = { model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] };
  await assert.rejects(client.chat.completions.create({ ...base, tools: [add], tool_choice: { type: 'function', function: { name: 'sub' } } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice' && /'sub'/.test(e.message));
  const patterned = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { s: { type: 'string', pattern: '(a)\\1' } } } } };
  await assert.rejects(client.chat.completions.create({ ...base, tools: [patterned] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'tools' && /'pattern'/.test(e.message));
  await assert.rejects(client.chat.completions.create({ ...base, tool_choice: 'required' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'tool_choice');
});

test('Responses API: plain and streamed (typed events) agree; usage; max_output_tokens makes it incomplete', async () => {
  const base = { model, input: 'Once upon a time', max_output_tokens: 12, temperature: 0 };
  const r = await client.responses.create(base);
  assert.match(r.id, /^resp_/);
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'incomplete');
  assert.equal(r.incomplete_details.reason, 'max_output_tokens');
  assert.equal(r.output[0].type, 'message');
  assert.ok(r.output_text.length > 0, 'the SDK reads output_text from the items');
  assert.equal(r.usage.output_tokens, 12);
  const types = [];
  let text = '';
  let final = null;
  for await (const event of await client.responses.create({ ...base, stream: true })) {
    types.push(event.type);
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.incomplete' || event.type === 'response.completed') final = event.response;
  }
  assert.equal(text, r.output_text);
  assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.incomplete']);
  assert.equal(final.output[0].content[0].text, text);
});

test('Responses API: previous_response_id continues a stored exchange, only for its owner', async () => {
  const first = await client.responses.create({ model, input: 'Tom had a red ball.', max_output_tokens: 8, temperature: 0 });
  const second = await client.responses.create({ model, input: 'Then', previous_response_id: first.id, max_output_tokens: 8, temperature: 0 });
  assert.ok(second.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens - 1, 'the first exchange is part of the prompt');
  assert.equal(second.previous_response_id, first.id);
  await assert.rejects(client.responses.create({ model, input: 'x', previous_response_id: 'resp_nope' }),
    (e) => e instanceof OpenAI.NotFoundError && e.param === 'previous_response_id');
  const unstored = await client.responses.create({ model, input: 'x', store: false, max_output_tokens: 2 });
  await assert.rejects(client.responses.create({ model, input: 'y', previous_response_id: unstored.id }), OpenAI.NotFoundError);
});

test('Responses API: function tools, a forced call, and its output sent back', async () => {
  const tools = [{ type: 'function', name: 'add', parameters: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] } }];
  const r = await client.responses.create({ model, input: 'What is 2 + 3?', tools, tool_choice: 'required', parallel_tool_calls: false, max_output_tokens: 100, temperature: 1, seed: 1 });
  const call = r.output.find((o) => o.type === 'function_call');
  assert.ok(call, JSON.stringify(r.output));
  assert.equal(call.name, 'add');
  const args = JSON.parse(call.arguments);
  assert.ok(Number.isInteger(args.a) && Number.isInteger(args.b));
  const next = await client.responses.create({
    model, previous_response_id: r.id, tools, max_output_tokens: 6, temperature: 0,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '5' }],
  });
  assert.ok(['completed', 'incomplete'].includes(next.status));
  await assert.rejects(client.responses.create({ model, input: 'x', tools: [{ type: 'web_search' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'tools[0].type');
  await assert.rejects(client.responses.create({ model, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'input[0].content[0]');
});

test("the SDK's .parse() with a zod schema: message.parsed fits it (integer bounds and a pattern included)", async () => {
  const Pet = z.object({
    name: z.string().regex(/^[A-Z][a-z]{1,7}$/),
    age: z.number().int().min(0).max(30),
    kind: z.enum(['cat', 'dog']),
  });
  for (const seed of [1, 2, 3]) {
    const completion = await client.chat.completions.parse({
      model, messages: [{ role: 'user', content: 'A pet' }], max_tokens: 80, temperature: 1, seed,
      response_format: zodResponseFormat(Pet, 'pet'),
    });
    const pet = completion.choices[0].message.parsed;
    assert.deepEqual(Pet.parse(pet), pet);
  }
});
