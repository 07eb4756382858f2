import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Action, Service, ServiceScorecard } from '../api/client';
import { FeaturesContext } from '../hooks/useFeatures';
import { ALL_FEATURES_ON, DEVELOPER, fakeApi, featuresWithOff, json, makeAction } from '../test/fakeApi';
import { PREVIEW_OUTPUTS, runSteps } from '../test/goldenFixtures';
import { WithMe } from '../test/withMe';
import { ServicePage } from './ServicePage';

afterEach(() => vi.unstubAllGlobals());

const service: Service = {
  name: 'payments-api',
  title: 'Payments API',
  description: 'Creates and captures payments.',
  owner: 'payments',
  lifecycle: 'production',
  type: 'service',
  language: 'Go',
  system: 'payments-platform',
  tags: ['api', 'pci'],
  links: [{ title: 'Runbook', url: 'https://runbooks.example.com/payments-api' }],
  repository: { url: 'https://github.com/sphera/payments-api', default_branch: 'main' },
  source: 'demo',
  dependencies: [
    { ecosystem: 'go', name: 'github.com/go-chi/chi/v5', version: 'v5.1.0', latest: 'v5.5.0' },
    { ecosystem: 'go', name: 'google.golang.org/grpc', version: 'v1.67.1', latest: 'v2.0.0' },
    { ecosystem: 'go', name: 'go.uber.org/zap', version: 'v1.27.0', latest: 'v1.27.0' },
  ],
  deployments: [],
  findings: [{ severity: 'warning', summary: 'No on-call link', detail: 'Add one to atrium.yaml.', source: 'readiness' }],
  synced_at: new Date().toISOString(),
};

describe('ServicePage', () => {
  it('shows the header, dependencies with behind badges, links, findings and no deployments', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    expect(await screen.findByRole('heading', { name: 'payments-api', level: 1 })).toBeTruthy();
    expect(screen.getByText('Payments API')).toBeTruthy();
    expect(screen.getByText('payments-platform')).toBeTruthy();
    const table = screen.getByRole('table');
    const rows = within(table).getAllByRole('row').slice(1);
    // Outdated first, then by name.
    expect(rows.map((r) => within(r).getAllByRole('cell')[1]?.textContent)).toEqual([
      'github.com/go-chi/chi/v5',
      'google.golang.org/grpc',
      'go.uber.org/zap',
    ]);
    expect(rows.map((r) => within(r).getAllByRole('cell')[5]?.textContent)).toEqual(['minor', 'major', 'current']);
    fireEvent.click(screen.getByRole('button', { name: /Behind/ }));
    expect(within(within(table).getAllByRole('row')[1] as HTMLElement).getByText('major')).toBeTruthy();

    const runbook = screen.getByRole('link', { name: 'Runbook' });
    expect(runbook.getAttribute('target')).toBe('_blank');
    expect(runbook.getAttribute('rel')).toContain('noopener');
    expect(screen.getByText('No on-call link')).toBeTruthy();
    expect(screen.getByText('No deployments known yet')).toBeTruthy();
  });

  it('opens external links through Wails when it is there', async () => {
    fakeApi({ services: { 'payments-api': service } });
    const open = vi.fn();
    window.runtime = { BrowserOpenURL: open };
    try {
      render(<ServicePage name="payments-api" refreshKey="" />);
      fireEvent.click(await screen.findByRole('link', { name: 'Runbook' }));
      expect(open).toHaveBeenCalledWith('https://runbooks.example.com/payments-api');
    } finally {
      delete window.runtime;
    }
  });

  it('says there is no such service, with a way back', async () => {
    fakeApi();
    render(<ServicePage name="nope" refreshKey="" />);
    expect(await screen.findByText('No service named nope')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Back to the catalog' }).getAttribute('href')).toBe('#/');
  });
});

describe('ServicePage dependency rows', () => {
  it('link each package to the services using it', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    const link = await screen.findByRole('link', { name: 'github.com/go-chi/chi/v5' });
    expect(link.getAttribute('href')).toBe('#/packages/go/github.com%2Fgo-chi%2Fchi%2Fv5');
  });
  it('do not link to the Packages page when its feature flag is off', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(
      <FeaturesContext.Provider value={{ kind: 'loaded', features: featuresWithOff('atrium-ui-packages-page') }}>
        <ServicePage name="payments-api" refreshKey="" />
      </FeaturesContext.Provider>,
    );
    await screen.findByText('github.com/go-chi/chi/v5');
    expect(screen.queryByRole('link', { name: 'github.com/go-chi/chi/v5' })).toBeNull();
  });
});

describe('ServicePage deployments', () => {
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const deployed: Service = {
    ...service,
    deployments: [
      {
        cluster: 'staging-eu-west-1',
        region: 'eu-west-1',
        environment: 'staging',
        namespace: 'payments',
        kind: 'Deployment',
        name: 'payments-api',
        image: 'registry.example.com/payments/payments-api:1.2.0',
        version: '1.2.0',
        ready: 1,
        desired: 1,
        health: 'healthy',
        rollout_at: at(90),
        updated_at: at(90),
      },
      {
        cluster: 'prod-us-east-1',
        region: 'us-east-1',
        environment: 'production',
        namespace: 'payments',
        kind: 'Deployment',
        name: 'payments-api',
        image: 'registry.example.com/payments/payments-api:1.1.3',
        version: '1.1.3',
        ready: 4,
        desired: 5,
        autoscaler: { min: 2, max: 8, current: 5, desired: 5 },
        health: 'degraded',
        health_detail: '4 of 5 replicas ready',
        rollout_at: at(3 * 24 * 60),
        updated_at: at(5),
      },
      {
        cluster: 'prod-eu-west-1',
        region: 'eu-west-1',
        environment: 'production',
        namespace: 'payments',
        kind: 'StatefulSet',
        name: 'payments-db',
        image: 'postgres@sha256:0123456789abcdef',
        version: 'sha256:0123456789ab',
        ready: 3,
        desired: 3,
        health: 'healthy',
        updated_at: at(5),
      },
    ],
  };

  it('groups by environment and shows image and tag, replicas, autoscaler, last rollout and health', async () => {
    fakeApi({ services: { 'payments-api': deployed } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    await screen.findByRole('heading', { name: 'payments-api', level: 1 });
    const table = screen.getByRole('table', { name: 'Deployments' });
    if (!(table instanceof HTMLTableElement)) throw new Error('no deployments table');
    expect(Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent)).toEqual([
      'Cluster',
      'Region',
      'Health',
      'Version',
      'Ready',
      'Workload',
      'Namespace',
      'Image',
      'Autoscaler',
      'Last rollout',
    ]);
    const groups = Array.from(table.tBodies).map((b) => [b.getAttribute('data-environment'), b.rows[0]?.textContent]);
    expect(groups).toEqual([
      ['production', 'production · 2 clusters'],
      ['staging', 'staging · 1 cluster'],
    ]);
    const cells = (cluster: string) =>
      Array.from(table.querySelectorAll(`tr[data-cluster="${cluster}"] td`)).map((td) => td.textContent);
    expect(cells('prod-us-east-1')).toEqual([
      'prod-us-east-1',
      'us-east-1',
      'degraded4 of 5 replicas ready',
      '1.1.3',
      '4/5',
      'Deployment payments-api',
      'payments',
      'registry.example.com/payments/payments-api',
      '2–8, now 5',
      '3 days ago',
    ]);
    expect(cells('prod-eu-west-1')).toEqual([
      'prod-eu-west-1',
      'eu-west-1',
      'healthy',
      'sha256:0123456789ab',
      '3/3',
      'StatefulSet payments-db',
      'payments',
      'postgres',
      'none',
      'unknown',
    ]);
    const rollout = table.querySelector('tr[data-cluster="prod-us-east-1"] time');
    expect(rollout?.getAttribute('title')).toMatch(/\d{4}/);
    expect(rollout?.getAttribute('dateTime')).toBe(deployed.deployments[1]?.rollout_at);
    const hpa = table.querySelector('tr[data-cluster="prod-us-east-1"] [data-column="autoscaler"]');
    expect(hpa?.getAttribute('title')).toBe('HorizontalPodAutoscaler: min 2, max 8, current 5, desired 5');
    expect(table.querySelector('tr[data-cluster="prod-us-east-1"] [data-column="image"]')?.getAttribute('title')).toBe(
      'registry.example.com/payments/payments-api:1.1.3',
    );
  });

  it("links to the matrix of the owner's services when the matrix is on", async () => {
    fakeApi({ services: { 'payments-api': deployed } });
    render(
      <FeaturesContext.Provider value={{ kind: 'loaded', features: ALL_FEATURES_ON }}>
        <ServicePage name="payments-api" refreshKey="" />
      </FeaturesContext.Provider>,
    );
    const link = await screen.findByRole('link', { name: "Compare with payments' other services" });
    expect(link.getAttribute('href')).toBe('#/matrix?team=payments');
  });
});

const card: ServiceScorecard = {
  service: 'payments-api',
  owner: 'payments',
  score: 53,
  level: 'none',
  previous: 'silver',
  threshold: 70,
  below: true,
  changed_at: '2026-09-01T10:00:00Z',
  rules_version: 'v1',
  results: [],
  next: { level: 'bronze', rules: ['repo-codeowners'] },
  history: [
    { day: '2020-01-01', score: 84, level: 'silver' },
    { day: '2020-02-01', score: 53, level: 'none' },
  ],
  rules: [
    {
      name: 'repo-readme', title: 'README', level: 'bronze', weight: 1, built_in: true, expression: 'e',
      description: 'The repository has a README.', remediation: 'Add a README.md.', status: 'passed',
    },
    {
      name: 'repo-codeowners', title: 'CODEOWNERS', level: 'bronze', weight: 2, built_in: true, expression: 'e',
      description: 'The repository has a CODEOWNERS file.', remediation: 'Add .github/CODEOWNERS naming the team.',
      status: 'failed', message: 'no CODEOWNERS file (looked for .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS)',
    },
    {
      name: 'core-packages-current', title: 'Core packages current', level: 'silver', weight: 3, built_in: true, expression: 'e',
      description: 'Core packages current.', remediation: 'Upgrade the packages named.',
      status: 'failed', message: 'upgrade google.golang.org/grpc v1.67.1 → v2.0.0 (major version behind)',
    },
    {
      name: 'repo-branch-protection', title: 'Branch protection', level: 'silver', weight: 2, built_in: true, expression: 'e',
      description: 'Protected.', remediation: 'Protect it.',
      status: 'unknown', message: 'could not be evaluated for this service: cannot read "enabled": the value is null: not collected for this service',
    },
  ],
};

describe('ServicePage scorecard', () => {
  it('shows each rule passed, failed or unknown with why and how to fix it, what the next level needs, and the trend', async () => {
    fakeApi({
      services: { 'payments-api': service },
      override: (r) => (r.url.pathname === '/api/v1/services/payments-api/scorecard' ? json(card) : undefined),
    });
    render(<ServicePage name="payments-api" refreshKey="" />);
    const section = await screen.findByTestId('scorecard');
    expect(within(section).getByText('For Bronze: fix CODEOWNERS.')).toBeTruthy();
    const statuses = [...section.querySelectorAll<HTMLElement>('[data-rule]')].map((li) => `${li.dataset.rule}:${li.dataset.status}`);
    expect(statuses).toEqual(['repo-codeowners:failed', 'core-packages-current:failed', 'repo-branch-protection:unknown', 'repo-readme:passed']);
    const core = section.querySelector('[data-rule="core-packages-current"]') as HTMLElement;
    expect(core.textContent).toContain('upgrade google.golang.org/grpc v1.67.1 → v2.0.0');
    expect(core.textContent).toContain('How to fix: Upgrade the packages named.');
    expect(section.querySelector('[data-rule="repo-branch-protection"]')?.textContent).toContain('not collected for this service');
    expect(within(section).getByTestId('score-trend').dataset.points).not.toBe('0');
  });

  it('warns the owners of a service below par', async () => {
    fakeApi({
      services: { 'payments-api': service },
      override: (r) => (r.url.pathname === '/api/v1/services/payments-api/scorecard' ? json(card) : undefined),
    });
    render(
      <WithMe me={DEVELOPER}>
        <ServicePage name="payments-api" refreshKey="" />
      </WithMe>,
    );
    const notice = await screen.findByTestId('score-notice');
    expect(notice.textContent).toContain('Your team’s service is below par');
    expect(notice.textContent).toContain(
      'payments-api scores 53, below the threshold of 70: production deploys are refused until it reaches it and dropped from Silver to No level.',
    );
  });

  it('leaves the section out when the service has no scorecard', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    await screen.findByRole('heading', { name: 'payments-api', level: 1 });
    expect(screen.queryByTestId('scorecard')).toBeNull();
    expect(screen.queryByTestId('score-notice')).toBeNull();
  });
});

describe('ServicePage: a service the golden path created', () => {
  const created: Service = {
    ...service,
    name: 'orders',
    lifecycle: 'experimental',
    template: 'go-http-service@v1',
    created_by_action: 'act_run1',
    source: 'template:go-http-service',
    deployments: [
      {
        cluster: 'dev-eu-west-1',
        region: 'eu-west-1',
        environment: 'dev',
        namespace: 'payments',
        kind: 'Deployment',
        name: 'orders',
        image: 'hashicorp/http-echo:1.0.0',
        version: '1.0.0',
        ready: 1,
        desired: 1,
        health: 'healthy',
        updated_at: new Date().toISOString(),
      },
    ],
  };
  const serve = (run: Action) =>
    fakeApi({
      services: { orders: created },
      override: (r) => (r.url.pathname === '/api/v1/actions/act_run1' ? json(run) : undefined),
    });

  it('says which template it came from, links to its run, and where hello-world runs in dev', async () => {
    serve(makeAction({ id: 'act_run1', kind: 'service_create', state: 'succeeded', steps: runSteps(Array.from({ length: 7 }, () => 'succeeded' as const)) }));
    render(<ServicePage name="orders" refreshKey="" />);
    const origin = await screen.findByTestId('service-origin');
    expect(origin.textContent).toContain('Created from template go-http-service@v1');
    expect(within(origin).getByRole('link', { name: 'see the run that created it' }).getAttribute('href')).toBe('#/self-service/act_run1');
    expect((await screen.findByTestId('dev-running')).textContent).toBe(
      'Running in dev-eu-west-1 at http://orders.payments.svc.cluster.local:8080 (1/1 ready)',
    );
  });

  it('says a preview deployed nothing, with what a team portal would have done', async () => {
    serve(
      makeAction({
        id: 'act_run1',
        kind: 'service_create',
        state: 'succeeded',
        steps: runSteps(['skipped', 'skipped', 'skipped', 'succeeded', 'skipped', 'skipped', 'skipped'], {
          wait_dev_available: { output: { preview: PREVIEW_OUTPUTS.wait_dev_available ?? '' } },
        }),
      }),
    );
    render(<ServicePage name="orders" refreshKey="" />);
    expect((await screen.findByTestId('dev-preview')).textContent).toContain(
      'Not deployed: this portal previews the golden path; a team portal would have waited for Deployment payments/orders in dev-eu-west-1',
    );
    expect(screen.queryByTestId('dev-running')).toBeNull();
  });

  it('says where a run still going is', async () => {
    serve(makeAction({ id: 'act_run1', kind: 'service_create', state: 'running', version: 3, steps: runSteps(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded', 'running']) }));
    render(<ServicePage name="orders" refreshKey="" />);
    expect((await screen.findByTestId('run-state')).textContent).toBe('Being created: Step 6 of 7: Deploy hello-world to dev-eu-west-1.');
  });

  it('shows nothing of the kind for a service made otherwise', async () => {
    fakeApi({ services: { 'payments-api': service } });
    render(<ServicePage name="payments-api" refreshKey="" />);
    await screen.findByRole('heading', { name: 'payments-api', level: 1 });
    expect(screen.queryByTestId('service-origin')).toBeNull();
  });
});
