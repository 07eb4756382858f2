// Usage events for the weekly-active KPI and smoke tests: fire-and-forget, failures ignored.
import { api, type UsageEvent } from '../api/client';

export function reportUsage(event: UsageEvent): void {
  api.postUsageEvent(event).catch(() => undefined);
}

let readySent = false;

/**
 * Sends ui.ready once per page load, when the first catalog page has rendered. It does not say whether the desktop
 * bindings are present (hasDesktopBindings()): the UsageEvent schema has no field for it and the local API refuses
 * unknown fields with 400, which reportUsage would swallow — the event would be lost, not enriched.
 */
export function reportReadyOnce(count: number): void {
  if (readySent) return;
  readySent = true;
  reportUsage({ kind: 'ui.ready', page: 'catalog', count });
}
