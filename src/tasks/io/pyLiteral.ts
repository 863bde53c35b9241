/**
 * A parser for the Python literal that forms a .npy header: a dict of strings, booleans, None,
 * integers, tuples and lists, e.g. `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
 * Only that subset; anything else is a syntax error (the caller reports it with the file name).
 */

/** A parsed Python literal. Tuples and lists are both arrays. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

const TOKEN = /\s*(?:([{}()[\],:])|'([^'\\]*)'|"([^"\\]*)"|(-?\d+)L?|(True|False|None))/y;

type Token =
  | { kind: 'punct'; value: string }
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: number }
  | { kind: 'const'; value: boolean | null };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (;;) {
    const start = TOKEN.lastIndex;
    if (/^\s*$/.test(text.slice(start))) return tokens;
    const m = TOKEN.exec(text);
    if (!m)
      throw new SyntaxError(`unexpected text at offset ${start}: ${text.slice(start, start + 20)}`);
    if (m[1] !== undefined) tokens.push({ kind: 'punct', value: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'str', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'str', value: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'int', value: Number(m[4]) });
    else tokens.push({ kind: 'const', value: m[5] === 'None' ? null : m[5] === 'True' });
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseAll(): PyValue {
    const value = this.value();
    if (this.pos !== this.tokens.length) throw new SyntaxError('trailing tokens after the literal');
    return value;
  }

  private peekPunct(value: string): boolean {
    const t = this.tokens[this.pos];
    return t?.kind === 'punct' && t.value === value;
  }

  private expect(value: string): void {
    if (!this.peekPunct(value)) throw new SyntaxError(`expected "${value}"`);
    this.pos++;
  }

  private value(): PyValue {
    const t = this.tokens[this.pos];
    if (!t) throw new SyntaxError('unexpected end of literal');
    if (t.kind !== 'punct') {
      this.pos++;
      return t.value;
    }
    if (t.value === '{') return this.dict();
    if (t.value === '(') return this.sequence(')');
    if (t.value === '[') return this.sequence(']');
    throw new SyntaxError(`unexpected "${t.value}"`);
  }

  /** Items separated by commas, trailing comma allowed (Python's `(3,)`). */
  private items(close: string, item: () => void): void {
    this.pos++;
    while (!this.peekPunct(close)) {
      item();
      if (this.peekPunct(',')) this.pos++;
      else if (!this.peekPunct(close)) throw new SyntaxError(`expected "," or "${close}"`);
    }
    this.pos++;
  }

  private sequence(close: string): PyValue[] {
    const out: PyValue[] = [];
    this.items(close, () => out.push(this.value()));
    return out;
  }

  private dict(): { [key: string]: PyValue } {
    const out: { [key: string]: PyValue } = {};
    this.items('}', () => {
      const key = this.tokens[this.pos];
      if (key?.kind !== 'str') throw new SyntaxError('dict keys must be strings');
      this.pos++;
      this.expect(':');
      out[key.value] = this.value();
    });
    return out;
  }
}

/**
 * Parses a Python literal of the subset above.
 * @throws SyntaxError describing the first problem
 */
export function parsePyLiteral(text: string): PyValue {
  return new Parser(tokenize(text)).parseAll();
}
