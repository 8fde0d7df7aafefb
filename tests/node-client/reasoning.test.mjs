// A thinking model (models/longcat-thinking-demo) through the openai package: reasoning_content beside the answer (in the message
// and in the deltas, as vLLM and SGLang send it), reasoning tokens in the usage, thinking turned off through
// chat_template_kwargs, and an XML tool call read back as typed JSON arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, collect, model } from './server.mjs';

const openai = client();
const whoAreYou = { model, temperature: 0, max_completion_tokens: 200, messages: [{ role: 'user', content: 'Who are you?' }] };

test('the answer carries the reasoning apart, and the usage counts its tokens', async () => {
  const answer = await openai.chat.completions.create(whoAreYou);

  const { message, finish_reason } = answer.choices[0];
  assert.equal(finish_reason, 'stop');
  assert.ok(message.reasoning_content.length > 0, 'reasoning');
  assert.ok(message.content.trim().length > 0, 'an answer');
  assert.ok(!message.reasoning_content.includes('longcat_') && !message.content.includes('longcat_'), 'no think tag in either');
  const reasoningTokens = answer.usage.completion_tokens_details.reasoning_tokens;
  assert.ok(reasoningTokens > 0 && reasoningTokens < answer.usage.completion_tokens, `${reasoningTokens} of ${answer.usage.completion_tokens}`);
});

test('streamed, the reasoning deltas come first, then the answer deltas, adding up to the plain answer', async () => {
  const whole = (await openai.chat.completions.create(whoAreYou)).choices[0].message;

  const chunks = await collect(await openai.chat.completions.create({ ...whoAreYou, stream: true, stream_options: { include_usage: true } }));

  const deltas = chunks.flatMap((c) => c.choices).map((c) => c.delta);
  assert.equal(deltas.map((d) => d.reasoning_content ?? '').join(''), whole.reasoning_content);
  assert.equal(deltas.map((d) => d.content ?? '').join(''), whole.content);
  const firstAnswer = deltas.findIndex((d) => d.content);
  assert.ok(firstAnswer > 0 && deltas[0].reasoning_content, 'the reasoning streams first');
  assert.ok(deltas.slice(firstAnswer).every((d) => !d.reasoning_content), 'no reasoning once the answer has begun');
  assert.ok(chunks.at(-1).usage.completion_tokens_details.reasoning_tokens > 0);
});

test('enable_thinking: false answers with no reasoning', async () => {
  const answer = await openai.chat.completions.create({ ...whoAreYou, chat_template_kwargs: { enable_thinking: false } });

  const { message } = answer.choices[0];
  assert.equal(message.reasoning_content ?? null, null);
  assert.ok(message.content.trim().length > 0, 'an answer');
  assert.ok(!message.content.includes('longcat_'), message.content);
  assert.equal(answer.usage.completion_tokens_details?.reasoning_tokens ?? 0, 0);
});

// The model's trained tool set, in its order (the thinking demo model chooses among these three).
const tool = (name, description, parameters) => ({ type: 'function', function: { name, description, parameters } });
const trainedTools = [
  tool('Clock-GetCurrentTime', 'Get the current time in a city.',
    { type: 'object', required: ['city'], properties: { city: { type: 'string', description: 'The city, e.g. Paris' } } }),
  tool('Calculator-Add', 'Add two numbers.', { type: 'object', required: ['a', 'b'], properties: { a: { type: 'integer' }, b: { type: 'integer' } } }),
  tool('Reminder-Create', 'Create a reminder.', {
    type: 'object',
    properties: {
      minutes: { type: 'integer', description: 'Minutes from now.' },
      message: { type: 'string', description: 'What to remind.' },
      options: { type: 'object', description: 'Reminder options.', properties: { repeat: { type: 'boolean' }, sound: { type: 'string' } } },
    },
    required: ['minutes', 'message', 'options'],
  }),
];

test('an XML tool call arrives as JSON arguments of the schema\'s types', async () => {
  const answer = await openai.chat.completions.create({
    model, temperature: 0, max_completion_tokens: 400, messages: [{ role: 'user', content: 'Remind me to pray in 15 minutes.' }],
    tools: trainedTools, tool_choice: { type: 'function', function: { name: 'Reminder-Create' } },
  });

  const { message, finish_reason } = answer.choices[0];
  assert.equal(finish_reason, 'tool_calls', JSON.stringify(message));
  const [call] = message.tool_calls;
  assert.equal(call.function.name, 'Reminder-Create');
  const args = JSON.parse(call.function.arguments);
  assert.ok(Number.isInteger(args.minutes), call.function.arguments);
  assert.equal(typeof args.message, 'string');
  assert.equal(typeof args.options, 'object');
  assert.ok(!(message.content ?? '').includes('longcat_'), message.content);
});
