/**
 * The API key must never leave the process except towards Solar Proof. Everything that is shown to
 * a person or a model (tool results, log lines, audit records) passes through a Redactor, which
 * replaces every occurrence of a known secret in the forms a server is likely to echo it in: raw,
 * URL-encoded (both ways), JSON-escaped (also with PHP's escaped "\/") and HTML-escaped.
 * Upstream text is redacted before it is cut to length, so no half of a key survives a cut.
 */
export type Redactor = (text: string) => string;

export const REDACTED = '[REDACTED]';

export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const needles = new Set<string>();
  for (const secret of secrets) {
    // Very short "secrets" would shred ordinary text; a real key is never this short.
    if (!secret || secret.length < 4) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
    needles.add(new URLSearchParams({ k: secret }).toString().slice(2));
    const json = JSON.stringify(secret).slice(1, -1);
    needles.add(json);
    needles.add(json.replaceAll('/', '\\/'));
    needles.add(escapeHtml(secret));
  }
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of ordered) out = out.split(needle).join(REDACTED);
    return out;
  };
}

/** A URL fit for logs and previews: the query string keeps its names, loses the key's value. */
export function redactUrl(url: URL | string): string {
  const copy = new URL(String(url));
  for (const name of [...copy.searchParams.keys()]) {
    if (/key|token|secret|password/i.test(name)) copy.searchParams.set(name, REDACTED);
  }
  return copy.toString();
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
