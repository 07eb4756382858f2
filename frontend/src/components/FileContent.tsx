import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import type { PlanFile } from '../api/client';
import { copyText } from '../lib/clipboard';
import { fileLines } from '../lib/planTree';
import styles from './FileContent.module.css';

/** Lines are this tall (CSS keeps them so). */
const LINE_HEIGHT = 19;

interface Props {
  file: PlanFile;
  /** Where the file goes: the repository, the infrastructure repository or the cluster. */
  where: string;
}

/**
 * One planned file, monospace with line numbers. Only the lines in view are rendered, so a 1 MiB file opens as
 * fast as a short one; the width follows the longest line, so long lines scroll sideways instead of wrapping.
 */
export function FileContent({ file, where }: Props) {
  const lines = useMemo(() => fileLines(file.content), [file.content]);
  const longest = useMemo(() => lines.reduce((n, l) => Math.max(n, l.length), 0), [lines]);
  const gutter = String(lines.length).length;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => LINE_HEIGHT,
    overscan: 30,
  });
  const [copied, setCopied] = useState('');
  const bytes = new TextEncoder().encode(file.content).length;

  return (
    <figure className={styles.file} aria-label={`${file.path} in ${where}`}>
      <figcaption className={styles.caption}>
        <span className={styles.path}>
          <span className={styles.where}>{where}</span> / <span className="mono">{file.path}</span>
        </span>
        <span className={styles.size}>
          {lines.length} line{lines.length === 1 ? '' : 's'}, {bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`}
        </span>
        <button
          type="button"
          className="button button-link"
          onClick={() => void copyText(file.content).then((ok) => setCopied(ok ? `${file.path} copied.` : 'Copying failed: select the text and copy it.'))}
        >
          Copy
        </button>
      </figcaption>
      {copied && (
        <p className={styles.copied} role="status">
          {copied}
        </p>
      )}
      <div className={styles.scroll} ref={scrollRef} tabIndex={0} role="region" aria-label={`Content of ${file.path}`} data-testid="file-content">
        <div
          className={styles.canvas}
          style={{ height: virtualizer.getTotalSize(), width: `calc(${longest + gutter}ch + 46px)` }}
        >
          {virtualizer.getVirtualItems().map((vi) => (
            <div key={vi.index} className={styles.line} style={{ transform: `translateY(${vi.start}px)` }}>
              <span className={styles.number} style={{ width: `calc(${gutter}ch + 22px)` }} aria-hidden="true">
                {vi.index + 1}
              </span>
              <code className={styles.text}>{lines[vi.index]}</code>
            </div>
          ))}
        </div>
      </div>
    </figure>
  );
}
