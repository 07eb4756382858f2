// What the command palette offers besides services: the pages of the nav, and actions that have a page of their
// own. Pure, so that the list is tested apart from the palette.
import type { Command } from '../components/CommandPalette';
import { newFlagHash, newRequestHash, SOURCES_HASH } from './router';

/** A nav item as App shows it: its route's name, label and where it goes now. */
export interface NavEntry {
  name: string;
  label: string;
  href: string;
}

/** The palette's pages and actions for the nav items this user sees. */
export function paletteCommands(nav: readonly NavEntry[]): Command[] {
  const shown = new Set(nav.map((n) => n.name));
  const out: Command[] = nav.map((n) => ({ id: `page:${n.name}`, group: 'Pages', label: n.label, href: n.href }));
  if (!shown.has('sources')) out.push({ id: 'page:sources', group: 'Pages', label: 'Sources', hint: 'Sync progress, errors and rate limits', href: SOURCES_HASH });
  if (shown.has('new_service')) {
    out.push({ id: 'action:new-service', group: 'Actions', label: 'Create a service', hint: 'From a golden-path template', href: '#/new-service' });
  }
  if (shown.has('requests')) {
    out.push({ id: 'action:request', group: 'Actions', label: 'Request a resource', hint: 'An SQS queue or SNS topic for a service', href: newRequestHash() });
  }
  if (shown.has('flags')) out.push({ id: 'action:new-flag', group: 'Actions', label: 'Create a feature flag', href: newFlagHash() });
  return out;
}
