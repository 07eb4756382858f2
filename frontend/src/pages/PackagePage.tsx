import { useEffect, useMemo, useState } from 'react';
import { api, isAbortError, type Facets, type PackageDetail, type PackageUse } from '../api/client';
import { useDownload } from '../hooks/useDownload';
import { useLoad } from '../hooks/useLoad';
import { cx } from '../lib/classNames';
import { count } from '../lib/format';
import { behindCounts, sortUses, type UseSortKey } from '../lib/packages';
import { navigate, packageHash, packagesHash, serviceHash, withLastFilters } from '../lib/router';
import { DownloadNotice } from '../components/DownloadNotice';
import { FacetFilter } from '../components/FacetFilter';
import { ErrorState, LoadingState, Notice, NoticeBody } from '../components/Notice';
import { PageHeader } from '../components/PageHeader';
import { BehindBadge } from '../components/BehindBadge';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from '../components/VirtualRows';
import styles from './PackagePage.module.css';

interface Props {
  ecosystem: string;
  name: string;
  /** A team: only its services. */
  owner: string;
  refreshKey: string;
}

const USE_COLUMNS: { label: string; sort?: UseSortKey }[] = [
  { label: 'Service', sort: 'service' },
  { label: 'Team', sort: 'owner' },
  { label: 'Version', sort: 'version' },
  { label: 'Constraint' },
  { label: 'Behind', sort: 'behind' },
];

/** One package: the services that use it, the version and constraint of each, how far behind the newest. */
export function PackagePage({ ecosystem, name, owner, refreshKey }: Props) {
  const pkg = useLoad<PackageDetail>((signal) => api.getPackage(ecosystem, name, owner, signal), `${ecosystem}/${name}?${owner}|${refreshKey}`);
  const [facets, setFacets] = useState<Facets | undefined>(undefined);
  const [sort, setSort] = useState<{ key: UseSortKey; desc: boolean }>({ key: 'behind', desc: true });
  const download = useDownload();
  const uses = useMemo(() => (pkg.data ? sortUses(pkg.data.uses, sort.key, sort.desc) : []), [pkg.data, sort]);

  useEffect(() => {
    const controller = new AbortController();
    api.getFacets(controller.signal).then(setFacets, (err: unknown) => {
      if (!isAbortError(err)) setFacets(undefined);
    });
    return () => controller.abort();
  }, [refreshKey]);

  const back = (
    <nav className="breadcrumb">
      <a href={withLastFilters(packagesHash())}>← Packages</a>
    </nav>
  );
  const ownerFilter = (
    <FacetFilter label="Team" allLabel="All teams" facets={facets?.owners} value={owner} onChange={(o) => navigate(packageHash(ecosystem, name, o))} />
  );

  // While another team's view loads, the previous one stays (dimmed); another package starts from "Loading".
  const shown = pkg.data && pkg.data.name === name && pkg.data.ecosystem === ecosystem ? pkg.data : undefined;
  const notFound = pkg.error?.status === 404;
  if (!shown || notFound) {
    return (
      <div className={`page ${styles.package}`}>
        {back}
        <h1 className="mono">{name}</h1>
        {notFound ? (
          <Notice kind="empty" role="alert" title={`No ${owner ? `service of ${owner}` : 'service'} uses the ${ecosystem} package ${name}`}>
            <NoticeBody>
              {owner ? (
                <>
                  <a href={packageHash(ecosystem, name)}>See every team</a>, or{' '}
                </>
              ) : null}
              <a href={withLastFilters(packagesHash())}>search the packages</a> for the name.
            </NoticeBody>
          </Notice>
        ) : pkg.error ? (
          <ErrorState title={`${name} could not be loaded`} error={pkg.error} onRetry={pkg.reload} />
        ) : (
          <LoadingState>
            Loading {name}…
          </LoadingState>
        )}
      </div>
    );
  }

  const p = shown;
  const columns: VirtualColumn[] = USE_COLUMNS.map((c) => ({
    label: c.label,
    ...(c.sort
      ? {
          sorted: sort.key === c.sort ? (sort.desc ? 'descending' : 'ascending') : 'none',
          onSort: () => c.sort && setSort((s) => (s.key === c.sort ? { key: s.key, desc: !s.desc } : { key: c.sort ?? 'behind', desc: c.sort === 'behind' })),
        }
      : {}),
  }));
  return (
    <div className={`page ${styles.package}`}>
      {back}
      <PageHeader
        heading={
          <>
            <h1 className="mono">{p.name}</h1>
            <span className={`ecosystem ecosystem-${p.ecosystem}`}>{p.ecosystem}</span>
            <span className="heading-actions">
              {ownerFilter}
              <button
                type="button"
                className="button"
                disabled={download.state.kind === 'running'}
                onClick={() => void download.run(() => api.downloadPackageCsv(ecosystem, name, owner))}
              >
                {download.state.kind === 'running' ? 'Exporting…' : 'Export CSV'}
              </button>
            </span>
          </>
        }
      >
        <dl className="facts">
          <div>
            <dt>Newest</dt>
            <dd className="mono">{p.latest || <span className="muted">unknown</span>}</dd>
          </div>
          <div>
            <dt>Services</dt>
            <dd>
              {p.services}
              {owner ? ` of ${owner}` : ''}
            </dd>
          </div>
          <div>
            <dt>Behind</dt>
            <dd>
              {p.outdated === 0 ? (
                <BehindBadge level="none">all current</BehindBadge>
              ) : (
                behindCounts(p).map((b) => (
                  <BehindBadge key={b.level} level={b.level}>
                    {b.count} {b.level}
                  </BehindBadge>
                ))
              )}
            </dd>
          </div>
          <div className="fact-wide">
            <dt>Versions in use</dt>
            <dd className={styles.versions} data-testid="versions-in-use">
              {p.versions.map((v) => (
                <span key={v.version} className="tag mono" title={count(v.services, 'service')}>
                  {v.version} ×{v.services}
                </span>
              ))}
            </dd>
          </div>
        </dl>
      </PageHeader>
      <DownloadNotice
        state={download.state}
        what={`the ${count(p.uses.length, 'service')} using ${p.name}`}
        copyLabel="Copy the CSV"
        testId="package-export"
        onSaveAgain={() => void download.saveAgain()}
        className={styles.export}
      />
      {pkg.error && (
        <p className="inline-error" role="alert">
          {pkg.error.message}{' '}
          <button type="button" className="button button-link" onClick={pkg.reload}>
            Retry
          </button>
        </p>
      )}
      <section className={cx('panel', styles.uses, pkg.stale && styles.stale)} aria-labelledby="uses-heading">
        <h2 id="uses-heading">
          Services <span className="count">{p.uses.length}</span>
        </h2>
        <VirtualRows<PackageUse>
          label={`Services using ${p.name}`}
          className={styles.table}
          columns={columns}
          items={uses}
          rowHeight={36}
          rowKey={(u) => u.service}
          renderRow={(u, i, style) => (
            <div key={u.service} className={rowClass()} role="row" aria-rowindex={i + 2} style={style} data-service={u.service} onClick={() => navigate(serviceHash(u.service))}>
              <div className={cellClass()} role="cell">
                <a href={serviceHash(u.service)} onClick={(e) => e.stopPropagation()}>
                  {u.service}
                </a>
                {u.dev && (
                  <span className="tag tag-dev" title="Development dependency">
                    dev
                  </span>
                )}
              </div>
              <div className={cellClass()} role="cell" data-column="owner">
                {u.owner}
              </div>
              <div className={cellClass('mono')} role="cell" data-column="version">
                {u.version}
              </div>
              <div className={cellClass('mono muted')} role="cell">
                {u.constraint ?? ''}
              </div>
              <div className={cellClass()} role="cell">
                {u.behind ? (
                  <BehindBadge level={u.behind} title={`${u.version} → ${p.latest}`}>
                    {u.behind}
                  </BehindBadge>
                ) : p.latest ? (
                  <BehindBadge level="none">current</BehindBadge>
                ) : null}
              </div>
            </div>
          )}
        />
      </section>
    </div>
  );
}
