import { useEffect, useMemo, useState } from 'react';
import { api, isAbortError, type Facets, type ScorecardQuery, type ScorecardRow, type TeamScore } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useScorecardPages } from '../hooks/useScorecardPages';
import { cx } from '../lib/classNames';
import { count, possessive } from '../lib/format';
import { levelLabel } from '../lib/scorecards';
import { navigate, scorecardsHash, serviceHash, type ScorecardFilters } from '../lib/router';
import { FacetFilter } from '../components/FacetFilter';
import { LevelBadge, ScoreBar } from '../components/LevelBadge';
import { EmptyState, ErrorState, LoadingState, Notice, NoticeBody } from '../components/Notice';
import { ScoreTrend } from '../components/ScoreTrend';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from '../components/VirtualRows';
import styles from './ScorecardsPage.module.css';

interface Props {
  filters: ScorecardFilters;
  /** Changes when the replica changes; everything on the page reloads. */
  refreshKey: string;
}

const ROW_HEIGHT = 40;

const COLUMNS: VirtualColumn[] = [
  { label: 'Service', className: `${styles.colService}` },
  { label: 'Team', className: 'col-team' },
  { label: 'Score', className: 'col-score', title: 'Weight of the rules passed over the weight of the rules passed or failed' },
  { label: 'Level', className: 'col-level' },
  { label: 'Failing', className: `${styles.colFailing}`, title: 'Rules failed' },
];

/**
 * Every service's readiness: score and level, filterable by team; each team's average and the services dragging it
 * down; the trend of a team (or of every service) over twelve weeks. Read from the replica, offline too.
 */
export function ScorecardsPage({ filters, refreshKey }: Props) {
  const query = useMemo<ScorecardQuery>(() => ({ team: filters.team || undefined, below: filters.below ? true : undefined, sort: 'score' }), [filters]);
  const pages = useScorecardPages(query, refreshKey);
  const head = useLoad((signal) => api.listScorecards({ limit: 1 }, signal), `head|${refreshKey}`);
  const teams = useLoad((signal) => api.listScorecardTeams(filters.team, signal), `${filters.team}|${refreshKey}`);
  const trend = useLoad((signal) => api.getScoreTrend({ team: filters.team }, signal), `${filters.team}|${refreshKey}`);
  const [facets, setFacets] = useState<Facets | undefined>(undefined);
  const { me } = useMe();

  useEffect(() => {
    const controller = new AbortController();
    api.getFacets(controller.signal).then(setFacets, (err: unknown) => {
      if (!isAbortError(err)) setFacets(undefined);
    });
    return () => controller.abort();
  }, [refreshKey]);

  const update = (patch: Partial<ScorecardFilters>) => navigate(scorecardsHash({ ...filters, ...patch }));
  const rules = head.data?.rules;
  const myTeams = new Set((me?.grants ?? []).map((g) => g.team).filter((t): t is string => !!t));
  const mine = (teams.data ?? []).filter((t) => myTeams.has(t.team) && t.below > 0);

  if (head.data && !rules) {
    return (
      <section className="page" aria-label="Scorecards">
        <h1>Scorecards</h1>
        <EmptyState title="Scorecards are switched off on this portal">
          <p>An admin turns them on in the portal&apos;s configuration (the scorecards section; see docs/scorecards.md).</p>
        </EmptyState>
      </section>
    );
  }

  let body;
  if (pages.total === null && pages.error) {
    body = <ErrorState title="The scorecards could not be loaded" error={pages.error} onRetry={pages.reload} />;
  } else if (pages.total === null) {
    body = <LoadingState>Loading scorecards…</LoadingState>;
  } else if (pages.total === 0 && !pages.stale) {
    body = (
      <EmptyState title={filters.below ? 'No service is below the threshold here' : 'No scorecards here yet'}>
        <p>{filters.below ? 'Every service of this selection reaches the threshold.' : 'Services are scored when they are synced; try all teams.'}</p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Scorecards">
      <div className="toolbar">
        <h1 className="toolbar-title">Scorecards</h1>
        <FacetFilter label="Team" allLabel="All teams" facets={facets?.owners} value={filters.team} onChange={(team) => update({ team })} />
        <label className="checkbox">
          <input type="checkbox" checked={filters.below} onChange={(e) => update({ below: e.target.checked })} />
          Below the threshold only
        </label>
        <span className="list-total" data-testid="scorecards-total" aria-live="polite" aria-busy={pages.stale || undefined}>
          {pages.total === null ? '' : count(pages.total, 'service')}
        </span>
      </div>
      {rules && (
        <p className={`muted ${styles.rulesLine}`} data-testid="scorecard-rules">
          {count(rules.rules.length, 'rule')} · threshold {rules.threshold} · levels {rules.levels.map(levelLabel).join(', ')}
          {rules.gated_environments.length > 0 && ` · deploys gated in ${rules.gated_environments.join(', ')}`}
        </p>
      )}
      {mine.length > 0 && (
        <Notice kind="denied" role="status" testId="my-teams-below" className={styles.notice} title="Your team’s services below par">
          <NoticeBody>
            {mine.map((t) => `${t.team}: ${count(t.below, 'service')} below the threshold`).join('; ')} — open a service for what to fix.
          </NoticeBody>
        </Notice>
      )}
      <div className={styles.overview}>
        <section className="panel" aria-labelledby="teams-heading">
          <h2 id="teams-heading">Teams</h2>
          {teams.error && !teams.data ? (
            <ErrorState title="The teams could not be loaded" error={teams.error} onRetry={teams.reload} />
          ) : (
            <TeamStandings teams={teams.data ?? []} selected={filters.team} onSelect={(team) => update({ team })} />
          )}
        </section>
        <section className="panel" aria-labelledby="trend-heading">
          <h2 id="trend-heading">Trend</h2>
          {trend.error && !trend.data ? (
            <ErrorState title="The trend could not be loaded" error={trend.error} onRetry={trend.reload} />
          ) : trend.data ? (
            <ScoreTrend
              title={filters.team ? `${possessive(filters.team)} average score, weekly` : 'Average score of every service, weekly'}
              points={trend.data.points}
              threshold={rules?.threshold}
            />
          ) : (
            <p className="muted">Loading the trend…</p>
          )}
        </section>
      </div>
      {pages.error && pages.total !== null && (
        <div className="inline-error" role="alert">
          {pages.error.message}{' '}
          <button type="button" className="button button-link" onClick={pages.reload}>
            Retry
          </button>
        </div>
      )}
      <VirtualRows<ScorecardRow>
        label="Scorecards"
        className={cx('scorecards-table', styles.table)}
        pending={pages.stale}
        columns={COLUMNS}
        items={pages.stale && pages.total === null ? [] : pages.items}
        rowHeight={ROW_HEIGHT}
        rowKey={(r) => r.service}
        onEndReached={pages.more}
        body={body}
        busy={pages.loading}
        footer={pages.loading && pages.items.length > 0 && !pages.stale ? 'Loading more…' : undefined}
        renderRow={(r, i, style) => (
          <div
            key={r.service}
            className={rowClass({}, 'scorecard-row')}
            role="row"
            aria-rowindex={i + 2}
            data-service={r.service}
            data-below={r.below}
            style={style}
            onClick={() => navigate(serviceHash(r.service))}
          >
            <div className={cellClass(styles.colService)} role="cell">
              <a href={serviceHash(r.service)} onClick={(e) => e.stopPropagation()}>
                {r.service}
              </a>
            </div>
            <div className={cellClass()} role="cell">
              {r.owner}
            </div>
            <div className={cellClass()} role="cell">
              <ScoreBar score={r.score} below={r.below} />
            </div>
            <div className={cellClass()} role="cell">
              <LevelBadge level={r.level} />
            </div>
            <div className={cellClass(styles.colFailing)} role="cell">
              {r.failing}
            </div>
          </div>
        )}
      />
    </section>
  );
}

/** Each team's average, how many of its services are below the threshold, and those dragging it down. */
function TeamStandings({ teams, selected, onSelect }: { teams: TeamScore[]; selected: string; onSelect: (team: string) => void }) {
  if (teams.length === 0) return <p className="muted">No team has scored services yet.</p>;
  return (
    <table className={styles.teams} aria-label="Teams">
      <thead>
        <tr>
          <th scope="col">Team</th>
          <th scope="col">Average</th>
          <th scope="col">Below</th>
          <th scope="col">Dragging it down</th>
        </tr>
      </thead>
      <tbody>
        {teams.map((t) => (
          <tr key={t.team} data-team={t.team} className={t.team === selected ? styles.selected : undefined}>
            <th scope="row">
              <button type="button" className="button button-link" onClick={() => onSelect(t.team === selected ? '' : t.team)}>
                {t.team}
              </button>
            </th>
            <td>
              {t.average} <span className="muted">({count(t.services, 'service')})</span>
            </td>
            <td>{t.below}</td>
            <td>
              {t.dragging.length === 0 ? (
                <span className="muted">none</span>
              ) : (
                t.dragging.map((d, i) => (
                  <span key={d.service}>
                    {i > 0 && ', '}
                    <a href={serviceHash(d.service)}>{d.service}</a> <span className="muted">{d.score}</span>
                  </span>
                ))
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
