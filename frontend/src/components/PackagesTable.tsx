import type { ReactNode } from 'react';
import type { PackageRow, PackageSortKey } from '../api/client';
import { behindCounts, versionsText } from '../lib/packages';
import { navigate, packageHash, type PackageFilters } from '../lib/router';
import { Badge } from './Badge';
import { BehindBadge } from './BehindBadge';
import { cellClass, rowClass, VirtualRows, type VirtualColumn } from './VirtualRows';
import styles from './PackagesTable.module.css';

export const PACKAGE_ROW_HEIGHT = 40;

interface Props {
  rows: readonly PackageRow[];
  filters: PackageFilters;
  onSort: (key: PackageSortKey) => void;
  onEndReached: () => void;
  body?: ReactNode;
  footer?: ReactNode;
  busy?: boolean;
  pending?: boolean;
}

const COLUMNS: { label: string; className?: string; sort?: PackageSortKey; title?: string }[] = [
  { label: 'Package', sort: 'name' },
  { label: 'Ecosystem', sort: 'ecosystem' },
  { label: 'Newest' },
  { label: 'Versions in use', className: styles.versions, title: 'Newest first; ×N: services on that version' },
  { label: 'Services', className: styles.count, sort: 'services', title: 'Services using the package (of the team, when filtered)' },
  { label: 'Outdated', className: styles.count, sort: 'outdated', title: 'Services behind the newest version' },
  { label: 'Major', className: styles.count, sort: 'major', title: 'Services a major version behind' },
  { label: 'Minor', className: styles.count, sort: 'minor', title: 'Services a minor version behind' },
  { label: 'Patch', className: styles.count, sort: 'patch', title: 'Services a patch version behind' },
];

/** Every package services depend on: versions in use, how many services are behind and by how much. Sorted by the API. */
export function PackagesTable({ rows, filters, onSort, onEndReached, body, footer, busy, pending }: Props) {
  const columns: VirtualColumn[] = COLUMNS.map((c) => ({
    label: c.label,
    className: c.className,
    title: c.title,
    ...(c.sort
      ? {
          sorted: filters.sort === c.sort ? (filters.order === 'desc' ? 'descending' : 'ascending') : 'none',
          onSort: () => c.sort && onSort(c.sort),
        }
      : {}),
  }));
  return (
    <VirtualRows<PackageRow>
      label="Packages"
      className={styles.table}
      pending={pending}
      columns={columns}
      items={rows}
      rowHeight={PACKAGE_ROW_HEIGHT}
      rowKey={(p) => `${p.ecosystem}:${p.name}`}
      onEndReached={onEndReached}
      body={body}
      footer={footer}
      busy={busy}
      renderRow={(p, i, style) => {
        const href = packageHash(p.ecosystem, p.name, filters.owner);
        return (
          <div
            key={`${p.ecosystem}:${p.name}`}
            className={rowClass()}
            role="row"
            aria-rowindex={i + 2}
            data-package={p.name}
            data-ecosystem={p.ecosystem}
            style={style}
            onClick={() => navigate(href)}
          >
            <div className={cellClass(styles.package, 'mono')} role="cell" title={p.name}>
              <a href={href} onClick={(e) => e.stopPropagation()}>
                {p.name}
              </a>
            </div>
            <div className={cellClass()} role="cell">
              <span className={`ecosystem ecosystem-${p.ecosystem}`}>{p.ecosystem}</span>
            </div>
            <div className={cellClass('mono')} role="cell">
              {p.latest || <span className="muted" title="No release information from the registry">unknown</span>}
            </div>
            <div className={cellClass(styles.versions, 'mono')} role="cell" title={p.versions.map((v) => `${v.version}: ${v.services}`).join('\n')}>
              {versionsText(p)}
            </div>
            <div className={cellClass(styles.count)} role="cell">
              {p.services}
            </div>
            <div className={cellClass(styles.count)} role="cell">
              {p.outdated > 0 ? <Badge tone="warn">{p.outdated}</Badge> : <span className="muted">0</span>}
            </div>
            {(['major', 'minor', 'patch'] as const).map((level) => {
              const n = behindCounts(p).find((b) => b.level === level)?.count ?? 0;
              return (
                <div key={level} className={cellClass(styles.count)} role="cell">
                  {n > 0 ? <BehindBadge level={level}>{n}</BehindBadge> : <span className="muted">0</span>}
                </div>
              );
            })}
          </div>
        );
      }}
    />
  );
}
