/**
 * The API key must never leave the process except towards Solar Proof. Everything that is shown to
 * a person or a model (tool results, log lines, audit records) passes through a Redactor, which
 * replaces every occurrence of a known secret in the forms a server is likely to echo it in.
 *
 * Each character of the key may appear as itself (in either letter case), percent-encoded once or
 * twice (%2B, %2b, %252B; "+" for a space), JSON-escaped (\/, \", \\, \t, \uXXXX) or as an HTML
 * character reference (&amp; &lt; &gt; &quot; &apos;, decimal &#39; &#039;, hex &#x27;), in any
 * mix; where the key has whitespace, any run of whitespace or control characters stands in for it
 * (cleanUpstreamText flattens such runs to one space, which would otherwise rebuild the key).
 * The key's base64 encoding (standard or URL-safe alphabet, at any byte offset) is replaced too,
 * apart from the one or two characters at each end that also depend on neighbouring bytes.
 * Upstream text is redacted before it is cut to length, so no half of a key survives a cut.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** Base64 fragments shorter than this could turn up in ordinary text. */
const MIN_BASE64_CORE = 8;

export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const passes: Array<(text: string) => string> = [];
  // The longer secret first, so a shorter one inside it cannot leave the longer one's tail.
  const ordered = [...new Set(secrets)]
    // Very short "secrets" would shred ordinary text; a real key is never this short.
    .filter((secret): secret is string => typeof secret === 'string' && secret.trim().length >= 4)
    .sort((a, b) => b.length - a.length);
  for (const secret of ordered) {
    const pattern = new RegExp(secretPattern(secret), 'gi');
    const cores = base64Cores(secret);
    passes.push((text) => {
      let out = text.replace(pattern, REDACTED);
      for (const core of cores) if (out.includes(core)) out = out.split(core).join(REDACTED);
      return out;
    });
  }
  if (passes.length === 0) return (text) => text;
  // Every form of a character of the key is at least one UTF-16 unit, and a base64 core is as long
  // as it is: text shorter than the shortest form of every secret holds none of them.
  const shortest = Math.min(...ordered.map(shortestForm));
  return (text) => {
    if (text.length < shortest) return text;
    let out = text;
    for (const pass of passes) out = pass(out);
    return out;
  };
}

/** The fewest UTF-16 units any redacted form of the secret can take (see createRedactor). */
function shortestForm(secret: string): number {
  // A run of whitespace in the key can stand for itself as one character; every other character is one unit or more.
  const runs = secret.replace(EDGE_WHITESPACE, '').split(WHITESPACE_RUN);
  const characters = runs.reduce((sum, run) => sum + [...run].length, 0) + (runs.length - 1);
  return Math.min(characters, ...base64Cores(secret).map((core) => core.length));
}

/**
 * One alternation per character of the secret, every alternative but the whitespace class of a
 * fixed length, so matching is linear in the text. Whitespace at either end of the secret is left
 * out: a pattern that could start with a run would rescan that run from each of its positions.
 */
function secretPattern(secret: string): string {
  const parts: string[] = [];
  const chars = [...secret.replace(EDGE_WHITESPACE, '')];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    if (!WHITESPACE.test(char)) {
      const { raw, json, encoded } = forms(char);
      parts.push(`(?:${[raw, ...json, ...encoded].join('|')})`);
      continue;
    }
    // A run of whitespace in the key is one repeated group: two repeated groups side by side
    // would backtrack quadratically over a long run of spaces. Its alternatives must exclude one
    // another (one class takes every raw whitespace character, one every JSON escape of one):
    // a repeated group whose alternatives overlap backtracks exponentially.
    const run = new Set<string>([WHITESPACE_CLASS, JSON_WHITESPACE]);
    for (; i < chars.length && WHITESPACE.test(chars[i] as string); i++) {
      for (const form of forms(chars[i] as string).encoded) run.add(form);
    }
    i--;
    parts.push(`(?:${[...run].join('|')})+`);
  }
  return parts.join('');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: whitespace and controls are what is matched.
const WHITESPACE = /[\s\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: whitespace and controls are what is matched.
const WHITESPACE_RUN = /[\s\u0000-\u001f\u007f-\u009f]+/;
const WHITESPACE_CLASS = '[\\s\\u0000-\\u001f\\u007f-\\u009f]';
/** A JSON escape of a whitespace or control character: \\n, \\t, \\u0020 (and, harmlessly, of any character). */
const JSON_WHITESPACE = '\\\\(?:[bfnrt]|u00[0-9a-f]{2})';
// biome-ignore lint/suspicious/noControlCharactersInRegex: whitespace and controls are what is matched.
const EDGE_WHITESPACE = /^[\s\u0000-\u001f\u007f-\u009f]+|[\s\u0000-\u001f\u007f-\u009f]+$/g;

const JSON_SHORT: Record<string, string> = {
  '"': '\\\\"',
  '\\': '\\\\\\\\',
  '/': '\\\\/',
  '\b': '\\\\b',
  '\f': '\\\\f',
  '\n': '\\\\n',
  '\r': '\\\\r',
  '\t': '\\\\t',
};
const HTML_NAMED: Record<string, string[]> = {
  '&': ['&amp;'],
  '<': ['&lt;'],
  '>': ['&gt;'],
  '"': ['&quot;'],
  "'": ['&apos;'],
};

interface Forms {
  raw: string;
  json: string[];
  /** Percent-encoded, "+" for a space, HTML character references. */
  encoded: string[];
}

/** Regex sources for every form one character can take; the pattern's `i` flag covers hex case. */
function forms(char: string): Forms {
  const bytes = [...Buffer.from(char, 'utf8')].map((byte) => byte.toString(16).padStart(2, '0'));
  const encoded = [bytes.map((hex) => `%${hex}`).join(''), bytes.map((hex) => `%25${hex}`).join('')];
  if (char === ' ') encoded.push('\\+', '%2b');
  const code = char.codePointAt(0) ?? 0;
  encoded.push(`&#0*${code};`, `&#x0*${code.toString(16)};`);
  for (const named of HTML_NAMED[char] ?? []) encoded.push(escapeRegExp(named));
  const json = JSON_SHORT[char] ? [JSON_SHORT[char]] : [];
  // JSON escapes UTF-16 units: a character outside the BMP is two \\u escapes.
  json.push(
    char
      .split('')
      .map((unit) => `\\\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`)
      .join(''),
  );
  return { raw: escapeRegExp(char), json, encoded };
}

/**
 * The part of the secret's base64 encoding that depends on the secret alone, at each of the three
 * byte offsets it can start at, in both alphabets.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Character j carries bits 6j..6j+5: keep those whose bits all belong to the secret.
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const core = encoded.slice(first, end);
    if (core.length < MIN_BASE64_CORE) continue;
    cores.add(core);
    cores.add(core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...cores];
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** A URL fit for logs and previews: the query string keeps its names, loses the key's value. */
export function redactUrl(url: URL | string): string {
  const copy = new URL(String(url));
  for (const name of [...copy.searchParams.keys()]) {
    if (/key|token|secret|password/i.test(name)) copy.searchParams.set(name, REDACTED);
  }
  return copy.toString();
}
