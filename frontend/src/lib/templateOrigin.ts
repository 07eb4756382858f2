// Where a golden-path template was read (GET /api/v1/templates: source, source_version, path), said as the CLI says
// it (atrium templates): "built in", or a templates repository's owner/name@commit:path — git's notation, so that
// `git show COMMIT:PATH` in a clone lists the template the portal serves.
import type { TemplateSummary } from '../api/client';

export function templateOrigin(t: Pick<TemplateSummary, 'source' | 'source_version' | 'path'>): string {
  if (t.source === 'builtin') return 'built in';
  if (!t.source_version) return t.source;
  const path = t.path && t.path !== '.' ? t.path : '/';
  return `${t.source.replace(/^github:/, '')}@${shortSHA(t.source_version)}:${path}`;
}

/** A commit abbreviated as git does (seven characters); anything else as it is. */
export function shortSHA(v: string): string {
  return /^[0-9a-f]{40}$/.test(v) ? v.slice(0, 7) : v;
}
