import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Service } from '../api/client';
import { FeaturesContext } from '../hooks/useFeatures';
import { fakeApi, featuresWithOff } from '../test/fakeApi';
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
