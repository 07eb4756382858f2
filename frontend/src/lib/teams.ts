// How a team is named on screen. A team has a name (what the catalog's owner column, filters, URLs, flags,
// policies and the CLI use: "platform") and a display name ("Developer Platform"). Showing one here and the other
// there made one team look like two, so the name always leads, and the display name follows where it says more.
import type { Team } from '../api/client';

/** "platform (Developer Platform)", or "payments" when the display name adds nothing. */
export function teamLabel(t: Pick<Team, 'name' | 'display_name'>): string {
  const display = t.display_name?.trim() ?? '';
  return display && display.toLowerCase() !== t.name.toLowerCase() ? `${t.name} (${display})` : t.name;
}
