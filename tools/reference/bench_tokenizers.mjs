#!/usr/bin/env node
// Times the Rust Hugging Face tokenizers (npm @anush008/tokenizers: the `tokenizers` crate behind
// a Node binding) encoding every line of a text file, for `dlm bench tokenize` to compare against.
//
//   node tools/reference/bench_tokenizers.mjs --tokenizer PATH --input FILE [--seconds S]
//
// PATH is a tokenizer.json or a folder holding one. Prints one JSON object:
//   batch_mb_per_s     encodeBatch over all lines (Rust parallel over lines unless
//                      TOKENIZERS_PARALLELISM=false, then one thread: the fair single-thread figure)
//   single_mb_per_s    one awaited encode() per line (includes the binding's per-call overhead)
//   tokens_per_s       tokens per second of the batch run; bytes = UTF-8 bytes of the lines
// Each figure is the best of several timed passes after a warm-up pass (caches warm, as dlm's).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, '.cache/reference/node_modules/x.js'));
const { Tokenizer } = require('@anush008/tokenizers');

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.tokenizer || !args.input) { console.error('usage: bench_tokenizers.mjs --tokenizer PATH --input FILE [--seconds S]'); process.exit(2); }
let file = args.tokenizer;
if (fs.statSync(file).isDirectory()) file = path.join(file, 'tokenizer.json');
const seconds = Number(args.seconds ?? 3);
const tok = Tokenizer.fromFile(file);
const lines = fs.readFileSync(args.input, 'utf8').split('\n').map(l => l.replace(/\r$/, '')).filter(l => l.length > 0);
const bytes = lines.reduce((a, l) => a + Buffer.byteLength(l, 'utf8'), 0);

async function timeIt(fn) {
  await fn(); // warm-up
  let best = Infinity, total = 0, result;
  while (total < seconds * 1000) {
    const t0 = process.hrtime.bigint();
    result = await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    best = Math.min(best, ms);
    total += ms;
  }
  return { ms: best, result };
}

const CHUNK = 4096;
const batch = await timeIt(async () => {
  let tokens = 0;
  for (let i = 0; i < lines.length; i += CHUNK)
    for (const e of await tok.encodeBatch(lines.slice(i, i + CHUNK), { addSpecialTokens: false })) tokens += e.getLength();
  return tokens;
});
const single = await timeIt(async () => {
  let tokens = 0;
  for (const l of lines) tokens += (await tok.encode(l, null, { addSpecialTokens: false })).getLength();
  return tokens;
});
console.log(JSON.stringify({
  library: '@anush008/tokenizers',
  parallelism: process.env.TOKENIZERS_PARALLELISM ?? 'default',
  lines: lines.length,
  bytes,
  tokens: batch.result,
  batch_mb_per_s: bytes / 1e6 / (batch.ms / 1000),
  single_mb_per_s: bytes / 1e6 / (single.ms / 1000),
  tokens_per_s: batch.result / (batch.ms / 1000),
}));
