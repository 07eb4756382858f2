import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, asApiError, type ApiError, type FieldProblem, type FlagWriteResult } from '../api/client';
import { announceActionChange } from '../hooks/useApprovalCount';
import { useDownload } from '../hooks/useDownload';
import { useMe } from '../hooks/useMe';
import { count, possessive } from '../lib/format';
import { can, whyNot } from '../lib/permissions';
import { describeSubmitError } from '../lib/submitError';
import { ConfirmDialog } from './ConfirmDialog';
import { DownloadNotice } from './DownloadNotice';
import { PendingApprovalNotice } from './PendingApprovalNotice';
import { SubmitFailure } from './SubmitFailure';
import { cellClass, rowClass, VirtualRows } from './VirtualRows';
import styles from './FlagImportExport.module.css';

interface Props {
  environments: readonly string[];
  /** The environment the table is filtered to, if any: the one to start with. */
  environment: string;
  /** Called after an import changed a flag set, to reload the table. */
  onImported: () => void;
}

/** Export an environment's flag set as a flagd file; import one (admins), replacing the set. */
export function FlagImportExport({ environments, environment, onImported }: Props) {
  const { me } = useMe();
  const first = environment || environments[0] || '';
  return (
    <section className={`panel ${styles['flag-tools']}`} aria-label="Import and export">
      <FlagExport environments={environments} initial={first} />
      {can(me, 'flags:import') ? (
        <FlagImport environments={environments} initial={first} onImported={onImported} />
      ) : (
        <p className={`muted ${styles['flag-import-denied']}`}>{whyNot(me, 'flags:import')}</p>
      )}
    </section>
  );
}

function FlagExport({ environments, initial }: { environments: readonly string[]; initial: string }) {
  const [env, setEnv] = useState(initial);
  const download = useDownload();
  return (
    <div className={styles['flag-tool']}>
      <h2>Export</h2>
      <div className={styles['flag-tool-row']}>
        <label className="facet-filter">
          <span className="facet-label">Environment</span>
          <select aria-label="Environment to export" value={env} onChange={(e) => setEnv(e.target.value)}>
            {environments.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button"
          disabled={!env || download.state.kind === 'running'}
          onClick={() => void download.run(() => api.exportFlags(env))}
        >
          {download.state.kind === 'running' ? 'Exporting…' : 'Export flagd file'}
        </button>
      </div>
      <DownloadNotice
        state={download.state}
        what={`the flag set of ${env}`}
        copyLabel="Copy the JSON"
        testId="flag-export-status"
        onSaveAgain={() => void download.saveAgain()}
        className={styles.notice}
      />
    </div>
  );
}

type ImportOutcome = { kind: 'none' } | { kind: 'done'; result: FlagWriteResult; environment: string } | { kind: 'failed'; error: ApiError };

function FlagImport({ environments, initial, onImported }: { environments: readonly string[]; initial: string; onImported: () => void }) {
  const [env, setEnv] = useState(initial);
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [team, setTeam] = useState('');
  const [comment, setComment] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ImportOutcome>({ kind: 'none' });

  const pick = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setText(await file.text());
    setOutcome({ kind: 'none' });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) setConfirming(true);
  };

  const run = async () => {
    setBusy(true);
    try {
      const result = await api.importFlags(env, text, { team: team.trim() || undefined, comment: comment.trim() || undefined });
      setOutcome({ kind: 'done', result, environment: env });
      if (result.kind === 'pending') announceActionChange();
      else onImported();
    } catch (err) {
      setOutcome({ kind: 'failed', error: asApiError(err) });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <form className={styles['flag-tool']} onSubmit={submit} aria-label="Import a flagd file">
      <h2>Import</h2>
      <p className={`muted ${styles['flag-tool-help']}`}>
        A flagd flag-definition file replaces the whole flag set of the environment: flags missing from the file are
        closed. Each flag&apos;s team comes from its <code>metadata.team</code>, else stays as it was.
      </p>
      <div className={styles['flag-tool-row']}>
        <label className="facet-filter">
          <span className="facet-label">Environment</span>
          <select aria-label="Environment to import into" value={env} onChange={(e) => setEnv(e.target.value)}>
            {environments.map((e) => (
              <option key={e} value={e}>
                {e}
              </option>
            ))}
          </select>
        </label>
        <label className={`button ${styles['file-button']}`}>
          Choose a file…
          <input type="file" accept=".json,application/json" aria-label="Flagd file" onChange={(e) => void pick(e.target.files?.[0])} />
        </label>
        {fileName && <span className="muted">{fileName}</span>}
      </div>
      <div className="field">
        <label htmlFor="flag-import-text">Or paste the file</label>
        <textarea
          id="flag-import-text"
          className="mono"
          rows={4}
          spellCheck={false}
          value={text}
          placeholder='{"flags": {"my-flag": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"}}}'
          onChange={(e) => {
            setText(e.target.value);
            setFileName('');
            setOutcome({ kind: 'none' });
          }}
        />
      </div>
      <div className={styles['flag-tool-row']}>
        <label className="facet-filter">
          <span className="facet-label">Team of flags without one</span>
          <input type="text" value={team} onChange={(e) => setTeam(e.target.value)} placeholder="optional" />
        </label>
        <label className="facet-filter">
          <span className="facet-label">Comment</span>
          <input type="text" value={comment} onChange={(e) => setComment(e.target.value)} placeholder="why (in each flag's history)" />
        </label>
        <button type="submit" className="button" disabled={!text.trim() || busy}>
          Import into {env}
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          title={`Replace the flag set of ${env}?`}
          confirmLabel={`Replace ${possessive(env)} flags`}
          danger
          busy={busy}
          onConfirm={() => void run()}
          onCancel={() => setConfirming(false)}
        >
          <p>Flags of {env} that are not in the file are closed; every change is recorded in the flags&apos; history.</p>
        </ConfirmDialog>
      )}
      <ImportResult outcome={outcome} />
    </form>
  );
}

function ImportResult({ outcome }: { outcome: ImportOutcome }) {
  if (outcome.kind === 'none') return null;
  if (outcome.kind === 'done') {
    const r = outcome.result;
    if (r.kind === 'pending') return <PendingApprovalNotice pending={r.pending} what={`The import into ${outcome.environment}`} />;
    if (r.kind === 'imported') {
      return (
        <p className="form-saved" role="status" data-testid="flag-import-done">
          Imported: {outcome.environment} now has {count(r.result.flags, 'flag')}.
        </p>
      );
    }
    return null;
  }
  const e = outcome.error;
  if (e.status === 400 && e.fields.length > 0) return <ImportProblems problems={e.fields} message={e.message} />;
  const failure = describeSubmitError(e, 'import', { retrySafe: 'Importing the same file again is safe: the flag set ends up the same.' });
  return (
    <SubmitFailure title={failure.title} next={failure.next}>
      <p>{failure.body}</p>
    </SubmitFailure>
  );
}

const PROBLEM_COLUMNS = [{ label: 'Where (JSON Pointer)' }, { label: 'Problem' }];

/** The portal's problems with a file: where each is (a JSON Pointer into the file) and what is wrong. */
export function ImportProblems({ problems, message }: { problems: readonly FieldProblem[]; message: string }) {
  const headline = message.replace(/ \(.*\)$/s, '');
  const ref = useRef<HTMLDivElement>(null);
  // A block body: scrollIntoView returns a promise in newer browsers, and an effect may return only a cleanup.
  useEffect(() => {
    ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [problems]);
  return (
    <SubmitFailure
      title={`Nothing was imported: the portal found ${count(problems.length, 'problem')} in the file`}
      testId="flag-import-problems"
      className={styles['import-problems']}
      ref={ref}
    >
      <p className="muted">{headline}. Fix each place below in the file and import it again.</p>
      <VirtualRows<FieldProblem>
        label="Problems in the file"
        className={styles.problems}
        columns={PROBLEM_COLUMNS}
        items={problems}
        rowHeight={32}
        rowKey={(p) => `${p.field}|${p.problem}`}
        renderRow={(p, i, style) => (
          <div key={`${p.field}|${p.problem}`} className={rowClass({ clickable: false })} role="row" aria-rowindex={i + 2} style={style} data-path={p.field}>
            <div className={cellClass('mono')} role="cell" title={p.field || '(the whole file)'}>
              {p.field || '(the whole file)'}
            </div>
            <div className={cellClass()} role="cell" title={p.problem}>
              {p.problem}
            </div>
          </div>
        )}
      />
    </SubmitFailure>
  );
}
