import type { ComponentPropsWithoutRef } from 'react';
import { cx } from '../lib/classNames';
import styles from './Badge.module.css';

/** What a badge's colour says. */
export type BadgeTone = 'ok' | 'warn' | 'error' | 'info' | 'neutral' | 'stale';

/** The tones of sources, clusters and workloads ("busy": syncing, connecting, progressing) as badge tones. */
export type StatusTone = 'ok' | 'busy' | 'warn' | 'error' | 'neutral';
export const STATUS_TONE: Record<StatusTone, BadgeTone> = { ok: 'ok', busy: 'info', warn: 'warn', error: 'error', neutral: 'neutral' };

const TONE: Record<BadgeTone, string | undefined> = {
  ok: styles.ok,
  warn: styles.warn,
  error: styles.error,
  info: styles.info,
  neutral: styles.neutral,
  stale: styles.stale,
};

type Props = ComponentPropsWithoutRef<'span'> & {
  tone: BadgeTone;
  /** A rounded pill (counts, states), or a square label (a lifecycle, an environment). */
  shape?: 'pill' | 'label';
};

/** A short coloured word or number: a state, how far behind, a lifecycle, an environment. */
export function Badge({ tone, shape = 'pill', className, ...rest }: Props) {
  return <span {...rest} className={cx(shape === 'label' ? styles.label : styles.badge, TONE[tone], className)} />;
}
