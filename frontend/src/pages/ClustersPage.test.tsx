import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Claim, KubeCluster, Me, UnmappedWorkload } from '../api/client';
import { MeContext } from '../hooks/useMe';
import { ADMIN, DEVELOPER, fakeApi, json, makeRows, type Recorded } from '../test/fakeApi';
import { ClustersPage } from './ClustersPage';

afterEach(() => vi.unstubAllGlobals());

function WithMe({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={{ me, error: null, reload: () => undefined }}>{children}</MeContext.Provider>;
}

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const CLUSTERS: KubeCluster[] = [
  { name: 'prod-eu-1', region: 'eu-west-1', environment: 'production', state: 'ok', last_ok_at: ago(0), checked_at: ago(0), workloads: 120, unmapped: 1 },
  {
    name: 'prod-us-1',
    region: 'us-east-1',
    environment: 'production',
    state: 'unreachable',
    message: 'dial tcp 10.0.0.1:443: i/o timeout; check the network path from the portal to the cluster',
    last_ok_at: ago(12),
    checked_at: ago(0),
    workloads: 118,
    unmapped: 0,
  },
  { name: 'staging-eu-1', region: 'eu-west-1', environment: 'staging', state: 'unauthorized', message: 'the token has expired; renew it', workloads: 0, unmapped: 0 },
];

const WORKLOAD: UnmappedWorkload = {
  cluster: 'prod-eu-1',
  region: 'eu-west-1',
  environment: 'production',
  namespace: 'orders',
  kind: 'StatefulSet',
  name: 'postgres',
  image: 'postgres:16.4',
  version: '16.4',
  reason: 'no atrium.sphera.io/service annotation or app.kubernetes.io/name label',
};

interface Kube {
  clusters?: KubeCluster[];
  unmapped?: UnmappedWorkload[];
  claims?: Claim[];
  claim?: (r: Recorded) => Response;
}

function kubeApi(k: Kube = {}) {
  const claims = [...(k.claims ?? [])];
  let unmapped = [...(k.unmapped ?? [WORKLOAD])];
  return fakeApi({
    rows: makeRows(30),
    override: (r) => {
      const p = r.url.pathname;
      if (p === '/api/v1/kube/clusters') return json({ items: k.clusters ?? CLUSTERS });
      if (p === '/api/v1/kube/unmapped') {
        const c = r.url.searchParams.get('cluster');
        const items = unmapped.filter((w) => !c || w.cluster === c);
        return json({ items, total: items.length });
      }
      if (p === '/api/v1/kube/claims' && r.method === 'GET') return json({ items: claims });
      if (p === '/api/v1/kube/claims' && r.method === 'POST') {
        if (k.claim) return k.claim(r);
        const body = r.body as { cluster?: string; namespace: string; kind: string; name: string; service: string };
        const claim: Claim = { id: claims.length + 1, cluster: body.cluster ?? '', namespace: body.namespace, kind: body.kind, name: body.name, service: body.service, created_by: 'root', created_at: ago(0) };
        claims.push(claim);
        unmapped = unmapped.filter((w) => w.name !== body.name);
        return json({ claim, matched: 1 }, 201);
      }
      if (p.startsWith('/api/v1/kube/claims/') && r.method === 'DELETE') {
        const id = Number(p.split('/').pop());
        const i = claims.findIndex((c) => c.id === id);
        if (i >= 0) claims.splice(i, 1);
        return new Response(null, { status: 204 });
      }
      return undefined;
    },
  });
}

const show = (me: Me = ADMIN, mode = 'remote') =>
  render(
    <WithMe me={me}>
      <ClustersPage portalKey="k" mode={mode} />
    </WithMe>,
  );

describe('ClustersPage', () => {
  it("shows each cluster's state, its message, how old its data is and its workloads", async () => {
    kubeApi();
    show();
    const row = (name: string) => {
      const tr = document.querySelector(`tr[data-cluster="${name}"]`);
      if (!(tr instanceof HTMLElement)) throw new Error(`no row ${name}`);
      return tr;
    };
    await screen.findByRole('cell', { name: 'prod-us-1' });
    expect(within(row('prod-eu-1')).getByTestId('cluster-state').textContent).toBe('OK');
    expect(within(row('prod-eu-1')).getByTestId('cluster-data').textContent).toBe('Up to date (checked just now)');
    expect(row('prod-eu-1').textContent).toContain('120 workloads (1 unmapped)');

    const us = row('prod-us-1');
    expect(within(us).getByTestId('cluster-state').textContent).toBe('Unreachable');
    expect(within(us).getByTestId('cluster-data').textContent).toMatch(/^Unreachable since 12 min ago — showing data from /);
    expect(within(us).getByTestId('cluster-data').getAttribute('title')).toMatch(/^Data as of /);
    expect(us.textContent).toContain('i/o timeout; check the network path');
    expect(us.textContent).toContain('118 workloads');

    const staging = row('staging-eu-1');
    expect(within(staging).getByTestId('cluster-state').textContent).toBe('Credentials refused');
    expect(within(staging).getByTestId('cluster-data').textContent).toBe('No data from this cluster yet');
    expect(within(staging).getByTestId('cluster-state').getAttribute('title')).toContain('renews the kubeconfig');
  });

  it('says there are no live clusters in local mode, naming the demo clusters', async () => {
    kubeApi({ clusters: [] });
    show(ADMIN, 'local');
    expect(await screen.findByText('No live clusters in local mode')).toBeTruthy();
    await waitFor(() =>
      expect(document.body.textContent).toContain('(in the demo clusters prod-eu-west-1, prod-us-east-1 and staging-eu-west-1) are demo data'),
    );
    expect(screen.getByRole('link', { name: 'Settings' }).getAttribute('href')).toBe('#/settings');
    expect(screen.queryByText(/Unmapped workloads/)).toBeNull();
  });

  it('says how to register clusters on a portal that has none', async () => {
    kubeApi({ clusters: [] });
    show();
    expect(await screen.findByText('This portal reads no Kubernetes cluster yet')).toBeTruthy();
  });

  it('says why not to someone without sources:read, and asks nothing', async () => {
    const api = kubeApi();
    show({ ...DEVELOPER, permissions: ['catalog:read'] });
    expect(await screen.findByText('You may not see the clusters')).toBeTruthy();
    expect(screen.getByText('Seeing the catalog sources needs a role on a team (it needs sources:read).')).toBeTruthy();
    expect(api.requests.some((r) => r.url.pathname.startsWith('/api/v1/kube/'))).toBe(false);
  });
});

describe('UnmappedWorkloads and claims', () => {
  it('lets an admin claim a workload for a service chosen from the catalog, in its cluster only', async () => {
    const api = kubeApi();
    show();
    const row = await waitFor(() => {
      const el = document.querySelector('[data-workload="postgres"]');
      if (!(el instanceof HTMLElement)) throw new Error('no workload row');
      return el;
    });
    expect(row.textContent).toContain('no atrium.sphera.io/service annotation');
    fireEvent.click(within(row).getByRole('button', { name: 'Claim…' }));
    const form = screen.getByRole('form', { name: 'Claim orders/StatefulSet/postgres' });

    // Nothing chosen yet: the form says so and sends nothing.
    fireEvent.click(within(form).getByRole('button', { name: 'Claim' }));
    expect(within(form).getByText('Choose the catalog service this workload belongs to.')).toBeTruthy();

    const picker = within(form).getByRole('combobox');
    fireEvent.focus(picker);
    fireEvent.change(picker, { target: { value: 'svc-0003' } });
    fireEvent.click(await screen.findByRole('option', { name: /svc-0003/ }));
    fireEvent.click(within(form).getByRole('button', { name: 'Claim' }));

    expect((await screen.findByTestId('claim-saved')).textContent).toContain('orders/StatefulSet/postgres in prod-eu-1 now belongs to svc-0003 (1 workload matched).');
    const post = api.requests.find((r) => r.url.pathname === '/api/v1/kube/claims' && r.method === 'POST');
    expect(post?.body).toEqual({ cluster: 'prod-eu-1', namespace: 'orders', kind: 'StatefulSet', name: 'postgres', service: 'svc-0003' });
    // The lists are read again: the workload is claimed, and the claim is listed.
    expect(await screen.findByText('Every workload belongs to a service')).toBeTruthy();
    const claim = await waitFor(() => {
      const el = document.querySelector('tr[data-claim="1"]');
      if (!(el instanceof HTMLElement)) throw new Error('no claim row');
      return el;
    });
    expect(claim.textContent).toContain('orders/StatefulSet/postgres');
    expect(within(claim).getByRole('link', { name: 'svc-0003' }).getAttribute('href')).toBe('#/services/svc-0003');
  });

  it('claims in every cluster, and shows the portal’s problem with the service at the picker', async () => {
    const api = kubeApi({
      claim: () => json({ error: { code: 'bad_request', message: 'invalid claim', fields: [{ field: 'service', problem: 'no service named "svc-0001"' }] } }, 400),
    });
    show();
    fireEvent.click(await screen.findByRole('button', { name: 'Claim…' }));
    const form = screen.getByRole('form', { name: 'Claim orders/StatefulSet/postgres' });
    fireEvent.click(within(form).getByLabelText(/in every cluster/));
    const picker = within(form).getByRole('combobox');
    fireEvent.focus(picker);
    fireEvent.change(picker, { target: { value: 'svc-0001' } });
    fireEvent.click(await screen.findByRole('option', { name: /svc-0001/ }));
    fireEvent.click(within(form).getByRole('button', { name: 'Claim' }));
    expect(await within(form).findByText('no service named "svc-0001"')).toBeTruthy();
    expect(picker.getAttribute('aria-invalid')).toBe('true');
    const post = api.requests.find((r) => r.url.pathname === '/api/v1/kube/claims' && r.method === 'POST');
    expect(post?.body).toEqual({ namespace: 'orders', kind: 'StatefulSet', name: 'postgres', service: 'svc-0001' });
    expect(screen.queryByTestId('claim-saved')).toBeNull();
  });

  it('lists claims, and lets an admin remove one after confirming', async () => {
    const api = kubeApi({
      unmapped: [],
      claims: [{ id: 7, cluster: '', namespace: 'orders', kind: 'StatefulSet', name: 'postgres', service: 'orders', created_by: 'root', created_at: ago(60) }],
    });
    show();
    const claim = await waitFor(() => {
      const el = document.querySelector('tr[data-claim="7"]');
      if (!(el instanceof HTMLElement)) throw new Error('no claim row');
      return el;
    });
    expect(claim.textContent).toContain('every cluster');
    expect(claim.textContent).toContain('by root, 1 hour ago');
    fireEvent.click(within(claim).getByRole('button', { name: 'Remove' }));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('It stops belonging to orders in every cluster');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove claim' }));
    await waitFor(() => expect(document.querySelector('tr[data-claim="7"]')).toBeNull());
    expect(api.requests.some((r) => r.method === 'DELETE' && r.url.pathname === '/api/v1/kube/claims/7')).toBe(true);
    expect(screen.getByText(/No claims/)).toBeTruthy();
  });

  it('shows a developer the unmapped workloads and claims without the actions, saying why', async () => {
    kubeApi({ claims: [{ id: 7, cluster: 'prod-eu-1', namespace: 'x', kind: 'Deployment', name: 'y', service: 'z', created_by: 'root', created_at: ago(1) }] });
    show(DEVELOPER);
    await waitFor(() => expect(document.querySelector('[data-workload="postgres"]')).toBeTruthy());
    expect(screen.getByText(/Mapping workloads to services is for admins \(it needs kube:claim\)\./)).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Claim…' })).toBeNull();
    await waitFor(() => expect(document.querySelector('tr[data-claim="7"]')).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Remove' })).toBeNull();
  });
});
