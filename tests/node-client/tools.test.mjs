// A tool round trip through the openai package against the demo model: the call (forced with tool_choice: the demo model was
// trained to call its clock tool on questions like these), the result sent back, the answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, collect, model } from './server.mjs';

const openai = client();
const clock = {
  type: 'function',
  function: {
    name: 'Clock-GetCurrentTime',
    description: 'Get the current time in a city.',
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'The city, e.g. Paris' } }, required: ['city'] },
  },
};

test('a tool call, its result, then an answer', async () => {
  const messages = [{ role: 'user', content: 'What time is it in Paris?' }];
  const call = await openai.chat.completions.create({
    model, temperature: 0, max_completion_tokens: 40, messages, tools: [clock], tool_choice: 'required',
  });

  const [choice] = call.choices;
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.content, null, 'an answer of tool calls alone has no content');
  assert.equal(choice.message.tool_calls.length, 1);
  const [toolCall] = choice.message.tool_calls;
  assert.match(toolCall.id, /^call_[0-9a-f]{24}$/);
  assert.equal(toolCall.type, 'function');
  assert.equal(toolCall.function.name, 'Clock-GetCurrentTime');
  assert.equal(typeof JSON.parse(toolCall.function.arguments).city, 'string', toolCall.function.arguments);

  messages.push(choice.message, { role: 'tool', tool_call_id: toolCall.id, content: '14:30' });
  const answer = await openai.chat.completions.create({ model, temperature: 0, max_completion_tokens: 40, messages, tools: [clock] });

  const text = answer.choices[0].message.content;
  assert.equal(answer.choices[0].finish_reason, 'stop', text);
  assert.ok(text.trim().length > 0, 'an answer after the result');
  assert.ok(!text.includes('longcat_tool'), text);
});

test('a streamed tool call arrives whole in one delta, with its index and id', async () => {
  const chunks = await collect(await openai.chat.completions.create({
    model, temperature: 0, max_completion_tokens: 40, stream: true,
    messages: [{ role: 'user', content: 'What time is it in Tokyo?' }],
    tools: [clock], tool_choice: { type: 'function', function: { name: 'Clock-GetCurrentTime' } },
  }));

  const calls = chunks.flatMap((c) => c.choices).flatMap((c) => c.delta.tool_calls ?? []);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].index, 0);
  assert.match(calls[0].id, /^call_/);
  assert.equal(calls[0].function.name, 'Clock-GetCurrentTime');
  assert.equal(typeof JSON.parse(calls[0].function.arguments), 'object');
  assert.deepEqual(chunks.flatMap((c) => c.choices).filter((c) => c.finish_reason).map((c) => c.finish_reason), ['tool_calls']);
  const text = chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? '').join('');
  assert.ok(!text.includes('longcat_tool'), text);
});
