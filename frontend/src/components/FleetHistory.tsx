import { useState } from 'react';
import { api, asApiError, type ApiError, type FleetVersion, type JsonValue } from '../api/client';
import { useLoad } from '../hooks/useLoad';
import { useNow } from '../hooks/useNow';
import { configChanges, configText } from '../lib/fleet';
import { absoluteTime, shortTime } from '../lib/format';
import { fleetHistoryHash, navigate } from '../lib/router';
import { ConfirmDialog } from './ConfirmDialog';
import { FleetChanges } from './FleetChanges';
import { EmptyState, ErrorState, LoadingState } from './Notice';
import styles from './FleetHistory.module.css';
import { Badge } from './Badge';
import { CodeFigure } from './CodeBlock';

const PAGE = 50;

interface Props {
  /** The version opened (0: the newest). */
  version: number;
  /** Changes when a version is pushed from here or elsewhere on the page. */
  refreshKey: string;
  /** A rollback pushed a new version. */
  onRolledBack: (v: FleetVersion) => void;
}

/**
 * Every version of the fleet configuration, newest first — who pushed it, when, why, whether it rolled back to an
 * earlier one — and one version opened: what it changed against the version before it, its whole document, and
 * "Roll back to this version", which pushes its content again as a new version after a confirmation.
 */
export function FleetHistory({ version, refreshKey, onRolledBack }: Props) {
  const now = useNow();
  const [pages, setPages] = useState(1);
  const list = useLoad((signal) => api.listFleetHistory({ limit: PAGE * pages }, signal), `${refreshKey}|${pages}`);
  const items = list.data ?? [];
  const latest = items[0]?.version ?? 0;
  const openVersion = version > 0 ? version : latest;

  if (!list.data && list.error) return <ErrorState title="The history could not be loaded" error={list.error} onRetry={list.reload} />;
  if (!list.data)
    return (
      <LoadingState>Loading the history…</LoadingState>
    );
  if (items.length === 0)
    return (
      <EmptyState title="No configuration was pushed yet">
        <p>Every push and rollback becomes a version here.</p>
      </EmptyState>
    );

  return (
    <div className={styles.history}>
      <ol className={styles.versions} aria-label="Versions">
        {items.map((v) => (
          <li key={v.version} data-version={v.version} aria-current={v.version === openVersion ? 'true' : undefined}>
            <a href={fleetHistoryHash(v.version)} className={styles.version}>
              <strong>version {v.version}</strong>
              {v.version === latest && <Badge tone="ok">in force</Badge>}
              {(v.rollback_of ?? 0) > 0 && <Badge tone="info">rollback to v{v.rollback_of}</Badge>}
            </a>
            <span className="muted">
              by {v.created_by}{' '}
              <time dateTime={v.created_at} title={absoluteTime(v.created_at)}>
                {shortTime(v.created_at, now)}
              </time>
            </span>
            {v.note && <span className={styles['version-note']}>“{v.note}”</span>}
          </li>
        ))}
      </ol>
      {items.length === PAGE * pages && (
        <button type="button" className="button" onClick={() => setPages((n) => n + 1)}>
          Show older versions
        </button>
      )}
      {openVersion > 0 && <VersionDetail key={`${openVersion}|${refreshKey}`} version={openVersion} latest={latest} onRolledBack={onRolledBack} />}
    </div>
  );
}

function VersionDetail({ version, latest, onRolledBack }: { version: number; latest: number; onRolledBack: (v: FleetVersion) => void }) {
  const v = useLoad((signal) => api.getFleetVersion(version, signal), String(version));
  const prev = useLoad((signal) => api.getFleetVersion(version - 1, signal), String(version - 1), { enabled: version > 1 });
  const [confirm, setConfirm] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (!v.data && v.error) return <ErrorState title={`Version ${version} could not be loaded`} error={v.error} onRetry={v.reload} />;
  if (!v.data)
    return (
      <LoadingState>Loading version {version}…</LoadingState>
    );
  const before = version === 1 ? ({ settings: {} } as JsonValue) : (prev.data?.config as JsonValue | undefined);
  const changes = before === undefined ? null : configChanges(before, v.data.config);

  const rollback = async () => {
    setBusy(true);
    setError(null);
    try {
      const pushed = await api.rollbackFleetConfig(version, latest, note.trim());
      setConfirm(false);
      onRolledBack(pushed);
      navigate(fleetHistoryHash(pushed.version));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="fleet-version-heading" data-testid="fleet-version">
      <h2 id="fleet-version-heading">Version {version}</h2>
      {v.data.note && <p>“{v.data.note}”</p>}
      <h3>{version === 1 ? 'What it set' : `What it changed against version ${version - 1}`}</h3>
      {prev.error && version > 1 ? (
        <p className="inline-error">Version {version - 1} could not be loaded to compare: {prev.error.message}</p>
      ) : changes === null ? (
        <p className="muted">Comparing…</p>
      ) : changes.length === 0 ? (
        <p className="muted">Nothing: the same configuration as version {version - 1}.</p>
      ) : (
        <FleetChanges changes={changes} label={`What version ${version} changed`} testId="fleet-version-changes" />
      )}
      <CodeFigure caption={`The whole configuration (signed with ${v.data.key_id ?? 'the portal key'})`}>{configText(v.data.config)}</CodeFigure>
      <div className="form-actions">
        {version === latest ? (
          <span className="muted">This version is in force.</span>
        ) : (
          !confirm && (
            <button type="button" className="button" onClick={() => setConfirm(true)}>
              Roll back to version {version}…
            </button>
          )
        )}
      </div>
      {confirm && (
        <ConfirmDialog
          title={`Push version ${version}'s configuration again?`}
          confirmLabel={`Roll back to version ${version}`}
          busy={busy}
          onConfirm={() => void rollback()}
          onCancel={() => {
            setConfirm(false);
            setError(null);
          }}
        >
          <p>
            It becomes version {latest + 1}, replacing version {latest} on every install within seconds. Nothing is deleted: version {latest}{' '}
            stays in the history.
          </p>
          <label className={styles.note}>
            <span>Note (why)</span>
            <input type="text" maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} aria-label="Rollback note" />
          </label>
          {error && (
            <p className="inline-error" role="alert">
              {error.status === 409 ? 'Someone pushed a newer version meanwhile; nothing was rolled back. Reload the history and try again.' : error.message}
            </p>
          )}
        </ConfirmDialog>
      )}
    </section>
  );
}
