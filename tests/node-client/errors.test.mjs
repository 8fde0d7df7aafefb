// Refusals as the openai package sees them: a missing or wrong key (401), a malformed body or a field of the wrong type (400),
// each in OpenAI's error shape {"error": {"message", "type", "param", "code"}}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, model, post } from './server.mjs';

const hi = { model, messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 2 };

function assertErrorShape(error) {
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type'], JSON.stringify(error));
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
}

test('a wrong key is 401 invalid_api_key (AuthenticationError)', async () => {
  const wrong = client({ apiKey: 'not-the-key' });

  const e = await wrong.chat.completions.create(hi).catch((x) => x);

  assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
  assert.equal(e.status, 401);
  assert.equal(e.code, 'invalid_api_key');
  assertErrorShape(e.error);
});

test('no key is 401 missing_api_key with WWW-Authenticate: Bearer', async () => {
  const keyless = client({ defaultHeaders: { authorization: null } });   // null removes the client's own header

  const e = await keyless.chat.completions.create(hi).catch((x) => x);

  assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
  assert.equal(e.status, 401);
  assert.equal(e.code, 'missing_api_key');
  assert.equal(e.headers.get('www-authenticate'), 'Bearer');
  assertErrorShape(e.error);
});

test('a body that is not JSON is 400 invalid_json in OpenAI\'s error shape', async () => {
  const response = await post('/chat/completions', '{"messages": [{"role": "user", "content": "Hi"}');

  assert.equal(response.status, 400);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  const { error } = await response.json();
  assertErrorShape(error);
  assert.equal(error.type, 'invalid_request_error');
  assert.equal(error.code, 'invalid_json');
});

test('a field of the wrong type is 400 naming it (BadRequestError.param)', async () => {
  const e = await client().chat.completions.create({ ...hi, temperature: 'hot' }).catch((x) => x);

  assert.ok(e instanceof OpenAI.BadRequestError, String(e));
  assert.equal(e.status, 400);
  assert.equal(e.param, 'temperature');
  assertErrorShape(e.error);
});

test('messages missing is 400 naming messages', async () => {
  const e = await client().chat.completions.create({ model, max_completion_tokens: 2 }).catch((x) => x);

  assert.ok(e instanceof OpenAI.BadRequestError, String(e));
  assert.equal(e.param, 'messages');
});
