import { useEffect, useState } from 'react';
import { api, ApiError, isAbortError, type Service, type ServiceScorecard } from '../api/client';
import { useFeatures } from '../hooks/useFeatures';
import { useLoad } from '../hooks/useLoad';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { absoluteTime, relativeTime, possessive } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { showInNav } from '../lib/features';
import { catalogHash, matrixHash, newRequestHash, teamHash, withLastFilters } from '../lib/router';
import { Badge } from '../components/Badge';
import { DependencyTable } from '../components/DependencyTable';
import { DeploymentTable } from '../components/DeploymentTable';
import { ExternalLink } from '../components/ExternalLink';
import { FindingsList } from '../components/FindingsList';
import { LifecycleBadge } from '../components/LifecycleBadge';
import { LinksList } from '../components/LinksList';
import { ScorecardSection } from '../components/ScorecardSection';
import { ownerNotice } from '../lib/scorecards';
import { SecretsSection } from '../components/SecretsSection';
import { DriftSection } from '../components/DriftSection';
import { ErrorState, LoadingState, Notice, NoticeBody } from '../components/Notice';
import { PageDescription, PageHeader, PageSubtitle } from '../components/PageHeader';
import { ServiceOrigin } from '../components/ServiceOrigin';
import styles from './ServicePage.module.css';

interface Props {
  name: string;
  /** Changes when the replica changes; the page then reloads in place. */
  refreshKey: string;
}

type Load = { kind: 'loading' } | { kind: 'ok'; service: Service } | { kind: 'error'; error: ApiError };

/** One service: what it is, who owns it, what it depends on, where it runs, and what needs attention. */
export function ServicePage({ name, refreshKey }: Props) {
  const [load, setLoad] = useState<Load>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const now = useNow();
  const { me } = useMe();
  const matrixOn = showInNav(useFeatures(), 'atrium-ui-matrix-page');
  // No scorecard (scorecards off, or a service scored in a moment) is no error: the section is left out.
  const scorecard = useLoad<ServiceScorecard | null>(
    async (signal) => {
      try {
        return await api.getServiceScorecard(name, signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    `${name}|${refreshKey}`,
  );

  useEffect(() => {
    setLoad((l) => (l.kind === 'ok' && l.service.name === name ? l : { kind: 'loading' }));
    const controller = new AbortController();
    api.getService(name, controller.signal).then(
      (service) => setLoad({ kind: 'ok', service }),
      (err: unknown) => {
        if (isAbortError(err)) return;
        setLoad({ kind: 'error', error: err instanceof ApiError ? err : new ApiError(0, 'unknown', String(err)) });
      },
    );
    return () => controller.abort();
  }, [name, refreshKey, attempt]);

  const back = (
    <nav className="breadcrumb">
      <a href={withLastFilters(catalogHash())}>← Catalog</a>
    </nav>
  );

  if (load.kind === 'loading') {
    return (
      <div className="page">
        {back}
        <LoadingState>
          Loading {name}…
        </LoadingState>
      </div>
    );
  }
  if (load.kind === 'error') {
    if (load.error.status === 404) {
      return (
        <div className="page">
          {back}
          <Notice kind="empty" role="alert" title={`No service named ${name}`}>
            <NoticeBody>
              It may have been renamed or removed from the catalog. <a href={withLastFilters(catalogHash())}>Back to the catalog</a>{' '}
              to search for it.
            </NoticeBody>
          </Notice>
        </div>
      );
    }
    return (
      <div className="page">
        {back}
        <ErrorState title={`${name} could not be loaded`} error={load.error} onRetry={() => setAttempt((n) => n + 1)} />
      </div>
    );
  }

  const s = load.service;
  const errors = s.findings.filter((f) => f.severity === 'error').length;
  const card = scorecard.data ?? null;
  const warning = card ? ownerNotice(card) : null;
  const owned = (me?.grants ?? []).some((g) => g.team === s.owner);
  return (
    <div className="page">
      {back}
      <PageHeader
        heading={
          <>
            <h1>{s.name}</h1>
            <LifecycleBadge lifecycle={s.lifecycle} />
            {errors > 0 && <Badge tone="error">{errors === 1 ? '1 error' : `${errors} errors`}</Badge>}
            <span className="heading-actions">
              {!me || can(me, 'actions:request', s.owner) ? (
                <a className="button" href={newRequestHash(s.name)}>
                  Request a resource for this service
                </a>
              ) : (
                <>
                  <button type="button" className="button" disabled aria-describedby="request-why-not">
                    Request a resource for this service
                  </button>
                  <span className="why-not" id="request-why-not">
                    {whyNot(me, 'actions:request', s.owner)}
                  </span>
                </>
              )}
            </span>
          </>
        }
      >
        {s.title && <PageSubtitle>{s.title}</PageSubtitle>}
        <ServiceOrigin service={s} />
        {s.description ? (
          <PageDescription>{s.description}</PageDescription>
        ) : (
          <PageDescription muted>No description in the service&apos;s atrium.yaml.</PageDescription>
        )}
        <dl className="facts">
          <div>
            <dt>Owner</dt>
            <dd>
              <a href={teamHash(s.owner)}>{s.owner}</a>
            </dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd>{s.type}</dd>
          </div>
          <div>
            <dt>Language</dt>
            <dd>{s.language || '—'}</dd>
          </div>
          <div>
            <dt>System</dt>
            <dd>{s.system ? <a href={catalogHash({ system: s.system })} title={`Every service of ${s.system}`}>{s.system}</a> : '—'}</dd>
          </div>
          <div className="fact-wide">
            <dt>Repository</dt>
            <dd>
              <ExternalLink href={s.repository.url}>{s.repository.url}</ExternalLink>
              {s.repository.default_branch && <span className="muted"> ({s.repository.default_branch})</span>}
            </dd>
          </div>
          <div>
            <dt>Last synced</dt>
            <dd>
              <time dateTime={s.synced_at} title={absoluteTime(s.synced_at)}>
                {relativeTime(s.synced_at, now)}
              </time>
            </dd>
          </div>
        </dl>
        {warning && (
          <Notice kind="denied" role="status" testId="score-notice" title={owned ? 'Your team’s service is below par' : 'Below par'}>
            <NoticeBody>
              {warning} <a href="#scorecard-heading">See the scorecard</a> for what to fix.
            </NoticeBody>
          </Notice>
        )}
        {s.tags.length > 0 && (
          <ul className={styles.tags} aria-label="Tags">
            {s.tags.map((t) => (
              <li key={t} className="tag">
                {t}
              </li>
            ))}
          </ul>
        )}
      </PageHeader>
      <section className="panel" aria-labelledby="deploy-heading">
        <div className="section-tools">
          <h2 id="deploy-heading">
            Deployments <span className="count">{s.deployments.length}</span>
          </h2>
          {matrixOn && s.deployments.length > 0 && <a href={matrixHash({ team: s.owner })}>Compare with {possessive(s.owner)} other services</a>}
        </div>
        <DeploymentTable deployments={s.deployments} />
      </section>
      <DriftSection service={s.name} me={me} refreshKey={refreshKey} />
      {card && <ScorecardSection card={card} today={now} />}
      {scorecard.error && !card && <p className="inline-error">The scorecard could not be loaded: {scorecard.error.message}</p>}
      <div className="page-columns">
        <div>
          <SecretsSection service={s.name} team={s.owner} me={me} refreshKey={refreshKey} />
          <section className="panel" aria-labelledby="deps-heading">
            <h2 id="deps-heading">Dependencies</h2>
            <DependencyTable dependencies={s.dependencies} />
          </section>
        </div>
        <div>
          <section className="panel" aria-labelledby="findings-heading">
            <h2 id="findings-heading">
              Findings <span className="count">{s.findings.length}</span>
            </h2>
            <FindingsList findings={s.findings} />
          </section>
          <section className="panel" aria-labelledby="links-heading">
            <h2 id="links-heading">Links</h2>
            <LinksList links={s.links} />
          </section>
        </div>
      </div>
    </div>
  );
}
