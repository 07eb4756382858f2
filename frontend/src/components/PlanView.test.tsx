import { fireEvent, render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../api/client';
import { ORDERS_PLAN } from '../test/goldenFixtures';
import { PlanView } from './PlanView';

const content = () => screen.getByTestId('file-content');
const focused = () => (document.activeElement as HTMLElement | null)?.getAttribute('data-node');

describe('PlanView', () => {
  it('opens the README first and shows a file picked with the mouse', () => {
    render(<PlanView plan={ORDERS_PLAN} />);
    expect(content().getAttribute('aria-label')).toBe('Content of README.md');
    fireEvent.click(screen.getByRole('treeitem', { name: 'Dockerfile' }));
    expect(content().textContent).toContain('FROM golang:1.25');
    expect(screen.getByRole('treeitem', { name: 'Dockerfile' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByRole('figure').getAttribute('aria-label')).toBe('Dockerfile in sphera/orders');
  });

  it('is a tree the keyboard can walk: arrows move and open, Enter shows a file', () => {
    render(<PlanView plan={ORDERS_PLAN} />);
    const tree = screen.getByRole('tree', { name: 'Planned files' });
    // One tab stop: the README's row.
    expect(within(tree).getAllByRole('treeitem').filter((r) => r.tabIndex === 0).map((r) => r.getAttribute('data-node'))).toEqual(['repo/README.md']);
    fireEvent.keyDown(tree, { key: 'Home' });
    expect(focused()).toBe('repo');
    fireEvent.keyDown(tree, { key: 'ArrowDown' }); // .github
    fireEvent.keyDown(tree, { key: 'ArrowDown' }); // workflows
    fireEvent.keyDown(tree, { key: 'ArrowDown' }); // ci.yml
    fireEvent.keyDown(tree, { key: 'Enter' });
    expect(content().getAttribute('aria-label')).toBe('Content of .github/workflows/ci.yml');
    expect(content().textContent).toContain('jobs:');
    // ← goes up to the folder, ← again closes it: its file is no longer a row.
    fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    expect(screen.getByRole('treeitem', { name: 'workflows' }).getAttribute('aria-expanded')).toBe('false');
    expect(screen.queryByRole('treeitem', { name: 'ci.yml' })).toBeNull();
    fireEvent.keyDown(tree, { key: 'ArrowRight' });
    expect(screen.getByRole('treeitem', { name: 'ci.yml' })).toBeTruthy();
    expect(focused()).toBe('repo/.github/workflows');
  });

  it('shows the pull request\'s files and each cluster\'s manifests in the same tree', () => {
    render(<PlanView plan={ORDERS_PLAN} />);
    const tree = screen.getByRole('tree');
    const rows = within(tree)
      .getAllByRole('treeitem')
      .filter((r) => r.getAttribute('aria-level') === '1')
      .map((r) => r.getAttribute('data-node'));
    expect(rows).toEqual(['repo', 'infra', 'deploy:dev-eu-west-1']);
    fireEvent.click(document.querySelector('[data-node="deploy:dev-eu-west-1/deployment.yaml"]') as HTMLElement);
    expect(content().textContent).toContain('kind: Deployment');
    expect(screen.getByRole('figure').getAttribute('aria-label')).toBe('deployment.yaml in dev-eu-west-1');
  });

  it('says what the repository, the pull request, the catalog entry and the steps will be', () => {
    render(<PlanView plan={ORDERS_PLAN} />);
    expect(screen.getByTestId('plan-protection').textContent).toBe(
      "main needs 1 approving review; a code owner's review; approvals dismissed by new commits; checks image, test passing; up to date with the branch before merging",
    );
    // The body is shown as the Markdown it is, not rendered.
    expect(screen.getByTestId('plan-pr-body').textContent).toContain('creating the service **orders** of team **payments**');
    expect(screen.getByTestId('plan-pr-body').querySelector('strong')).toBeNull();
    const steps = within(screen.getByRole('list', { name: 'Planned steps' })).getAllByRole('listitem');
    expect(steps.map((s) => s.getAttribute('data-plan-step'))).toEqual(ORDERS_PLAN.steps.map((s) => s.id));
    expect(steps[0]?.textContent).toContain('Creates GitHub repository sphera/orders');
    expect(screen.getByText(/hello-world in dev-eu-west-1/).textContent).toContain('11 files in the new repository sphera/orders');
  });

  it('renders only the lines of a long file that are in view', () => {
    const long = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`).join('\n');
    const plan: Plan = { ...ORDERS_PLAN, files: [{ path: 'README.md', content: long }] };
    render(<PlanView plan={plan} />);
    const lines = content().querySelectorAll('code');
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.length).toBeLessThan(200);
    expect(lines[0]?.textContent).toBe('line 1');
    expect(screen.getByRole('figure').textContent).toContain('20000 lines');
  });
});
