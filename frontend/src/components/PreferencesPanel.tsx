import { useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type FleetEffective, type Preferences } from '../api/client';
import { useFleet } from '../hooks/useFleet';
import { FEATURE_PAGES, LANDING_PAGES } from '../lib/fleet';
import { absoluteTime } from '../lib/format';
import styles from './PreferencesPanel.module.css';

/** A page's choice in the form: follow what applies (the configuration or the page's flag), or on, or off. */
type PageChoice = '' | 'on' | 'off';

interface Draft {
  team: string;
  landing: string;
  pages: Record<string, PageChoice>;
}

function draftOf(p: Preferences): Draft {
  const pages: Record<string, PageChoice> = {};
  for (const page of Object.keys(FEATURE_PAGES)) {
    const v = p.features?.[page];
    pages[page] = v === undefined ? '' : v ? 'on' : 'off';
  }
  return { team: p.team ?? '', landing: p.landing_page ?? '', pages };
}

function preferencesOf(d: Draft): Preferences {
  const features: Record<string, boolean> = {};
  for (const [page, c] of Object.entries(d.pages)) if (c !== '') features[page] = c === 'on';
  const p: Preferences = {};
  if (d.team.trim()) p.team = d.team.trim();
  if (d.landing) p.landing_page = d.landing;
  if (Object.keys(features).length > 0) p.features = features;
  return p;
}

/** Whether the fleet configuration enforces a setting (the user's choice for it is ignored). */
function enforced(e: FleetEffective, key: string): boolean {
  return e.modes[key] === 'enforced';
}

const FROM_TEXT: Record<string, string> = {
  fleet: 'set by your platform team',
  user: 'your choice',
  grant: 'from your role on the portal',
};

/**
 * The user's own choices on this install — team, landing page, pages — where the platform team's fleet
 * configuration allows them: a setting it enforces is shown, not editable; one it marks a default (or does not
 * set) is the user's to change. Also what the install applied and which portal key it trusts.
 */
export function PreferencesPanel() {
  const { effective: e, set } = useFleet();
  const [draft, setDraft] = useState<Draft | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState('');
  if (!e) return null;
  const d = draft ?? draftOf(e.preferences);
  const change = (patch: Partial<Draft>) => {
    setDraft({ ...d, ...patch });
    setSaved('');
    setError(null);
  };
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const next = await api.putPreferences(preferencesOf(d));
      set(next);
      setDraft(null);
      setSaved('Saved: they apply now.');
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };
  const teamLocked = e.team_from === 'fleet' && enforced(e, 'default_team');
  const landingLocked = enforced(e, 'landing_page') && e.from.landing_page === 'fleet';
  const pageLocked = (page: string) => e.from[`features/${page}`] === 'fleet' && enforced(e, 'features');
  const problem = (field: string) => error?.fieldProblem(field);

  return (
    <section className="panel" aria-labelledby="prefs-heading" data-testid="preferences">
      <h2 id="prefs-heading">Your preferences</h2>
      <p className="muted" data-testid="fleet-applied">
        {e.version > 0
          ? `This install applies your platform team's fleet configuration version ${e.version}.`
          : 'Your platform team has pushed no fleet configuration to this install.'}
        {e.key && ` It trusts the portal key ${e.key.key_id}${e.key.pinned_at ? ` (since ${absoluteTime(e.key.pinned_at)})` : ''}.`}
      </p>
      <form className={styles.form} onSubmit={(ev) => void submit(ev)} noValidate>
        <div className="field">
          <label htmlFor="pref-team">Team</label>
          <input
            id="pref-team"
            type="text"
            value={teamLocked ? e.team : d.team}
            placeholder={e.team && e.team_from !== 'user' ? `${e.team} (${FROM_TEXT[e.team_from ?? ''] ?? ''})` : 'your team in the catalog'}
            disabled={teamLocked}
            onChange={(ev) => change({ team: ev.target.value })}
            aria-invalid={problem('team') ? true : undefined}
          />
          <p className={problem('team') ? 'field-problem' : 'field-help'}>
            {problem('team') ?? (teamLocked ? 'Set by your platform team.' : "Which team's settings apply here; empty: the team of your role.")}
          </p>
        </div>
        <div className="field">
          <label htmlFor="pref-landing">Open on</label>
          <select id="pref-landing" value={landingLocked ? (e.landing_page ?? '') : d.landing} disabled={landingLocked} onChange={(ev) => change({ landing: ev.target.value })}>
            <option value="">{landingLocked ? '' : `Default${e.landing_page && e.from.landing_page !== 'user' ? ` (${LANDING_PAGES[e.landing_page]?.label ?? e.landing_page})` : ' (Catalog)'}`}</option>
            {Object.entries(LANDING_PAGES).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
          {landingLocked && <p className="field-help">Set by your platform team.</p>}
        </div>
        <fieldset className={styles.pages}>
          <legend>Pages</legend>
          {Object.entries(FEATURE_PAGES).map(([page, info]) => {
            const locked = pageLocked(page);
            const on = e.features[page];
            return (
              <label key={page} className={styles.page}>
                <span>{info.label}</span>
                <select
                  aria-label={`${info.label} page`}
                  value={locked ? (on ? 'on' : 'off') : (d.pages[page] ?? '')}
                  disabled={locked}
                  onChange={(ev) => change({ pages: { ...d.pages, [page]: ev.target.value as PageChoice } })}
                >
                  {!locked && <option value="">Default</option>}
                  <option value="on">On</option>
                  <option value="off">Off</option>
                </select>
                <span className="muted">{locked ? 'set by your platform team' : e.from[`features/${page}`] ? FROM_TEXT[e.from[`features/${page}`] ?? ''] : ''}</span>
              </label>
            );
          })}
        </fieldset>
        {error && error.fields.length === 0 && (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        )}
        {saved && (
          <p className="form-saved" role="status">
            {saved}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy || draft === null}>
            {busy ? 'Saving…' : 'Save preferences'}
          </button>
        </div>
      </form>
    </section>
  );
}
