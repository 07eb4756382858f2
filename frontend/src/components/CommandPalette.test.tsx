import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { paletteCommands } from '../lib/commands';
import { fakeApi } from '../test/fakeApi';

afterEach(() => vi.unstubAllGlobals());

async function openApp(hash: string) {
  window.location.hash = hash;
  const api = fakeApi();
  render(<App />);
  // The nav is there once the features answered.
  await screen.findByRole('link', { name: 'Flags' });
  return api;
}

const options = () => within(screen.getByRole('listbox', { name: 'Results' })).queryAllByRole('option');
const activeOption = () => {
  const box = screen.getByRole('combobox', { name: 'Go to a page, an action or a service' });
  return document.getElementById(box.getAttribute('aria-activedescendant') ?? '');
};

describe('the command palette and the keyboard shortcuts', () => {
  it('opens with Ctrl+K, finds pages, actions and services, moves with the arrows, opens with Enter', { timeout: 20_000 }, async () => {
    await openApp('#/settings');
    await screen.findByRole('heading', { name: 'Settings' });
    const before = document.activeElement;
    fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    const dialog = screen.getByRole('dialog', { name: 'Go to' });
    const box = within(dialog).getByRole('combobox');
    expect(document.activeElement).toBe(box);
    // Pages of the nav first, then actions.
    expect(options().map((o) => o.textContent)).toEqual(expect.arrayContaining(['Catalog', 'Flags', 'Settings']));

    fireEvent.change(box, { target: { value: 'svc-001' } });
    await waitFor(() => expect(options().some((o) => o.textContent?.startsWith('svc-0017'))).toBe(true));
    // Groups in order: the actions (searching the catalog for the text), then the services.
    expect(options()[0]?.textContent).toBe('Search the catalog for “svc-001”');
    expect(activeOption()?.textContent).toBe('Search the catalog for “svc-001”');
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    fireEvent.keyDown(box, { key: 'ArrowDown' });
    expect(activeOption()?.textContent).toMatch(/^svc-0012/);
    fireEvent.keyDown(box, { key: 'ArrowUp' });
    expect(activeOption()?.textContent).toMatch(/^svc-0011/);
    fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(window.location.hash).toBe('#/services/svc-0011'));
    expect(screen.queryByRole('dialog')).toBeNull();

    // Teams by name or display name.
    fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    fireEvent.change(screen.getByRole('combobox'), { target: { value: 'paym' } });
    await waitFor(() => expect(options().some((o) => o.textContent === 'Paymentspayments')).toBe(true));
    fireEvent.keyDown(screen.getByRole('combobox'), { key: 'Escape' });

    // Escape closes and gives the focus back.
    fireEvent.keyDown(window, { key: 'K', metaKey: true });
    fireEvent.keyDown(screen.getByRole('combobox'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement === before || document.activeElement === document.body).toBe(true);
  });

  it('"/" focuses the page\'s search box, opens the palette where there is none, and is a character in a field', async () => {
    await openApp('#/');
    await screen.findByText('500 services');
    const search = screen.getByRole('searchbox', { name: 'Search services' });
    fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(search);
    // Typed into a field, "/" is text.
    const event = fireEvent.keyDown(search, { key: '/' });
    expect(event).toBe(true); // not prevented
    expect(screen.queryByRole('dialog')).toBeNull();

    act(() => {
      window.location.hash = '#/settings';
    });
    await screen.findByRole('heading', { name: 'Settings' });
    (document.activeElement as HTMLElement | null)?.blur();
    fireEvent.keyDown(document.body, { key: '/' });
    expect(screen.getByRole('dialog', { name: 'Go to' })).toBeTruthy();
  });

  it('moves through the catalog with the arrows: from the search box to the rows and back', async () => {
    await openApp('#/');
    await screen.findByText('500 services');
    const search = screen.getByRole('searchbox', { name: 'Search services' });
    search.focus();
    fireEvent.keyDown(search, { key: 'ArrowDown' });
    expect(document.activeElement?.getAttribute('href')).toBe('#/services/svc-0000');
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(document.activeElement?.getAttribute('href')).toBe('#/services/svc-0001');
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(search);
  });

  it('has a skip link that moves focus to the page', async () => {
    await openApp('#/');
    const skip = screen.getByRole('link', { name: 'Skip to content' });
    fireEvent.click(skip);
    expect(document.activeElement?.id).toBe('main');
    expect(window.location.hash).toBe('#/');
  });
});

describe('paletteCommands', () => {
  it('offers the nav pages, Sources, and the actions whose pages the user sees', () => {
    const all = paletteCommands([
      { name: 'catalog', label: 'Catalog', href: '#/' },
      { name: 'new_service', label: 'New service', href: '#/new-service' },
      { name: 'flags', label: 'Flags', href: '#/flags' },
      { name: 'requests', label: 'Self-service', href: '#/self-service' },
    ]);
    expect(all.map((c) => c.label)).toEqual(['Catalog', 'New service', 'Flags', 'Self-service', 'Sources', 'Create a service', 'Request a resource', 'Create a feature flag']);
    const few = paletteCommands([{ name: 'catalog', label: 'Catalog', href: '#/' }]);
    expect(few.map((c) => c.label)).toEqual(['Catalog', 'Sources']);
  });
});
