// A client that leaves mid-stream: the server stops generating for it and its KV blocks come back (read from /metrics).
// Run alone against its server (NodeClientTests does): the metrics must see no other request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, eventually, metrics, model } from './server.mjs';

test('aborting a stream after its first chunk frees its KV blocks and stops the generation', async () => {
  const before = await metrics();
  assert.equal(before.get('longcat_kv_blocks_used'), 0, 'the server starts idle');
  // 3000 tokens past any end of turn: seconds of generation, far more than the test waits for.
  const stream = await client().chat.completions.create({
    model, messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 3000, ignore_eos: true, temperature: 1, seed: 3,
    stream: true,
  });

  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    const during = await metrics();
    assert.equal(during.get('longcat_requests_in_flight'), 1);
    assert.ok(during.get('longcat_kv_blocks_used') > 0, 'the stream holds KV blocks');
    break;                                                            // the library aborts the request: the client goes away
  }

  assert.equal(chunks, 1);
  await eventually(async () => {
    const now = await metrics();
    return now.get('longcat_requests_in_flight') === 0 && now.get('longcat_kv_blocks_used') === 0 &&
      now.get('longcat_engine_requests_running') === 0 && now.get('longcat_engine_requests_waiting') === 0;
  }, 'the request ended and every KV block came back');
  const after = await metrics();
  const generated = after.get('longcat_completion_tokens_total') - before.get('longcat_completion_tokens_total');
  console.log(`generated ${generated} of 3000 tokens before the disconnect stopped it`);
  assert.ok(generated > 0 && generated < 3000, `${generated} tokens: the disconnect cancelled the generation`);
});
