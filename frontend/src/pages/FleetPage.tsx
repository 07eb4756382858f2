import { useState } from 'react';
import { api, type FleetVersion } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { absoluteTime, shortTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { EMPTY_INSTALL_FILTERS, FLEET_HASH, fleetHistoryHash, fleetInstallsHash, type InstallFilters } from '../lib/router';
import { FleetConfigEditor } from '../components/FleetConfigEditor';
import { FleetHistory } from '../components/FleetHistory';
import { FleetInstalls } from '../components/FleetInstalls';
import { ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import styles from './FleetPage.module.css';

export type FleetTab = 'config' | 'history' | 'installs';

interface Props {
  tab: FleetTab;
  /** The history's open version (0: the newest). */
  version?: number;
  /** The installs list's filters. */
  filters?: InstallFilters;
}

const TABS: { tab: FleetTab; label: string; hash: string }[] = [
  { tab: 'config', label: 'Configuration', hash: FLEET_HASH },
  { tab: 'history', label: 'History', hash: fleetHistoryHash() },
  { tab: 'installs', label: 'Installs', hash: fleetInstallsHash() },
];

/**
 * The Fleet page (admins): the configuration every desktop install applies — edited, previewed and pushed as a new
 * signed version — its history with rollback, and the installs with where each stands.
 */
export function FleetPage({ tab, version = 0, filters = EMPTY_INSTALL_FILTERS }: Props) {
  const { me, error: meError } = useMe();
  const now = useNow();
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'fleet:manage');
  // Bumped by a push or rollback from here: the current version, the history and the editor start again from it.
  const [generation, setGeneration] = useState(0);
  const [pushed, setPushed] = useState<FleetVersion | null>(null);
  const current = useLoad((signal) => api.getFleetConfig(signal), `current|${generation}`, { enabled: known && allowed });
  const teams = useLoad((signal) => api.listTeams(signal), 'teams', { enabled: known && allowed && tab === 'installs' });

  if (!allowed) {
    return (
      <div className="page">
        <PermissionNotice title="You may not manage the fleet configuration" reason={whyNot(me, 'fleet:manage')} />
      </div>
    );
  }
  const onPushed = (v: FleetVersion) => {
    setPushed(v);
    setGeneration((n) => n + 1);
  };
  const cur = current.stale ? undefined : current.data;

  let content;
  if (tab === 'config') {
    if (!cur && current.error) content = <ErrorState title="The fleet configuration could not be loaded" error={current.error} onRetry={current.reload} />;
    else if (!cur)
      content = (
        <LoadingState>Loading the configuration…</LoadingState>
      );
    else
      content = (
        <FleetConfigEditor
          key={`${cur.version}|${generation}`}
          current={cur}
          onPushed={onPushed}
          onStale={() => setGeneration((n) => n + 1)}
        />
      );
  } else if (tab === 'history') {
    content = <FleetHistory version={version} refreshKey={String(generation)} onRolledBack={onPushed} />;
  } else {
    content = <FleetInstalls filters={filters} teams={(teams.data?.items ?? []).map((t) => t.name)} />;
  }

  return (
    <div className={`page ${styles.fleet}`}>
      <h1>Fleet</h1>
      <p className="page-lead">
        What every Atrium install applies — notice banner, pages, landing page, default team, minimum app version, sync timings, your
        organisation&apos;s links — signed by this portal and delivered on the installs&apos; own connection.{' '}
        {current.data && current.data.version > 0 ? (
          <>
            In force: <strong>version {current.data.version}</strong>, pushed by {current.data.created_by}{' '}
            <time dateTime={current.data.created_at} title={absoluteTime(current.data.created_at)}>
              {shortTime(current.data.created_at, now)}
            </time>
            .
          </>
        ) : current.data ? (
          <>Nothing was pushed yet.</>
        ) : null}
      </p>
      <nav className={styles.tabs} aria-label="Fleet">
        {TABS.map((t) => (
          <a key={t.tab} href={t.hash} aria-current={t.tab === tab ? 'page' : undefined} className={styles.tab}>
            {t.label}
          </a>
        ))}
      </nav>
      {pushed && (
        <div className={styles.pushed} role="status" data-testid="fleet-pushed">
          <p className={styles['pushed-title']}>
            Version {pushed.version} {(pushed.rollback_of ?? 0) > 0 ? `(a rollback to version ${pushed.rollback_of}) ` : ''}is pushed
          </p>
          <p>
            Connected installs apply it within seconds; installs offline now apply it when they reconnect.{' '}
            <a href={fleetInstallsHash({ filter: 'stale_config' })}>Watch who is not on it yet</a>.
          </p>
        </div>
      )}
      {content}
    </div>
  );
}
