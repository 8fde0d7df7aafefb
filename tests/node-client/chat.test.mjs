// Chat completions through the openai package against the demo model: plain and streamed answers, usage in the stream, n > 1,
// and response_format with a JSON schema. The assertions are about the wire contract, not the small model's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, collect, model } from './server.mjs';

const openai = client();
const greedy = { model, temperature: 0, max_completion_tokens: 10 };
const user = (content) => [{ role: 'user', content }];

test('a plain answer has the completion shape and consistent usage', async () => {
  const answer = await openai.chat.completions.create({ ...greedy, messages: user('Continue: In the beginning God') });

  assert.equal(answer.object, 'chat.completion');
  assert.match(answer.id, /^chatcmpl-/);
  assert.equal(answer.model, model);
  assert.equal(answer.choices.length, 1);
  const [choice] = answer.choices;
  assert.equal(choice.message.role, 'assistant');
  assert.ok(choice.message.content.length > 0, 'an answer');
  assert.ok(['stop', 'length'].includes(choice.finish_reason), choice.finish_reason);
  assert.ok(answer.usage.prompt_tokens > 0);
  assert.ok(answer.usage.completion_tokens > 0 && answer.usage.completion_tokens <= 10, `${answer.usage.completion_tokens} tokens`);
  assert.equal(answer.usage.total_tokens, answer.usage.prompt_tokens + answer.usage.completion_tokens);
});

test('a streamed answer is the plain answer in chunks, then the finish reason, then the usage', async () => {
  const messages = user('Continue: And God said');
  const whole = await openai.chat.completions.create({ ...greedy, messages });

  const chunks = await collect(await openai.chat.completions.create({ ...greedy, messages, stream: true, stream_options: { include_usage: true } }));

  const text = chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? '').join('');
  assert.equal(text, whole.choices[0].message.content, 'the deltas add up to the non-streamed answer');
  assert.ok(chunks.filter((c) => c.choices[0]?.delta.content).length > 1, 'the answer arrives in several chunks');
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const finishes = chunks.flatMap((c) => c.choices).filter((c) => c.finish_reason !== null);
  assert.deepEqual(finishes.map((c) => c.finish_reason), [whole.choices[0].finish_reason]);
  // include_usage: every chunk has usage null but the last, which has no choices.
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, whole.usage);
  assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'usage is null before the last chunk');
});

test('a stream without include_usage carries no usage', async () => {
  const chunks = await collect(await openai.chat.completions.create({ ...greedy, messages: user('Hello!'), stream: true }));

  assert.ok(chunks.length > 1);
  assert.ok(chunks.every((c) => c.usage == null && c.choices.length === 1), 'no usage chunk');
});

test('n = 3 gives three choices; choice i is what a single request with seed + i gets', async () => {
  const sampled = { model, temperature: 1, seed: 5, max_completion_tokens: 8, ignore_eos: true };   // ignore_eos: vLLM's extension

  const answer = await openai.chat.completions.create({ ...sampled, messages: user('Hello!'), n: 3 });
  const single = await openai.chat.completions.create({ ...sampled, seed: 6, messages: user('Hello!') });

  assert.deepEqual(answer.choices.map((c) => c.index), [0, 1, 2]);
  assert.ok(answer.choices.every((c) => c.finish_reason === 'length' && c.message.content.length > 0));
  assert.equal(answer.usage.completion_tokens, 3 * 8, 'usage counts every choice');
  assert.equal(answer.choices[1].message.content, single.choices[0].message.content);
});

test('n = 2 streamed: each choice streams under its index and finishes once', async () => {
  const request = { model, temperature: 1, seed: 11, max_completion_tokens: 6, ignore_eos: true, messages: user('Who are you?'), n: 2 };
  const whole = await openai.chat.completions.create(request);

  const chunks = await collect(await openai.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } }));

  for (const index of [0, 1]) {
    const parts = chunks.flatMap((c) => c.choices).filter((c) => c.index === index);
    assert.equal(parts.map((c) => c.delta.content ?? '').join(''), whole.choices[index].message.content, `choice ${index}`);
    assert.deepEqual(parts.filter((c) => c.finish_reason).map((c) => c.finish_reason), ['length']);
  }
  assert.equal(chunks.at(-1).usage.completion_tokens, 12);
});

test('response_format json_schema: the answer parses and holds to the schema', async () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 20 }, age: { type: 'integer', minimum: 0, maximum: 150 } },
    required: ['name', 'age'],
    additionalProperties: false,
  };

  const answer = await openai.chat.completions.create({
    model, temperature: 0, max_completion_tokens: 60, messages: user('Describe a person as JSON.'),
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
  });

  const text = answer.choices[0].message.content;
  assert.equal(answer.choices[0].finish_reason, 'stop', text);
  const person = JSON.parse(text);
  assert.deepEqual(Object.keys(person).sort(), ['age', 'name'], text);
  assert.equal(typeof person.name, 'string');
  assert.ok(person.name.length <= 20, text);
  assert.ok(Number.isInteger(person.age) && person.age >= 0 && person.age <= 150, text);
});
