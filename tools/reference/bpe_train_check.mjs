#!/usr/bin/env node
// BPE training parity fixtures (issue 4, training): checks that a tokenizer.json trained by
// `dlm tokenizer train` loads in the Rust Hugging Face tokenizers (npm @anush008/tokenizers)
// and records the ids Rust gives, so dlm's tests can check their encoder against them.
//
// Run from the repository root after tools/reference/setup.sh:
//   node tools/reference/bpe_train_check.mjs            # regenerate tests/fixtures/bpe/*
//   node tools/reference/bpe_train_check.mjs --bench    # also time both trainers on all of Brown
//
// Writes under tests/fixtures/bpe/:
//   train.txt       every 20th line of the Brown corpus (tags stripped), the training text
//   heldout.txt     300 other Brown lines, never trained on
//   tokenizer.json, tokenizer_config.json
//                   what `./dlm tokenizer train --vocab-size 2000 --special <|user|> <|assistant|> <|eot|>`
//                   writes for train.txt (dlm's tests retrain and compare bytes)
//   expected.jsonl  {"text", "ids"} per line: Rust's encode (no added special tokens) of 300
//                   training lines, heldout.txt and hard strings (whitespace runs, digits,
//                   contractions, emoji, CJK, astral letters, combining marks, controls,
//                   special-token text inside a line); Rust's decode of the ids must give the text back
//   hf_merges.txt   the first 3000 merges ("left right", one per line) of the Hugging Face BPE
//                   trainer (Tokenizer.train, its default trainer: vocab 30000, no initial
//                   alphabet) on train.txt with the same pre-tokenizer; dlm's trainer must
//                   learn the same merges in the same order
// With --bench: writes .cache/bpe/brown.txt (all of Brown) and prints the seconds of the
// Hugging Face trainer (vocab 30000) and of `dlm tokenizer train` with 16000 and 30000 ids, wall
// clock and CPU (the CPU seconds are the fairer figure on a machine shared with other jobs).
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brownLines } from './brown.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const require = createRequire(path.join(root, '.cache', 'reference', 'node_modules', 'x.js'));
const { Tokenizer } = require('@anush008/tokenizers');
const out = path.join(root, 'tests', 'fixtures', 'bpe');
const specials = ['<|user|>', '<|assistant|>', '<|eot|>'];
const bench = process.argv.includes('--bench');

function dlm(args) {
  const t0 = process.hrtime.bigint();
  const stdout = execFileSync(path.join(root, 'dlm'), args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return { stdout, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const brown = brownLines();
fs.mkdirSync(out, { recursive: true });
const train = brown.filter((_, i) => i % 20 === 0);
const heldout = brown.filter((_, i) => i % 20 === 10).filter((_, i) => i % 9 === 0).slice(0, 300);
fs.writeFileSync(path.join(out, 'train.txt'), train.join('\n') + '\n');
fs.writeFileSync(path.join(out, 'heldout.txt'), heldout.join('\n') + '\n');

dlm(['tokenizer', 'train', '--vocab-size', '2000', '--special', ...specials, '--eos', '<|eot|>',
  '--out', out, '--', path.join(out, 'train.txt')]);
const tok = Tokenizer.fromFile(path.join(out, 'tokenizer.json'));

const hard = [
  '', ' ', '  ', '\n', '\n\n', ' \n ', 'a  b   c    d', 'tabs\tand\t\tmore', 'trailing spaces   ', '   leading',
  'line one\nline two\r\nline three\r', 'x\u00a0y\u2003z\u3000w', 'nel\u0085here', 'ctrl\u0001\u001f\u007fchars',
  "I'm sure you'll see they've said it's 'quoted' don't I'D", "'s's 're've 'll'm'd ''s",
  '1234567890 3.14159 1,000,000 2024-11-22 12:30pm', '½ ¾ ٣٤ ⅠⅡⅢ ²³', '$100 + 50% = #1 @home & <tags>',
  'emoji 😀😃 👍🏽 👨‍👩‍👧 🇫🇷', '中文字符测试 日本語のテキスト 한국어 텍스트', 'Ελληνικά Русский עברית العربية हिन्दी',
  'astral letters 𝐀𝐁𝐂 and 𠀀𠀁 ext-B', 'e\u0301 combining a\u0308\u0304 marks', 'zero\u200bwidth\u200djoiner\ufeffbom',
  '<|user|>Hello there<|eot|><|assistant|>Hi!<|eot|>', 'mid<|user|>line <|eot|> with  <|assistant|>  spaces',
  '<|user|<|eot|>> partial <|us er|> <|EOT|>', '<|eot|><|eot|><|eot|>', 'The Fulton County Grand Jury said Friday',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'thethethethe the the the', '....!!!???,,,;;;---___',
  'MiXeD CaSe WORDS and CamelCaseIdentifiers snake_case_names', 'https://example.com/path?q=1&r=2#frag',
  '    indented code() {\n        return x;\n    }', 'ends with newline\n', '\t\n\u000b\u000c\r mixed whitespace',
];
const lines = [...train.slice(0, 300), ...heldout, ...hard];
const rows = [];
for (const text of lines) {
  const enc = await tok.encode(text, null, { addSpecialTokens: false });
  const ids = enc.getIds();
  const back = await tok.decode(ids, false);
  if (back !== text) throw new Error(`Rust decode does not round-trip ${JSON.stringify(text)}: ${JSON.stringify(back)}`);
  rows.push(JSON.stringify({ text, ids }));
}
fs.writeFileSync(path.join(out, 'expected.jsonl'), rows.join('\n') + '\n');

// The Hugging Face trainer on the same text, with our pre-tokenizer and no special tokens.
function hfTrain(file) {
  const spec = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
  spec.added_tokens = [];
  spec.model.vocab = {};
  spec.model.merges = [];
  const t = Tokenizer.fromString(JSON.stringify(spec));
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  t.train([file]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c1 = process.cpuUsage(c0), cpuSeconds = (c1.user + c1.system) / 1e6; // all threads of this process
  const tmp = path.join(os.tmpdir(), `hf-bpe-${process.pid}.json`);
  t.save(tmp, false);
  const merges = JSON.parse(fs.readFileSync(tmp, 'utf8')).model.merges
    .map(m => Array.isArray(m) ? m.join(' ') : m);
  fs.rmSync(tmp);
  return { merges, seconds, cpuSeconds };
}
const hf = hfTrain(path.join(out, 'train.txt'));
fs.writeFileSync(path.join(out, 'hf_merges.txt'), hf.merges.slice(0, 3000).join('\n') + '\n');
console.log(`fixtures written to ${path.relative(root, out)}: ${rows.length} encoded lines, ${Math.min(3000, hf.merges.length)} HF merges`);

if (bench) {
  const dir = path.join(root, '.cache', 'bpe');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'brown.txt');
  fs.writeFileSync(file, brown.join('\n') + '\n');
  const mb = fs.statSync(file).size / 1e6;
  const h = hfTrain(file);
  const d16 = dlm(['tokenizer', 'train', '--vocab-size', '16000', '--special', ...specials, '--json', '--out', path.join(dir, 'v16k'), '--', file]);
  const d30 = dlm(['tokenizer', 'train', '--vocab-size', '30000', '--json', '--out', path.join(dir, 'v30k'), '--', file]);
  const s16 = JSON.parse(d16.stdout), s30 = JSON.parse(d30.stdout);
  console.log(JSON.stringify({
    corpus_mb: +mb.toFixed(2), cores: os.cpus().length,
    hf_train_seconds_vocab30000: +h.seconds.toFixed(2), hf_cpu_seconds_vocab30000: +h.cpuSeconds.toFixed(2), hf_merges: h.merges.length,
    dlm_seconds_vocab30000: s30.total_seconds, dlm_cpu_seconds_vocab30000: s30.cpu_seconds, dlm_merges_vocab30000: s30.merges, dlm_process_seconds_vocab30000: +d30.seconds.toFixed(2),
    dlm_seconds_vocab16000: s16.total_seconds, dlm_cpu_seconds_vocab16000: s16.cpu_seconds, dlm_merges_vocab16000: s16.merges, dlm_process_seconds_vocab16000: +d16.seconds.toFixed(2),
    speedup_vs_hf_vocab30000: +(h.seconds / s30.total_seconds).toFixed(2),
    cpu_ratio_hf_over_dlm_vocab30000: +(h.cpuSeconds / s30.cpu_seconds).toFixed(2),
  }, null, 2));
}
