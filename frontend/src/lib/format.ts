// Time formatting for the catalog and the sync indicator. Functions take `now` (and optionally locale and time
// zone) so they are pure and testable.

export function toDate(value: string | Date | undefined | null): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "just now", "5 min ago", "3 hours ago", "2 days ago", "4 months ago", "1 year ago" (or "in …" for the future). */
export function relativeTime(value: string | Date | undefined | null, now: Date): string {
  const d = toDate(value);
  if (!d) return 'never';
  const diff = Math.round((now.getTime() - d.getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 45) return 'just now';
  let text: string;
  if (abs < 90) text = '1 min';
  else if (abs < 45 * 60) text = `${Math.round(abs / 60)} min`;
  else if (abs < 90 * 60) text = '1 hour';
  else if (abs < 22 * 3600) text = plural(Math.round(abs / 3600), 'hour');
  else if (abs < 36 * 3600) text = '1 day';
  else if (abs < 26 * 86400) text = plural(Math.round(abs / 86400), 'day');
  else if (abs < 320 * 86400) text = plural(Math.max(1, Math.round(abs / (30 * 86400))), 'month');
  else text = plural(Math.max(1, Math.round(abs / (365 * 86400))), 'year');
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

export interface FormatOptions {
  locale?: string;
  timeZone?: string;
}

// Making an Intl formatter costs about as much as rendering a table row (a catalog page formats a time per row, at
// every keystroke), so each one is made once per locale, time zone and options.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(key, f);
  }
  return f;
}

const numberFormat = new Intl.NumberFormat('en-US');

/** The full date and time, for title attributes: "26 Nov 2026, 09:33:08 UTC". */
export function absoluteTime(value: string | Date | undefined | null, opts: FormatOptions = {}): string {
  const d = toDate(value);
  if (!d) return '';
  return dateFormat(opts.locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
    timeZone: opts.timeZone,
  }).format(d);
}

function dayKey(d: Date, timeZone: string | undefined): string {
  return dateFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** A short time: "09:33" today, "25 Nov, 09:33" on another day of this year, "25 Nov 2025, 09:33" before. */
export function shortTime(value: string | Date | undefined | null, now: Date, opts: FormatOptions = {}): string {
  const d = toDate(value);
  if (!d) return '';
  const time: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', timeZone: opts.timeZone };
  if (dayKey(d, opts.timeZone) === dayKey(now, opts.timeZone)) {
    return dateFormat(opts.locale, time).format(d);
  }
  const sameYear = dayKey(d, opts.timeZone).slice(0, 4) === dayKey(now, opts.timeZone).slice(0, 4);
  return dateFormat(opts.locale, {
    ...time,
    day: 'numeric',
    month: 'short',
    year: sameYear ? undefined : 'numeric',
  }).format(d);
}

/** "1 service", "75 services", "2 dependencies". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${numberFormat.format(n)} ${n === 1 ? singular : plural}`;
}

/** A name's possessive: "search's", and "payments'" for a name ending in s (never "payments's"). */
export function possessive(name: string): string {
  return /s$/i.test(name) ? `${name}'` : `${name}'s`;
}
