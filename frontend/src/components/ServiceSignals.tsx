import type { ServiceRow } from '../api/client';
import { quietSignals } from '../lib/dependencies';
import { count } from '../lib/format';
import { Badge } from './Badge';

/**
 * What a service's signals cell holds (the catalog's, a team's services): a badge per kind of signal, or without
 * one, that all is well — or, for a language Atrium does not read, that its dependencies were not checked.
 */
export function ServiceSignals({ service }: { service: Pick<ServiceRow, 'degraded' | 'findings' | 'outdated' | 'language'> }) {
  return (
    <>
      {(service.degraded ?? 0) > 0 && (
        <Badge tone="error" title={`${count(service.degraded ?? 0, 'deployment')} degraded or unavailable`}>
          {service.degraded} degraded
        </Badge>
      )}
      {service.findings > 0 && (
        <Badge tone="error" title={count(service.findings, 'finding')}>
          {count(service.findings, 'finding')}
        </Badge>
      )}
      {service.outdated > 0 && (
        <Badge tone="warn" title={`${count(service.outdated, 'dependency', 'dependencies')} behind the newest release`}>
          {service.outdated} outdated
        </Badge>
      )}
      {service.findings === 0 && service.outdated === 0 && !service.degraded && <QuietSignals language={service.language} />}
    </>
  );
}

/** The signals cell without a signal: all well, or — for a language Atrium does not read — not checked. */
function QuietSignals({ language }: { language: string }) {
  const q = quietSignals(language);
  return (
    <span className="muted" title={q.title} data-signals={q.checked ? 'none' : 'not-checked'}>
      {q.text}
    </span>
  );
}
