import { useMemo, useState } from 'react';
import type { Dependency } from '../api/client';
import { useFeatures } from '../hooks/useFeatures';
import { dependencyRows, type DependencySortKey } from '../lib/dependencies';
import { featureOn } from '../lib/features';
import { count } from '../lib/format';
import { packageHash } from '../lib/router';
import { BehindBadge } from './BehindBadge';
import { EmptyState } from './Notice';
import { SortButton } from './SortButton';
import styles from './DependencyTable.module.css';

interface Props {
  dependencies: Dependency[];
}

const HEADERS: { label: string; sort?: DependencySortKey }[] = [
  { label: 'Ecosystem', sort: 'ecosystem' },
  { label: 'Package', sort: 'name' },
  { label: 'In use' },
  { label: 'Constraint' },
  { label: 'Newest' },
  { label: 'Behind', sort: 'behind' },
];

/** A service's dependencies with the version in use, the newest release, and how far behind it is. */
export function DependencyTable({ dependencies }: Props) {
  const [sort, setSort] = useState<DependencySortKey>('name');
  const [desc, setDesc] = useState(false);
  const [outdatedFirst, setOutdatedFirst] = useState(true);
  const rows = useMemo(() => dependencyRows(dependencies, sort, desc, outdatedFirst), [dependencies, sort, desc, outdatedFirst]);
  const behindCount = rows.filter((r) => r.behind !== null).length;
  // Each package links to the services using it, when the Packages page is on.
  const linkPackages = featureOn(useFeatures(), 'atrium-ui-packages-page') === true;

  if (dependencies.length === 0) {
    return (
      <EmptyState title="No dependencies found">
        <p>Atrium reads package.json and go.mod at the root of the repository; see Findings if one could not be read.</p>
      </EmptyState>
    );
  }

  const sortBy = (key: DependencySortKey) => {
    if (key === sort) setDesc(!desc);
    else {
      setSort(key);
      setDesc(false);
    }
  };

  return (
    <div>
      <div className="section-tools">
        <span className="muted">
          {count(dependencies.length, 'dependency', 'dependencies')}, {behindCount} behind
        </span>
        <label className="checkbox">
          <input type="checkbox" checked={outdatedFirst} onChange={(e) => setOutdatedFirst(e.target.checked)} />
          Outdated first
        </label>
      </div>
      <table className={`grid ${styles.dependencies}`} aria-label="Dependencies">
        <thead>
          <tr>
            {HEADERS.map((h) => {
              const sorted = h.sort !== undefined && h.sort === sort ? (desc ? 'descending' : 'ascending') : undefined;
              return (
                <th key={h.label} aria-sort={sorted}>
                  {h.sort ? (
                    <SortButton sorted={sorted} onClick={() => h.sort && sortBy(h.sort)}>
                      {h.label}
                    </SortButton>
                  ) : (
                    h.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={`${d.ecosystem}:${d.name}`}>
              <td>
                <span className={`ecosystem ecosystem-${d.ecosystem}`}>{d.ecosystem}</span>
              </td>
              <td className={`mono ${styles.package}`}>
                {linkPackages ? (
                  <a href={packageHash(d.ecosystem, d.name)} title={`Every service using ${d.name}`}>
                    {d.name}
                  </a>
                ) : (
                  d.name
                )}
                {d.dev && <span className="tag tag-dev" title="Development dependency">dev</span>}
              </td>
              <td className="mono">{d.version}</td>
              <td className="mono muted">{d.constraint ?? ''}</td>
              <td className="mono">{d.latest ?? <span className="muted" title="No release information">unknown</span>}</td>
              <td>
                {d.behind ? (
                  <BehindBadge level={d.behind} data-behind={d.behind} title={`${d.version} → ${d.latest ?? ''}`}>
                    {d.behind}
                  </BehindBadge>
                ) : d.latest ? (
                  <BehindBadge level="none" data-behind="none">
                    current
                  </BehindBadge>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
