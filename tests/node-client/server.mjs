// The server under test, as NodeClientTests (tests/LongCat.Sdk.Tests/Server) started it: `longcat serve` on a loopback port.
// LONGCAT_BASE_URL: its OpenAI base URL (http://127.0.0.1:PORT/v1); LONGCAT_API_KEY: the key it was given; LONGCAT_MODEL: the
// served model's id. A script run without them fails at once, naming what is missing.
import assert from 'node:assert/strict';
import OpenAI from 'openai';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run these scripts through NodeClientTests, or set it to a running longcat serve's value`);
  return value;
}

export const baseURL = required('LONGCAT_BASE_URL');
export const apiKey = required('LONGCAT_API_KEY');
export const model = required('LONGCAT_MODEL');

/** The official client, retries off (a 429 or 5xx shows at once), with `options` over the defaults. */
export function client(options = {}) {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0, ...options });
}

/** A raw POST to `path` under the base URL (what the client would never send), with the key unless `key` is null. */
export function post(path, body, key = apiKey) {
  const headers = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${baseURL}${path}`, { method: 'POST', headers, body });
}

/** /metrics (beside /v1) as name{labels} -> value. */
export async function metrics() {
  const response = await fetch(new URL('/metrics', baseURL), { headers: { authorization: `Bearer ${apiKey}` } });
  assert.equal(response.status, 200, '/metrics');
  const values = new Map();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** Waits for `condition` (what the server finishes after answering), failing after a minute: far beyond what it takes, so
 * only a condition that never holds fails. */
export async function eventually(condition, what) {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, `never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The chunks of a streamed answer, in order. */
export async function collect(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}
