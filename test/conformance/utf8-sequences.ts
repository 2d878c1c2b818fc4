/**
 * The UTF-8 decoder test sequences Autobahn uses for its cases 6.5-6.23, after Markus Kuhn's
 * UTF-8-test.txt: each group becomes one Autobahn subsection, each sequence one case, sent as a
 * single text message. Valid ones must be echoed, invalid ones must fail the connection with 1007.
 */
export interface Utf8Group {
  title: string;
  sequences: Array<{ valid: boolean; bytes: Buffer }>;
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const valid = (s: string) => ({ valid: true, bytes: hex(s) });
const invalid = (s: string) => ({ valid: false, bytes: hex(s) });

/** "κόσμε": 2-, 3-, 2-, 2-, 2-byte code points. */
export const KOSME = hex('ceba e1bdb9 cf83 cebc ceb5');
const KOSME_BOUNDARIES = new Set([2, 5, 7, 9, 11]);
const HELLO = '68656c6c6f'; // "hello"
const WORLD = '776f726c64'; // "world"

/** Each byte of [from, to) followed by a space: Autobahn's "lonely start characters". */
function lonely(from: number, to: number): Buffer {
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(b, 0x20);
  return Buffer.from(out);
}

function range(from: number, to: number): Buffer {
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(b);
  return Buffer.from(out);
}

const missingLast = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbf'];

/** Non-characters U+FFFE/U+FFFF and U+nFFFE/U+nFFFF in planes 1-16 (valid UTF-8 per RFC 3629). */
function nonCharacters(): Array<{ valid: boolean; bytes: Buffer }> {
  const out = [valid('efbfbe'), valid('efbfbf')];
  for (const z1 of ['f0', 'f1', 'f2', 'f3', 'f4']) {
    for (const z2 of ['8f', '9f', 'af', 'bf']) {
      if (z1 === 'f4' && z2 !== '8f') continue; // beyond U+10FFFF
      if (z1 === 'f0' && z2 === '8f') continue; // overlong
      for (const z3 of ['be', 'bf']) out.push(valid(z1 + z2 + 'bf' + z3));
    }
  }
  return out;
}

/** In Autobahn's order: the first group is case 6.5.x, the last 6.23.x. */
export const UTF8_GROUPS: Utf8Group[] = [
  {
    title: 'Some valid UTF-8 sequences',
    sequences: [valid(HELLO + '24' + WORLD), valid(HELLO + 'c2a2' + WORLD), valid(HELLO + 'e282ac' + WORLD), valid(HELLO + 'f0a4ada2' + WORLD), { valid: true, bytes: KOSME }],
  },
  {
    title: 'All prefixes of a valid UTF-8 string that contains multi-byte code points',
    sequences: Array.from({ length: KOSME.length }, (_, i) => ({ valid: KOSME_BOUNDARIES.has(i + 1), bytes: KOSME.subarray(0, i + 1) })),
  },
  { title: 'First possible sequence of a certain length', sequences: [valid('00'), valid('c280'), valid('e0a080'), valid('f0908080')] },
  { title: 'First possible sequence length 5/6 (invalid codepoints)', sequences: [invalid('f888808080'), invalid('fc8480808080')] },
  { title: 'Last possible sequence of a certain length', sequences: [valid('7f'), valid('dfbf'), valid('efbfbf'), valid('f48fbfbf')] },
  { title: 'Last possible sequence length 4/5/6 (invalid codepoints)', sequences: [invalid('f7bfbfbf'), invalid('fbbfbfbfbf'), invalid('fdbfbfbfbfbf')] },
  { title: 'Other boundary conditions', sequences: [valid('ed9fbf'), valid('ee8080'), valid('efbfbd'), valid('f48fbfbf'), invalid('f4908080')] },
  {
    title: 'Unexpected continuation bytes',
    sequences: [
      invalid('80'), invalid('bf'), invalid('80bf'), invalid('80bf80'), invalid('80bf80bf'), invalid('80bf80bf80'), invalid('80bf80bf80bf'),
      { valid: false, bytes: range(0x80, 0xbf) },
    ],
  },
  {
    title: 'Lonely start characters',
    sequences: [[0xc0, 0xe0], [0xe0, 0xf0], [0xf0, 0xf8], [0xf8, 0xfc], [0xfc, 0xfe]].map(([a, b]) => ({ valid: false, bytes: lonely(a, b) })),
  },
  { title: 'Sequences with last continuation byte missing', sequences: missingLast.map(invalid) },
  { title: 'Concatenation of incomplete sequences', sequences: [invalid(missingLast.join(''))] },
  { title: 'Impossible bytes', sequences: [invalid('fe'), invalid('ff'), invalid('fefeffff')] },
  { title: 'Examples of an overlong ASCII character', sequences: ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map(invalid) },
  { title: 'Maximum overlong sequences', sequences: ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map(invalid) },
  { title: 'Overlong representation of the NUL character', sequences: ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map(invalid) },
  { title: 'Single UTF-16 surrogates', sequences: ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(invalid) },
  {
    title: 'Paired UTF-16 surrogates',
    sequences: ['eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf'].map(invalid),
  },
  { title: 'Non-character code points (valid UTF-8)', sequences: nonCharacters() },
  { title: 'Unicode specials (i.e. replacement char)', sequences: ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(valid) },
];
