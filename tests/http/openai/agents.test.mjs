// The OpenAI Agents SDK (its default model is the Responses API) and LlamaIndex's OpenAI provider against a live
// smartbotd: SMARTBOT_URL, SMARTBOT_TOKEN, SMARTBOT_MODEL. The 260K-parameter story model writes nonsense; what is
// checked is that the frameworks work unchanged: tools called with arguments that fit their schemas, structured
// outputs that parse, streams that arrive, embeddings of the right shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { z } from 'zod';
import { Agent, run, tool, setDefaultOpenAIClient, setTracingDisabled } from '@openai/agents';
import { OpenAI as LlamaOpenAI, OpenAIEmbedding } from '@llamaindex/openai';

const baseURL = `${process.env.SMARTBOT_URL}/v1`;
const model = process.env.SMARTBOT_MODEL;
const apiKey = process.env.SMARTBOT_TOKEN;

setTracingDisabled(true); // traces would go to api.openai.com
setDefaultOpenAIClient(new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30000 }));

test('Agents SDK: a forced tool call runs the tool with valid arguments; its output is the answer', async () => {
  const calls = [];
  const getWeather = tool({
    name: 'get_weather',
    description: 'Weather',
    parameters: z.object({ city: z.string().max(8), days: z.number().int().min(1).max(7) }),
    execute: async (args) => {
      calls.push(args);
      return `sunny for ${args.days} days`;
    },
  });
  // stop_on_first_tool: the tool's output is the final output. (A second turn carrying the tools, the call and its
  // result would not fit stories260K's 512-token context: the model's character-level vocabulary spends ~300
  // tokens on the tool descriptions.)
  const agent = new Agent({
    name: 'Weather', model, tools: [getWeather], toolUseBehavior: 'stop_on_first_tool',
    // One call (parallel calls may follow the first until max_tokens), greedy: the same call on every run.
    modelSettings: { toolChoice: 'required', parallelToolCalls: false, maxTokens: 160, temperature: 0 },
  });
  const result = await run(agent, 'What is the weather in Paris?', { maxTurns: 2 });
  assert.equal(calls.length, 1);
  assert.equal(typeof calls[0].city, 'string');
  assert.ok(calls[0].city.length <= 8);
  assert.ok(Number.isInteger(calls[0].days) && calls[0].days >= 1 && calls[0].days <= 7);
  assert.equal(result.finalOutput, `sunny for ${calls[0].days} days`);
});

test('Agents SDK: a structured outputType, plain and streamed', async () => {
  // zod's int() and positive() become integer and exclusive bounds, which the grammar holds exactly.
  const Character = z.object({ name: z.string().max(12), age: z.number().int().positive().max(120),
    kind: z.enum(['cat', 'dog']) });
  const typed = new Agent({ name: 'Typed', instructions: 'Describe a pet.', model, outputType: Character,
    modelSettings: { maxTokens: 300, temperature: 0 } }); // greedy: the same document on every run
  const result = await run(typed, 'A pet, please.');
  const parsed = Character.parse(result.finalOutput);
  assert.ok(parsed.age >= 1 && parsed.age <= 120);
  const stream = await run(typed, 'Another pet.', { stream: true });
  let text = '';
  for await (const piece of stream.toTextStream()) text += piece;
  await stream.completed;
  assert.deepEqual(Character.parse(JSON.parse(text)), Character.parse(stream.finalOutput));
});

test('LlamaIndex: chat plain and streamed, completion, embeddings', async () => {
  const llm = new LlamaOpenAI({ model, apiKey, baseURL, maxRetries: 0, temperature: 0, maxTokens: 8 });
  const messages = [{ role: 'user', content: 'Once upon a time' }];
  const reply = await llm.chat({ messages });
  assert.ok(reply.message.content.length > 0);
  let streamed = '';
  for await (const chunk of await llm.chat({ messages, stream: true })) streamed += chunk.delta;
  assert.equal(streamed, reply.message.content);
  const completion = await llm.complete({ prompt: 'Once upon a time' });
  assert.ok(completion.text.length > 0);

  const embedder = new OpenAIEmbedding({ model, apiKey, baseURL, maxRetries: 0 });
  const one = await embedder.getTextEmbedding('Once upon a time');
  const many = await embedder.getTextEmbeddings(['Once upon a time', 'Tim had a ball']);
  assert.equal(many.length, 2);
  assert.equal(many[0].length, one.length);
  assert.ok(Math.abs(Math.hypot(...one) - 1) < 1e-5);
  many[0].forEach((x, i) => assert.ok(Math.abs(x - one[i]) < 1e-5));
});
