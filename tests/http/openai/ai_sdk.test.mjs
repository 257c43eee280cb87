// The Vercel AI SDK (default provider: the Responses API; .chat(): chat completions) and LangChain JS against a live
// smartbotd, unchanged: SMARTBOT_URL, SMARTBOT_TOKEN, SMARTBOT_MODEL (see run_openai_test.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, generateObject, jsonSchema, tool } from 'ai';
import { ChatOpenAI } from '@langchain/openai';
import Ajv from 'ajv';

const baseURL = `${process.env.SMARTBOT_URL}/v1`;
const model = process.env.SMARTBOT_MODEL;
const provider = createOpenAI({ baseURL, apiKey: process.env.SMARTBOT_TOKEN });

test('AI SDK, default provider (Responses API): generateText and streamText agree', async () => {
  const settings = { model: provider(model), prompt: 'Once upon a time', maxOutputTokens: 16, temperature: 0 };
  const plain = await generateText(settings);
  assert.ok(plain.text.length > 0);
  assert.ok(plain.usage.inputTokens > 0 && plain.usage.outputTokens === 16, JSON.stringify(plain.usage));
  assert.equal(plain.finishReason, 'length');
  const streamed = streamText(settings);
  let text = '';
  for await (const delta of streamed.textStream) text += delta;
  assert.equal(text, plain.text);
  assert.equal((await streamed.usage).outputTokens, 16);
});

test('AI SDK: a forced tool call with arguments that fit the schema', async () => {
  const parameters = {
    type: 'object',
    properties: { city: { type: 'string', minLength: 1, maxLength: 12 }, unit: { enum: ['c', 'f'] } },
    required: ['city', 'unit'],
  };
  const result = await generateText({
    model: provider(model), prompt: 'Weather in Oslo?', maxOutputTokens: 150, temperature: 1,
    tools: { get_weather: tool({ description: 'Weather', inputSchema: jsonSchema(parameters) }) },
    toolChoice: 'required',
    providerOptions: { openai: { parallelToolCalls: false } }, // one call, so the grammar ends the reply
  });
  assert.equal(result.toolCalls.length, 1, JSON.stringify(result.response.body ?? result.content));
  assert.equal(result.toolCalls[0].toolName, 'get_weather');
  assert.ok(new Ajv({ strict: false }).validate(parameters, result.toolCalls[0].input), JSON.stringify(result.toolCalls[0].input));
});

test('AI SDK: generateObject through text.format json_schema (Responses) and response_format (chat)', async () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 10 }, age: { type: 'integer' }, happy: { type: 'boolean' } },
    required: ['name', 'age', 'happy'],
    additionalProperties: false,
  };
  const validate = new Ajv({ strict: false }).compile(schema);
  for (const m of [provider(model), provider.chat(model)]) {
    const { object } = await generateObject({ model: m, schema: jsonSchema(schema), prompt: 'A person', maxOutputTokens: 200, temperature: 1, seed: 5 });
    assert.ok(validate(object), JSON.stringify(object));
  }
});

test('LangChain ChatOpenAI: invoke, stream and withStructuredOutput', async () => {
  const llm = new ChatOpenAI({ model, apiKey: process.env.SMARTBOT_TOKEN, configuration: { baseURL }, maxTokens: 12, temperature: 0 });
  const reply = await llm.invoke('Once upon a time');
  assert.ok(typeof reply.content === 'string' && reply.content.length > 0);
  let streamed = '';
  for await (const chunk of await llm.stream('Once upon a time')) streamed += chunk.content;
  assert.equal(streamed, reply.content);
  const schema = { type: 'object', properties: { color: { enum: ['red', 'blue'] }, count: { type: 'integer' } }, required: ['color', 'count'], additionalProperties: false };
  const structured = new ChatOpenAI({ model, apiKey: process.env.SMARTBOT_TOKEN, configuration: { baseURL }, maxTokens: 100, temperature: 1 })
    .withStructuredOutput(schema, { name: 'thing', method: 'jsonSchema' });
  const thing = await structured.invoke('Pick one');
  assert.ok(new Ajv({ strict: false }).validate(schema, thing), JSON.stringify(thing));
});

test('LangChain ChatOpenAI: bindTools with a forced call gives tool_calls whose args fit the zod schema', async () => {
  const weather = { name: 'get_weather', description: 'Weather', schema: z.object({ city: z.string().max(8), days: z.number().int().min(1).max(7) }) };
  const llm = new ChatOpenAI({ model, apiKey: process.env.SMARTBOT_TOKEN, configuration: { baseURL }, maxTokens: 160, temperature: 0 })
    .bindTools([weather], { tool_choice: 'get_weather', parallel_tool_calls: false });
  const reply = await llm.invoke('Weather in Paris?');
  assert.equal(reply.tool_calls.length >= 1, true);
  assert.equal(reply.tool_calls[0].name, 'get_weather');
  const args = weather.schema.parse(reply.tool_calls[0].args);
  assert.ok(args.days >= 1 && args.days <= 7);
});
