import { api, type Team } from '../api/client';
import { useFeatures } from '../hooks/useFeatures';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { actionTitle } from '../lib/actionText';
import { showInNav } from '../lib/features';
import { absoluteTime, count, relativeTime } from '../lib/format';
import { can } from '../lib/permissions';
import { actionHash, catalogHash, requestsHash, scorecardsHash, serviceHash, withLastFilters } from '../lib/router';
import { LevelBadge } from '../components/LevelBadge';
import { LifecycleBadge } from '../components/LifecycleBadge';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PageDescription, PageHeader, PageSubtitle } from '../components/PageHeader';
import { ServiceSignals } from '../components/ServiceSignals';
import { StateBadge } from '../components/StateBadge';
import styles from './TeamPage.module.css';

/** How many of a team's services, and of its requests, the page lists (the catalog and the requests list hold all). */
const SERVICES_SHOWN = 50;
const REQUESTS_SHOWN = 10;

/**
 * One team: who they are and how to reach them, their services with their signals, how their services score, and
 * their latest requests — each with the way to the full list.
 */
export function TeamPage({ team, refreshKey }: { team: string; refreshKey: string }) {
  const { me } = useMe();
  const features = useFeatures();
  const now = useNow();
  const teams = useLoad((signal) => api.listTeams(signal), refreshKey);
  const services = useLoad((signal) => api.listServices({ owner: team, sort: 'signals', order: 'desc', limit: SERVICES_SHOWN }, signal), `${refreshKey}|${team}`);
  const scores = useLoad((signal) => api.listScorecardTeams(team, signal), `${refreshKey}|${team}`, { enabled: !me || can(me, 'catalog:read') });
  const mayReadRequests = !!me && can(me, 'actions:read', team) && showInNav(features, 'atrium-ui-self-service');
  const requests = useLoad((signal) => api.listActions({ team, limit: REQUESTS_SHOWN }, signal), `${refreshKey}|${team}`, { enabled: mayReadRequests });

  const info: Team | undefined = teams.data?.items.find((t) => t.name === team);
  const known = teams.data === undefined || info !== undefined;
  const score = scores.data?.find((s) => s.team === team);

  return (
    <div className="page">
      <nav className="breadcrumb">
        <a href={withLastFilters(catalogHash())}>← Catalog</a>
      </nav>
      <PageHeader
        testId="team-header"
        heading={
          <>
            <h1>{info?.display_name || team}</h1>
            <span className="heading-actions">
              <a className="button" href={catalogHash({ owner: team })}>
                Open in the catalog
              </a>
            </span>
          </>
        }
      >
        {info?.display_name && info.display_name !== team && <PageSubtitle>{team}</PageSubtitle>}
        {info?.description ? <PageDescription>{info.description}</PageDescription> : known && <PageDescription muted>No description in the teams file.</PageDescription>}
        {!known && (
          <PageDescription muted>
            The catalog has no team named {team}; these are the services it names as their owner.
          </PageDescription>
        )}
        <dl className="facts">
          <div>
            <dt>Contact</dt>
            <dd data-testid="team-contact">{info?.contact || <span className="muted">none given</span>}</dd>
          </div>
          <div>
            <dt>Services</dt>
            <dd>{services.data ? services.data.total : '…'}</dd>
          </div>
          {score && (
            <div>
              <dt>Average score</dt>
              <dd>
                {Math.round(score.average)} · {count(score.below, 'service')} below the threshold
              </dd>
            </div>
          )}
        </dl>
      </PageHeader>

      <section className="panel" aria-labelledby="team-services">
        <div className="section-tools">
          <h2 id="team-services">
            Services {services.data && <span className="count">{services.data.total}</span>}
          </h2>
          <a href={catalogHash({ owner: team })}>All of them in the catalog</a>
        </div>
        {services.error && !services.data ? (
          <ErrorState title="The team's services could not be loaded" error={services.error} onRetry={services.reload} />
        ) : !services.data ? (
          <LoadingState>Loading services…</LoadingState>
        ) : services.data.items.length === 0 ? (
          <EmptyState title="No services name this team as their owner" />
        ) : (
          <table className="grid" aria-label="Services of the team">
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Lifecycle</th>
                <th scope="col">Language</th>
                <th scope="col">Signals</th>
              </tr>
            </thead>
            <tbody>
              {services.data.items.map((s) => (
                <tr key={s.name} data-service={s.name}>
                  <td>
                    <a className={styles.name} href={serviceHash(s.name)}>
                      {s.name}
                    </a>{' '}
                    <span className="muted">{s.title}</span>
                  </td>
                  <td>
                    <LifecycleBadge lifecycle={s.lifecycle} />
                  </td>
                  <td>{s.language}</td>
                  <td className={styles.signals}>
                    <ServiceSignals service={s} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {services.data && services.data.total > services.data.items.length && (
          <p className="muted">
            The {SERVICES_SHOWN} with the most signals; <a href={catalogHash({ owner: team })}>all {services.data.total} in the catalog</a>.
          </p>
        )}
      </section>

      <section className="panel" aria-labelledby="team-scores">
        <div className="section-tools">
          <h2 id="team-scores">Scores</h2>
          <a href={scorecardsHash({ team })}>The team&apos;s scorecards</a>
        </div>
        {scores.error && !scores.data ? (
          <ErrorState title="The team's scores could not be loaded" error={scores.error} onRetry={scores.reload} />
        ) : !scores.data ? (
          <LoadingState>Loading scores…</LoadingState>
        ) : !score ? (
          <p className="muted">No scorecards for this team&apos;s services yet.</p>
        ) : (
          <>
            <p data-testid="team-score">
              Average <strong>{Math.round(score.average)}</strong> over {count(score.services, 'service')};{' '}
              {score.below === 0 ? 'none below the threshold.' : `${count(score.below, 'service')} below the threshold.`}{' '}
              {Object.entries(score.levels).map(([level, n]) => (
                <span key={level} className={styles.level}>
                  <LevelBadge level={level} /> {n}
                </span>
              ))}
            </p>
            {score.dragging.length > 0 && (
              <>
                <h3 className={styles.subheading}>Pulling the average down</h3>
                <ul className={styles.list}>
                  {score.dragging.map((d) => (
                    <li key={d.service}>
                      <a href={serviceHash(d.service)}>{d.service}</a> scores {d.score} <LevelBadge level={d.level} />
                      {d.failing > 0 && <span className="muted"> · {count(d.failing, 'rule')} failing</span>}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </>
        )}
      </section>

      {mayReadRequests && (
        <section className="panel" aria-labelledby="team-requests">
          <div className="section-tools">
            <h2 id="team-requests">Latest requests</h2>
            <a href={requestsHash({ team, all: true })}>All the team&apos;s requests</a>
          </div>
          {requests.error && !requests.data ? (
            <ErrorState title="The team's requests could not be loaded" error={requests.error} onRetry={requests.reload} />
          ) : !requests.data ? (
            <LoadingState>Loading requests…</LoadingState>
          ) : requests.data.length === 0 ? (
            <p className="muted">Nobody has requested anything for this team yet.</p>
          ) : (
            <ul className={styles.list} aria-label="Latest requests of the team">
              {requests.data.map((a) => (
                <li key={a.id} data-action={a.id}>
                  <a href={actionHash(a.id)}>{actionTitle(a)}</a> <StateBadge state={a.state} />{' '}
                  <span className="muted">
                    by {a.requester} ·{' '}
                    <time dateTime={a.created_at} title={absoluteTime(a.created_at)}>
                      {relativeTime(a.created_at, now)}
                    </time>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}
