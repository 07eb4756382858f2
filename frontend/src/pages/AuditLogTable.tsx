import { useEffect, useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type AuditEvent } from '../api/client';
import { useLoadMore, type MoreSource } from '../hooks/useLoadMore';
import { useMe } from '../hooks/useMe';
import { useNow } from '../hooks/useNow';
import { AUDIT_ACTIONS, auditQuery, detailSummary, exportAuditLines, exportFileName, fromLocalInput, toLocalInput } from '../lib/audit';
import { releaseFile, saveText, type SavedFile } from '../lib/download';
import { absoluteTime, count, shortTime } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { actionHash, auditHash, navigate, type AuditFilters } from '../lib/router';
import { Badge, type BadgeTone } from '../components/Badge';
import { CodeBlock } from '../components/CodeBlock';
import { DownloadNotice } from '../components/DownloadNotice';
import { EmptyState, ErrorState, LoadingState } from '../components/Notice';
import { PermissionNotice } from '../components/PermissionNotice';
import { cellClass, rowClass, VirtualRows } from '../components/VirtualRows';
import styles from './AuditLogTable.module.css';

export const AUDIT_ROW_HEIGHT = 36;
export const AUDIT_PAGE = 200;

const COLUMNS = [{ label: 'When' }, { label: 'Who' }, { label: 'What' }, { label: 'Resource' }, { label: 'Outcome' }, { label: 'Detail', className: styles['detail-cell'] }];

const OUTCOME_TONE: Record<AuditEvent['outcome'], BadgeTone> = { success: 'ok', denied: 'warn', failure: 'error' };

const AUDIT: MoreSource<AuditFilters, AuditEvent, number> = {
  fetch: async (filters, before, signal) => {
    const page = await api.queryAudit({ ...auditQuery(filters), limit: AUDIT_PAGE, before }, signal);
    return { items: page.events, total: null, next: page.next_before };
  },
  // Events of other filters would mislead: the list empties while the new filters load.
  clearOnNewQuery: true,
};

/** Pages of the audit log for filters, newest first; more() fetches the next older page. */
function useAuditPages(filters: AuditFilters, enabled: boolean) {
  const log = useLoadMore(AUDIT, filters, { enabled });
  return { ...log, events: log.items, nextBefore: log.next };
}

function FilterForm({ filters }: { filters: AuditFilters }) {
  const [f, setF] = useState(filters);
  useEffect(() => setF(filters), [filters]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(auditHash(f));
  };
  const set = (patch: Partial<AuditFilters>) => setF((x) => ({ ...x, ...patch }));
  const any = Object.values(filters).some((v) => v);
  return (
    <form className={`toolbar ${styles.filters}`} onSubmit={apply} aria-label="Filter the audit log">
      <label className="facet-filter">
        <span className="facet-label">Who</span>
        <input type="text" value={f.actor} placeholder="subject, or system" onChange={(e) => set({ actor: e.target.value })} />
      </label>
      <label className="facet-filter">
        <span className="facet-label">What</span>
        <input type="text" list="audit-actions" value={f.action} placeholder="action. or token.created" onChange={(e) => set({ action: e.target.value })} />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label className="facet-filter">
        <span className="facet-label">Resource</span>
        <input type="text" value={f.resource} placeholder="action/act_… or token/" onChange={(e) => set({ resource: e.target.value })} />
      </label>
      <label className="facet-filter">
        <span className="facet-label">From</span>
        <input type="datetime-local" value={toLocalInput(f.since)} onChange={(e) => set({ since: fromLocalInput(e.target.value) })} />
      </label>
      <label className="facet-filter">
        <span className="facet-label">Until</span>
        <input type="datetime-local" value={toLocalInput(f.until)} onChange={(e) => set({ until: fromLocalInput(e.target.value) })} />
      </label>
      <button type="submit" className="button">
        Apply
      </button>
      {any && (
        <button type="button" className="button button-link" onClick={() => navigate(auditHash())}>
          Clear filters
        </button>
      )}
    </form>
  );
}

type ExportState =
  | { kind: 'idle' }
  | { kind: 'running'; events: number }
  | { kind: 'done'; file: SavedFile; events: number; text: string }
  | { kind: 'error'; error: ApiError };

/** The JSON lines export of what the filters match: progress while it pages, then the saved file and where it went. */
function useAuditExport(filters: AuditFilters) {
  const [state, setState] = useState<ExportState>({ kind: 'idle' });
  useEffect(
    () => () => {
      if (state.kind === 'done') releaseFile(state.file);
    },
    [state],
  );
  const run = async () => {
    setState({ kind: 'running', events: 0 });
    try {
      const out = await exportAuditLines(auditQuery(filters), (events) => setState({ kind: 'running', events }));
      const file = await saveText(exportFileName(new Date()), out.text, 'application/x-ndjson');
      setState({ kind: 'done', file, events: out.events, text: out.text });
    } catch (err) {
      setState({ kind: 'error', error: asApiError(err) });
    }
  };
  const saveAgain = async () => {
    if (state.kind !== 'done') return;
    const { file, events, text } = state;
    setState({ kind: 'done', file: await saveText(file.name, text, file.type), events, text });
  };
  return { state, run, saveAgain };
}

/** Every change and decision (tokens, requests, approvals, runs): filterable, virtualised, exportable as JSON lines. */
export function AuditLogTable({ filters }: { filters: AuditFilters }) {
  const { me, error: meError } = useMe();
  const now = useNow();
  // Wait for /me before asking for the log; if /me cannot be had, ask anyway and show what the portal says.
  const known = me !== null || meError !== null;
  const allowed = !me || can(me, 'audit:read');
  const log = useAuditPages(filters, known && allowed);
  const [selected, setSelected] = useState<AuditEvent | null>(null);
  const exporter = useAuditExport(filters);

  if (!allowed) {
    return (
      <div className="page">
        <PermissionNotice title="You may not see the audit log" reason={whyNot(me, 'audit:read')} />
      </div>
    );
  }

  const filtered = Object.values(filters).some((v) => v);
  // The drawer shows an event the list shows: once new filters leave it out (or while they load), it closes.
  const open = selected && !log.stale && log.events.some((e) => e.id === selected.id) ? selected : null;
  let body;
  if (!log.stale && log.events.length === 0 && log.error) {
    body = <ErrorState title="The audit log could not be loaded" error={log.error} onRetry={log.reload} />;
  } else if (log.stale || (log.events.length === 0 && log.loading)) {
    body = (
      <LoadingState>
        Loading the audit log…
      </LoadingState>
    );
  } else if (log.events.length === 0) {
    body = (
      <EmptyState title={filtered ? 'No events match these filters' : 'Nothing has been recorded yet'}>
        <p>Token changes, requests, approvals and runs are recorded here; reads are not.</p>
      </EmptyState>
    );
  }

  return (
    <section className="list-page" aria-label="Audit log">
      <div className="toolbar">
        <h1 className="toolbar-title">Audit log</h1>
        <span className="list-total" data-testid="audit-total" aria-live="polite">
          {log.events.length > 0 ? `${count(log.events.length, 'event')}${log.nextBefore !== undefined ? '+' : ''}` : ''}
        </span>
        <button type="button" className="button" disabled={exporter.state.kind === 'running'} onClick={() => void exporter.run()}>
          {exporter.state.kind === 'running'
            ? `Exporting… ${exporter.state.events.toLocaleString('en-US')} events`
            : 'Export JSON lines'}
        </button>
      </div>
      <FilterForm filters={filters} />
      <DownloadNotice
        state={exporter.state}
        what={`${exporter.state.kind === 'done' ? count(exporter.state.events, 'event') : 'the events'} matching these filters`}
        copyLabel="Copy the JSON lines"
        onSaveAgain={() => void exporter.saveAgain()}
        testId="export-status"
        linkTestId="export-link"
      />
      {log.error && log.events.length > 0 && (
        <div className="inline-error" role="alert">
          Loading more failed: {log.error.message}{' '}
          <button type="button" className="button button-link" onClick={log.more}>
            Retry
          </button>
        </div>
      )}
      <VirtualRows<AuditEvent>
        label="Audit events"
        className={styles.table}
        columns={COLUMNS}
        items={log.stale ? [] : log.events}
        rowHeight={AUDIT_ROW_HEIGHT}
        rowKey={(e) => String(e.id)}
        onEndReached={log.more}
        busy={log.loading}
        body={body}
        footer={log.loading && log.events.length > 0 ? 'Loading older events…' : undefined}
        renderRow={(e, i, style) => (
          <div
            key={e.id}
            className={rowClass({ selected: open?.id === e.id }, styles.event)}
            role="row"
            aria-rowindex={i + 2}
            aria-selected={open?.id === e.id}
            data-event={e.action}
            style={style}
            onClick={() => setSelected(open?.id === e.id ? null : e)}
          >
            <div className={cellClass()} role="cell">
              <time dateTime={e.at} title={absoluteTime(e.at)}>
                {shortTime(e.at, now)}
              </time>
            </div>
            <div className={cellClass()} role="cell" title={e.actor}>
              {e.actor}
            </div>
            <div className={cellClass('mono')} role="cell">
              {e.action}
            </div>
            <div className={cellClass('mono')} role="cell" title={e.resource} data-column="resource">
              {e.resource.startsWith('action/') ? (
                <a href={actionHash(e.resource.slice('action/'.length))} onClick={(ev) => ev.stopPropagation()}>
                  {e.resource}
                </a>
              ) : (
                e.resource
              )}
            </div>
            <div className={cellClass()} role="cell">
              <Badge tone={OUTCOME_TONE[e.outcome]} data-outcome={e.outcome}>
                {e.outcome}
              </Badge>
            </div>
            <div className={cellClass(styles['detail-cell'])} role="cell" title={detailSummary(e.detail)}>
              {detailSummary(e.detail)}
            </div>
          </div>
        )}
      />
      {open && (
        <section className={`panel ${styles.detail}`} aria-label={`Event ${open.id}`}>
          <div className="section-tools">
            <h2>
              {open.action} · {open.resource}
            </h2>
            <button type="button" className="button button-link" onClick={() => setSelected(null)}>
              Close
            </button>
          </div>
          <p className="muted">
            {absoluteTime(open.at)} by {open.actor}, {open.outcome}
            {open.request_id ? ` · request ${open.request_id}` : ''}
          </p>
          <CodeBlock className={styles.code}>{JSON.stringify(open.detail, null, 2)}</CodeBlock>
        </section>
      )}
    </section>
  );
}
