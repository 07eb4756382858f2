// Immediate feedback on queue and topic names and parameter ranges, mirroring the portal's checks in
// internal/actions/validate.go (AWS's naming rules). The portal checks again and has the last word: its 400
// answer names the offending fields, and the form shows those next to the fields.

const utf8 = new TextEncoder();

/** What is wrong with a name, or undefined when it is fine: the portal's checks in the portal's order. */
function nameProblem(name: string, fifo: boolean, max: number, what: 'queue' | 'topic'): string | undefined {
  if (name === '') return 'required';
  // The portal counts bytes; for names that pass the character check below, bytes and characters are the same.
  const length = utf8.encode(name).length;
  if (length > max) return `at most ${max} characters (has ${length})`;
  let base = name;
  if (name.endsWith('.fifo')) {
    if (!fifo) return `ends in .fifo, which only a FIFO ${what} may (tick FIFO)`;
    base = name.slice(0, -'.fifo'.length);
  } else if (fifo) {
    return `a FIFO ${what}'s name must end in .fifo`;
  }
  if (base === '') return 'needs characters before .fifo';
  for (const ch of base) {
    if (!/^[A-Za-z0-9_-]$/.test(ch)) {
      return `may contain only letters, digits, hyphens and underscores (found '${ch}')`;
    }
  }
  return undefined;
}

/** SQS: 1–80 letters, digits, hyphens and underscores; a FIFO queue's name ends in ".fifo" (counted in the 80). */
export function queueNameProblem(name: string, fifo: boolean): string | undefined {
  return nameProblem(name, fifo, 80, 'queue');
}

/** SNS: 1–256 letters, digits, hyphens and underscores; a FIFO topic's name ends in ".fifo". */
export function topicNameProblem(name: string, fifo: boolean): string | undefined {
  return nameProblem(name, fifo, 256, 'topic');
}

export interface SecondsRange {
  min: number;
  max: number;
  /** AWS's default when the field is left empty. */
  defaultValue: number;
  /** How the portal words the range. */
  words: string;
}

export const VISIBILITY_TIMEOUT: SecondsRange = { min: 0, max: 43_200, defaultValue: 30, words: '0–43200 (12 hours)' };
export const MESSAGE_RETENTION: SecondsRange = { min: 60, max: 1_209_600, defaultValue: 345_600, words: '60–1209600 (14 days)' };

/** A whole number of seconds typed into a field: undefined when empty, NaN when not a whole number. */
export function parseSeconds(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** What is wrong with a seconds field's text, or undefined (empty means AWS's default). */
export function secondsProblem(text: string, range: SecondsRange): string | undefined {
  const n = parseSeconds(text);
  if (n === undefined) return undefined;
  if (Number.isNaN(n)) return 'a whole number of seconds';
  if (n < range.min || n > range.max) return `must be ${range.words}`;
  return undefined;
}

/** "30 s", "5 min", "4 days", "12 hours", "1 day 2 hours" — a reading aid next to a seconds field. */
export function humanSeconds(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 60) return `${n} s`;
  const parts: string[] = [];
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'min'],
    [1, 's'],
  ];
  let rest = n;
  for (const [size, unit] of units) {
    const k = Math.floor(rest / size);
    if (k > 0) {
      parts.push(unit === 'min' || unit === 's' ? `${k} ${unit}` : `${k} ${unit}${k === 1 ? '' : 's'}`);
      rest -= k * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
