#!/usr/bin/env node
// Writes tests/fixtures/spm/precompiled.json: what the Rust Hugging Face tokenizers library (npm
// @anush008/tokenizers) gives for tests/fixtures/spm/precompiled.tokenizer.json, a tokenizer.json
// whose normalizer is a `Precompiled` charsmap (SentencePiece's nmt_nfkc rules, taken from
// nfkc.model by spm_fixtures.py, shaped as transformers' SpmConverter writes them). No npm package
// ships such a tokenizer.json among the reference packages, so the reference is built from our own model.
//
//   hard:         the SentencePiece hard strings with ids and decode(ids)
//   brown_sample: every 1000th Brown line in full
//   brown_files:  per Brown file: lines, tokens, sha256 over "id,id,...\n" per line
//
// Usage: /usr/bin/python3 tools/reference/spm_fixtures.py && node tools/reference/precompiled_fixtures.mjs
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brownFiles } from './brown.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nm = path.join(root, '.cache/reference/node_modules');
const require = createRequire(path.join(nm, 'x.js'));
const { Tokenizer } = require('@anush008/tokenizers');
const dir = path.join(root, 'tests/fixtures/spm');

const tok = Tokenizer.fromFile(path.join(dir, 'precompiled.tokenizer.json'));
const encodeAll = async texts => (await tok.encodeBatch(texts, { addSpecialTokens: false })).map(e => Array.from(e.getIds()));

const strings = JSON.parse(fs.readFileSync(path.join(dir, 'hard_strings.json'), 'utf8'));
const ids = await encodeAll(strings);
const hard = [];
for (let i = 0; i < strings.length; i++) hard.push({ text: strings[i], ids: ids[i], decoded: await tok.decode(ids[i], false) });

const files = [];
const sample = [];
let n = 0;
for (const { file, lines } of brownFiles()) {
  const all = await encodeAll(lines);
  const h = createHash('sha256');
  let tokens = 0;
  for (let i = 0; i < lines.length; i++) {
    h.update(all[i].join(',') + '\n');
    tokens += all[i].length;
    if (n++ % 1000 === 0) sample.push({ text: lines[i], ids: all[i] });
  }
  files.push({ file, lines: lines.length, tokens, sha256: h.digest('hex') });
}
fs.writeFileSync(path.join(dir, 'precompiled.json'), JSON.stringify({
  tokenizer: 'precompiled.tokenizer.json', reference: '@anush008/tokenizers 0.6.0 (tokenizers crate 0.22)',
  hard, brown_sample: sample, brown_files: files,
}));
console.error(`precompiled: ${files.reduce((a, f) => a + f.tokens, 0)} Brown tokens`);
