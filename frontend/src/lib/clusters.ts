// What the UI says about a Kubernetes cluster's collector state (GET /api/v1/kube/clusters, and each column of the
// matrix): a label, a tone, what it means, and how old the data shown is. Pure functions of the state and `now`.
import { absoluteTime, relativeTime, shortTime } from './format';

export type ClusterTone = 'ok' | 'busy' | 'warn' | 'error' | 'neutral';

export interface ClusterStateView {
  label: string;
  tone: ClusterTone;
  /** What the state means, and what to do about it. */
  meaning: string;
}

/** The state badge of a cluster; an unknown state (a newer portal) is shown as it is. */
export function clusterState(state: string | undefined): ClusterStateView {
  switch (state) {
    case 'ok':
      return { label: 'OK', tone: 'ok', meaning: 'Every informer is synced and the last requests succeeded.' };
    case 'connecting':
      return { label: 'Connecting', tone: 'busy', meaning: 'Registered; the first complete list of workloads has not finished.' };
    case 'unreachable':
      return {
        label: 'Unreachable',
        tone: 'error',
        meaning: 'The portal cannot reach the cluster (refused, timed out, DNS or network); it keeps the last data it had.',
      };
    case 'unauthorized':
      return {
        label: 'Credentials refused',
        tone: 'error',
        meaning: "The cluster rejected the portal's credentials (an expired or invalid token); an admin renews the kubeconfig.",
      };
    case 'forbidden':
      return {
        label: 'Forbidden',
        tone: 'warn',
        meaning: 'RBAC forbids listing or watching one of the resources Atrium reads; an admin grants the atrium-reader role.',
      };
    case 'invalid-config':
      return {
        label: 'Invalid configuration',
        tone: 'error',
        meaning: "The cluster's kubeconfig does not parse, is missing, names no such context, or its TLS settings do not verify.",
      };
    case 'error':
      return { label: 'Error', tone: 'error', meaning: 'The cluster answered with an error; the message says which.' };
    case undefined:
    case '':
      return { label: 'Unknown', tone: 'neutral', meaning: 'No live state is known for this cluster (for example, demo data).' };
    default:
      return { label: state, tone: 'neutral', meaning: '' };
  }
}

/** Whether a cluster's data is live (ok) or its state is unknown, i.e. nothing to warn about in the matrix. */
export function clusterIsFresh(state: string | undefined): boolean {
  return state === undefined || state === '' || state === 'ok';
}

interface ClusterTimes {
  state?: string;
  last_ok_at?: string;
  checked_at?: string;
}

/**
 * How current a cluster's data is, as one sentence: "Up to date (checked 20 s ago)", "Unreachable since 12 min
 * ago — showing data from 11:04", "No data from this cluster yet".
 */
export function clusterDataText(c: ClusterTimes, now: Date): string {
  const view = clusterState(c.state);
  if (c.state === 'ok') return c.checked_at ? `Up to date (checked ${relativeTime(c.checked_at, now)})` : 'Up to date';
  if (c.state === undefined || c.state === '') return 'No live state known';
  if (!c.last_ok_at) {
    return c.state === 'connecting' ? 'Connecting — listing workloads for the first time' : 'No data from this cluster yet';
  }
  return `${view.label} since ${relativeTime(c.last_ok_at, now)} — showing data from ${shortTime(c.last_ok_at, now)}`;
}

/** The exact time a cluster's data is from, for a title attribute ("" when it has none). */
export function clusterDataTitle(c: ClusterTimes): string {
  return c.last_ok_at ? `Data as of ${absoluteTime(c.last_ok_at)}` : '';
}
