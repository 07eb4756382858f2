// Words and rules for secrets in the UI: where a secret lives, who may reveal it where. The portal decides again on
// every request; these only decide what the UI offers and how it says it.
import type { Me, Secret, SecretConventions, SecretEnvironment, SecretPlace } from '../api/client';
import { can } from './permissions';
import { possessive } from './format';

const BACKEND: Record<SecretPlace['backend'], string> = {
  kubernetes: 'Kubernetes Secret',
  aws: 'AWS Secrets Manager',
  local: 'local vault',
};

/** "Kubernetes Secret in cluster dev-eu-1 / namespace payments", "AWS Secrets Manager in eu-west-1". */
export function whereLabel(p: SecretPlace): string {
  if (p.backend === 'kubernetes') return `${BACKEND.kubernetes} in cluster ${p.cluster ?? '?'} / namespace ${p.namespace ?? '?'}`;
  return `${BACKEND[p.backend] ?? p.backend} in ${p.region}`;
}

/** "dev eu-west-1", "dev dev-eu-1": a place in a list. */
export function placeLabel(p: SecretPlace): string {
  return `${p.environment} ${p.cluster ?? p.region}`;
}

/** The environments a secret exists in, in the order the conventions list them (unknown ones after). */
export function environmentsOf(s: Secret): string[] {
  return [...new Set(s.locations.map((l) => l.environment))].sort();
}

/** The environment's conventions, if any. */
export function environment(conv: SecretConventions | undefined, name: string): SecretEnvironment | undefined {
  return conv?.environments.find((e) => e.name === name);
}

/**
 * Whether me may reveal values of team's secrets in env: the conventions must name roles there, and me must hold
 * one of them on team (or be an admin) and the secrets:reveal permission in env.
 */
export function mayReveal(me: Me | null | undefined, conv: SecretConventions | undefined, team: string, env: string): boolean {
  const e = environment(conv, env);
  if (!me || !e || e.reveal.length === 0 || !can(me, 'secrets:reveal', team, env)) return false;
  return me.grants.some((g) => (g.role === 'admin' && !g.team) || (e.reveal.includes(g.role) && (!g.team || g.team === team)));
}

/** Why a reveal is not offered in env, for a disabled control. */
export function whyNoReveal(conv: SecretConventions | undefined, team: string, env: string): string {
  const e = environment(conv, env);
  if (!e || e.reveal.length === 0) return `The conventions allow no reveal in ${env}: read the value where it is used.`;
  return `In ${env}, values of ${possessive(team)} secrets are revealed to the team's ${e.reveal.join(' or ').replace('_', ' ')}s only.`;
}

/** A count with its noun: "1 secret", "3 secrets". */
export function secretCount(n: number): string {
  return n === 1 ? '1 secret' : `${n} secrets`;
}
