import { afterEach, describe, expect, it, vi } from 'vitest';
import { hasDesktopBindings } from './desktop';
import { saveText } from './download';

afterEach(() => {
  delete window.go;
  vi.restoreAllMocks();
});

describe('saveText', () => {
  it('in a browser, offers a download link and clicks it', async () => {
    const create = vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:x');
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    expect(hasDesktopBindings()).toBe(false);
    const f = await saveText('a.csv', 'x,y\n', 'text/csv');
    expect(f).toEqual({ kind: 'downloaded', name: 'a.csv', type: 'text/csv', bytes: 4, url: 'blob:x' });
    expect(create).toHaveBeenCalledTimes(1);
    expect(click).toHaveBeenCalledTimes(1);
  });

  it("in the desktop, writes through the save dialog and says where", async () => {
    const save = vi.fn(async (name: string) => `/home/ana/Documents/${name}`);
    window.go = { app: { OS: { SaveFile: save } } };
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    expect(hasDesktopBindings()).toBe(true);
    const f = await saveText('packages.csv', 'é\n', 'text/csv');
    expect(save).toHaveBeenCalledWith('packages.csv', 'é\n');
    expect(f).toEqual({ kind: 'written', name: 'packages.csv', type: 'text/csv', bytes: 3, path: '/home/ana/Documents/packages.csv' });
    expect(click).not.toHaveBeenCalled();
  });

  it('in the desktop, reports a cancelled dialog as nothing written', async () => {
    window.go = { app: { OS: { SaveFile: async () => '' } } };
    expect(await saveText('a.jsonl', '{}\n')).toMatchObject({ kind: 'cancelled', name: 'a.jsonl' });
  });

  it("in the desktop, reports the Go error's text when writing fails", async () => {
    // Wails rejects binding calls with the Go error's text, a string.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what Wails does, which saveText must handle
    window.go = { app: { OS: { SaveFile: () => Promise.reject('save /root/a.csv: permission denied') } } };
    expect(await saveText('a.csv', 'x')).toMatchObject({ kind: 'failed', message: 'save /root/a.csv: permission denied' });
  });

  it('falls back to a browser download in a desktop without the binding', async () => {
    window.go = { app: {} };
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:y');
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    expect(await saveText('a.csv', 'x')).toMatchObject({ kind: 'downloaded', url: 'blob:y' });
  });
});
