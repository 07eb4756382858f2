import { fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ActionPreview as Preview, FlagDefinition } from '../api/client';
import { fakeApi, json } from '../test/fakeApi';
import { CHECKOUT_DEFINITION } from '../test/flagFixtures';
import { ActionPreview } from './ActionPreview';

afterEach(() => vi.unstubAllGlobals());

function serve(preview: Preview | null) {
  return fakeApi({
    override: (r) =>
      r.url.pathname === '/api/v1/actions/act_1/preview'
        ? preview
          ? json(preview)
          : json({ error: { code: 'no_preview', message: 'this portal cannot say what a lambda action does' } }, 404)
        : undefined,
  });
}

const TF = 'resource "aws_sqs_queue" "payments-settlements" {\n  name = "payments-settlements"\n}\n';

describe('ActionPreview', () => {
  it("shows a pending request's Terraform as it will be applied, with what it does in words", async () => {
    serve({
      summary: ['Creates the standard SQS queue payments-settlements in production / eu-west-1.', 'A preview: nothing is created.'],
      files: [{ path: 'envs/production/eu-west-1/payments-api/sqs_payments-settlements.tf', language: 'hcl', content: TF }],
      warnings: [],
    });
    render(<ActionPreview actionId="act_1" open />);
    const list = await screen.findByRole('list', { name: 'What it does' });
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Creates the standard SQS queue payments-settlements in production / eu-west-1.',
      'A preview: nothing is created.',
    ]);
    expect(screen.getByTestId('preview-file-envs/production/eu-west-1/payments-api/sqs_payments-settlements.tf').textContent).toBe(TF);
  });

  it('shows a flag change before and after in words, the JSON on request, and warns first when the flag moved on', async () => {
    const before: FlagDefinition = {
      ...CHECKOUT_DEFINITION,
      targeting: { if: [{ ends_with: [{ var: 'email' }, '@sphera.example'] }, 'on', { fractional: [{ cat: [{ var: '$flagd.flagKey' }, { var: 'accountId' }] }, ['on', 20], ['off', 80]] }] },
    };
    serve({
      summary: ['Changes the flag new-checkout-flow in production (team payments).'],
      files: [],
      warnings: ['The flag changed after this change was requested (version 2 → 3): approving it applies nothing — it fails with a conflict.'],
      flag: { environment: 'production', key: 'new-checkout-flow', action: 'put', before, after: CHECKOUT_DEFINITION, base_version: 2, current_version: 3, team_before: 'payments', team_after: 'payments' },
    });
    render(<ActionPreview actionId="act_1" open />);
    expect((await screen.findByRole('alert')).textContent).toContain('version 2 → 3');
    const changes = screen.getByRole('list', { name: 'Changes to new-checkout-flow in production' });
    expect(within(changes).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      'Everyone else: 20% "on" / 80% "off" by accountId → 30% "on" / 70% "off" by accountId',
    ]);
    expect(screen.queryByText('Before')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show the JSON before and after' }));
    expect(screen.getByText('Before')).toBeTruthy();
    expect(screen.getByText('After')).toBeTruthy();
  });

  it('waits to be opened on a request that is decided, and says when the portal cannot preview', async () => {
    const api = serve(null);
    render(<ActionPreview actionId="act_1" open={false} />);
    expect(api.requests.some((r) => r.url.pathname.endsWith('/preview'))).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Show what it does' }));
    expect((await screen.findByText(/The portal cannot say what this request does/)).textContent).toContain('lambda');
  });
});
