import { lazy, Suspense, useMemo, useState } from 'react';
import { api, type AdoptionTable, type AdoptionTeam } from '../api/client';
import { useDownload } from '../hooks/useDownload';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { adoptionHeadline, adoptionPoints, FEATURE_LABELS } from '../lib/fleet';
import { count } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { adoptionHash, navigate } from '../lib/router';
import { DownloadNotice } from '../components/DownloadNotice';
import { ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './AdoptionPage.module.css';

const AdoptionChart = lazy(() => import('../components/AdoptionChart'));
const FeatureChart = lazy(() => import('../components/FeatureChart'));

/** The trend lengths offered. */
export const WEEK_CHOICES = [12, 26, 52, 104] as const;

type TeamSort = 'team' | 'percent';

const TABLE_NAMES: Record<AdoptionTable, string> = { weeks: 'the weekly trend', teams: 'this week by team', features: 'this week by feature' };

/**
 * The adoption KPI: the developers who used Atrium at least once in the last seven days, as a share of all
 * developers (the directory: GitHub organisation members or an uploaded list) — its weekly trend, this week by
 * team and which features drive it — each exportable as CSV. Computed by the portal in SQL over usage events.
 */
export function AdoptionPage({ weeks }: { weeks: number }) {
  const { me, error: meError } = useMe();
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'usage:read');
  const kpi = useLoad((signal) => api.getAdoption(weeks, signal), String(weeks), { enabled: known && allowed });
  const download = useDownload();
  const [exported, setExported] = useState<AdoptionTable>('weeks');
  const [sort, setSort] = useState<TeamSort>('percent');
  const teams = useMemo(() => {
    const list = [...(kpi.data?.teams ?? [])];
    return sort === 'team' ? list.sort((a, b) => a.team.localeCompare(b.team)) : list.sort((a, b) => b.percent - a.percent || a.team.localeCompare(b.team));
  }, [kpi.data, sort]);

  if (!allowed) {
    return (
      <div className="page">
        <PermissionNotice title="You may not see the adoption KPI" reason={whyNot(me, 'usage:read')} />
      </div>
    );
  }
  const a = kpi.data;
  const exportCsv = (table: AdoptionTable) => {
    setExported(table);
    void download.run(() => api.downloadAdoptionCsv(weeks, table));
  };
  const exportButton = (table: AdoptionTable, label: string) => (
    <button type="button" className="button" disabled={download.state.kind === 'running' || !a} onClick={() => exportCsv(table)}>
      {download.state.kind === 'running' && exported === table ? 'Exporting…' : label}
    </button>
  );

  let body;
  if (!a && kpi.error) body = <ErrorState title="The adoption KPI could not be loaded" error={kpi.error} onRetry={kpi.reload} />;
  else if (!a)
    body = (
      <LoadingState>Counting weekly active developers…</LoadingState>
    );
  else {
    const head = adoptionHeadline(a);
    const points = adoptionPoints(a.weeks);
    const bars = a.features.map((f) => ({ label: FEATURE_LABELS[f.feature] ?? f.feature, percent: f.percent, active: f.active }));
    const developers = a.sources.reduce((n, s) => n + s.developers, 0);
    body = (
      <div className={kpi.stale ? styles.stale : undefined}>
        <section className={`panel ${styles.headline}`} aria-label="This week" data-testid="adoption-headline">
          <p className={styles.percent} data-testid="adoption-percent">
            {head.percent}%
          </p>
          <div>
            <p className={styles['headline-text']}>{head.text}</p>
            <p className="muted">
              All developers: {a.sources.length === 0 ? 'no directory yet' : a.sources.map((s) => `${count(s.developers, 'developer')} from ${s.source}`).join(', ')}
              {a.sources.length > 1 && ` (${developers} listed, counted once each)`}.{' '}
              {a.other_active > 0 &&
                `${count(a.other_active, 'more person', 'more people')} used Atrium this week without being in the directory (admin tokens, service accounts, people who left): not counted.`}
            </p>
          </div>
        </section>

        <section className="panel" aria-labelledby="trend-heading">
          <div className={styles['section-head']}>
            <h2 id="trend-heading">Weekly active developers, last {weeks} weeks</h2>
            {exportButton('weeks', 'Export CSV')}
          </div>
          <Suspense fallback={<p className="muted">Loading the chart…</p>}>
            <div className={styles.chart} aria-hidden="true" data-testid="adoption-chart">
              <AdoptionChart points={points} />
            </div>
          </Suspense>
          <details>
            <summary>The numbers</summary>
            <table className={styles.numbers} aria-label="Weekly active developers">
              <thead>
                <tr>
                  <th>Week</th>
                  <th>Active</th>
                  <th>Developers</th>
                  <th>%</th>
                </tr>
              </thead>
              <tbody>
                {[...a.weeks].reverse().map((w) => (
                  <tr key={w.week}>
                    <td>
                      {w.week} – {w.end}
                    </td>
                    <td>{w.active}</td>
                    <td>{w.developers}</td>
                    <td>{w.percent}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </section>

        <div className={styles.columns}>
          <section className="panel" aria-labelledby="teams-heading">
            <div className={styles['section-head']}>
              <h2 id="teams-heading">By team, last seven days</h2>
              {exportButton('teams', 'Export CSV')}
            </div>
            <VirtualRows<AdoptionTeam>
              label="Adoption by team"
              className={`${styles.teams} adoption-teams`}
              columns={[
                { label: 'Team', className: '', sorted: sort === 'team' ? 'ascending' : 'none', onSort: () => setSort('team') },
                { label: 'Active', className: styles.num ?? '' },
                { label: 'Developers', className: styles.num ?? '' },
                { label: '%', className: styles.num ?? '', sorted: sort === 'percent' ? 'descending' : 'none', onSort: () => setSort('percent') },
              ]}
              items={teams}
              rowHeight={32}
              rowKey={(t) => t.team}
              body={teams.length === 0 ? <p className="muted">The directory names no teams.</p> : undefined}
              renderRow={(t, _i, style) => (
                <div className={rowClass({ clickable: false }, styles['team-row'])} role="row" style={style} data-team={t.team}>
                  <div className={cellClass()} role="cell">
                    {t.team}
                  </div>
                  <div className={cellClass(styles.num)} role="cell">
                    {t.active}
                  </div>
                  <div className={cellClass(styles.num)} role="cell">
                    {t.developers}
                  </div>
                  <div className={cellClass(styles.num)} role="cell">
                    <span className={styles.bar} style={{ width: `${Math.round(0.6 * Math.min(100, t.percent))}px` }} aria-hidden="true" />
                    {t.percent}
                  </div>
                </div>
              )}
            />
          </section>

          <section className="panel" aria-labelledby="features-heading">
            <div className={styles['section-head']}>
              <h2 id="features-heading">What drives it, last seven days</h2>
              {exportButton('features', 'Export CSV')}
            </div>
            <Suspense fallback={<p className="muted">Loading the chart…</p>}>
              <div className={styles.chart} aria-hidden="true" data-testid="feature-chart">
                <FeatureChart bars={bars} />
              </div>
            </Suspense>
            <table className={styles.numbers} aria-label="Features used by the week's active developers">
              <thead>
                <tr>
                  <th>Feature</th>
                  <th>Developers</th>
                  <th>% of active</th>
                  <th>Events</th>
                </tr>
              </thead>
              <tbody>
                {a.features.map((f) => (
                  <tr key={f.feature} data-feature={f.feature}>
                    <td>{FEATURE_LABELS[f.feature] ?? f.feature}</td>
                    <td>{f.active}</td>
                    <td>{f.percent}</td>
                    <td>{f.events}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </div>
      </div>
    );
  }

  return (
    <div className={`page ${styles.adoption}`}>
      <div className={styles['page-head']}>
        <h1>Adoption</h1>
        <label className="facet-filter">
          <span className="facet-label">Trend</span>
          <select aria-label="Weeks" value={weeks} onChange={(e) => navigate(adoptionHash(Number(e.target.value)))}>
            {WEEK_CHOICES.map((w) => (
              <option key={w} value={w}>
                last {w} weeks
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="page-lead">
        Weekly active developers: the developers who used Atrium at least once in the seven days, as a share of all developers in the
        directory — not only of those who ever opened it. Usage events say who, when and which page or action; never what was on it.
      </p>
      <DownloadNotice state={download.state} what={TABLE_NAMES[exported]} copyLabel="Copy the CSV" testId="adoption-export" onSaveAgain={() => void download.saveAgain()} />
      {kpi.error && a && (
        <p className="inline-error" role="alert">
          {kpi.error.message}
        </p>
      )}
      {body}
    </div>
  );
}
