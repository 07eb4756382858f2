import { describe, expect, it } from 'vitest';
import type { FleetEffective, FleetInstall, JsonValue } from '../api/client';
import {
  adoptionHeadline,
  adoptionPoints,
  changeLine,
  configChanges,
  configProblems,
  filterCount,
  fleetNotices,
  installConfigState,
  installTeams,
  jsonErrorOffset,
  landingHash,
  lineColumn,
  parseConfigText,
  pointerLabel,
} from './fleet';

describe('parseConfigText', () => {
  it('reads a JSON object', () => {
    expect(parseConfigText('{"settings": {"banner": {"text": "x"}}}')).toEqual({ ok: true, value: { settings: { banner: { text: 'x' } } } });
  });
  it('says where the JSON breaks', () => {
    const r = parseConfigText('{\n  "settings": {\n    "banner": }\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('Not valid JSON: unexpected "}" at line 3, column 15.');
    const short = parseConfigText('{"settings": {');
    if (!short.ok) expect(short.message).toBe('Not valid JSON: it ends too soon at line 1, column 15.');
  });
  it('finds where text stops being JSON', () => {
    const cases: [string, number][] = [
      ['{"a": [1, 2.5e3, -0, true, false, null, "x\\n\\u00e9"]}', -1],
      ['{"a": 1,}', 8],
      ["{'a': 1}", 1],
      ['{"a": 01}', 7],
      ['{"a": "\\q"}', 8],
      ['{"a": 1} x', 9],
      ['[1 2]', 3],
      ['tru', 0],
    ];
    for (const [text, want] of cases) expect([text, jsonErrorOffset(text)]).toEqual([text, want]);
  });
  it('refuses what is not an object, and nothing', () => {
    expect(parseConfigText('[1]')).toEqual({ ok: false, message: expect.stringContaining('must be a JSON object') as unknown as string });
    expect(parseConfigText('  ')).toEqual({ ok: false, message: expect.stringContaining('empty') as unknown as string });
  });
  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('x', 0)).toEqual({ line: 1, column: 1 });
  });
});

describe('pointerLabel', () => {
  const cases: [string, string][] = [
    ['', 'the configuration'],
    ['/settings/banner/text', 'everyone › notice banner › text'],
    ['/settings/features/matrix', 'everyone › pages › matrix'],
    ['/settings/links/0/url', 'everyone › links › 1 › url'],
    ['/teams/growth/min_app_version', 'team growth › minimum app version'],
    ['/teams', 'team settings'],
    ['/defaults', 'settings users may override'],
    ['/defaults/1', 'settings users may override › 2'],
    ['/target', 'target'],
    ['/settings/a~1b', 'everyone › a/b'],
  ];
  for (const [p, want] of cases) it(p || '(root)', () => expect(pointerLabel(p)).toBe(want));
});

describe('configChanges', () => {
  const v1: JsonValue = {
    schema: 1,
    settings: { banner: { text: 'Maintenance Friday', level: 'info' }, features: { matrix: true }, links: [{ title: 'Docs', url: 'https://d', kind: 'docs' }] },
    defaults: ['landing_page', 'features'],
  };
  it('is empty for the same document, whatever the key and defaults order', () => {
    const same: JsonValue = {
      defaults: ['features', 'landing_page'],
      settings: { links: [{ kind: 'docs', url: 'https://d', title: 'Docs' }], features: { matrix: true }, banner: { level: 'info', text: 'Maintenance Friday' } },
    };
    expect(configChanges(v1, same)).toEqual([]);
  });
  it('names each changed, added and removed setting', () => {
    const v2: JsonValue = {
      schema: 1,
      settings: { banner: { text: 'All good', level: 'info' }, features: { matrix: true, flags: false }, min_app_version: '1.4.0' },
      teams: { growth: { banner: { text: 'Freeze', level: 'warning' } } },
    };
    expect(configChanges(v1, v2).map(changeLine)).toEqual([
      'settings users may override: removed (was ["features","landing_page"])',
      'everyone › notice banner › text: "Maintenance Friday" → "All good"',
      'everyone › pages › flags: set to false',
      'everyone › links: removed (was [{"title":"Docs","url":"https://d","kind":"docs"}])',
      'everyone › minimum app version: set to "1.4.0"',
      'team growth: set to {"banner":{"text":"Freeze","level":"warning"}}',
    ]);
  });
  it('treats a first push as additions', () => {
    expect(configChanges({ schema: 1, settings: {} }, { settings: { landing_page: 'flags' } }).map(changeLine)).toEqual([
      'everyone › landing page: set to "flags"',
    ]);
  });
});

describe('configProblems', () => {
  it('places the portal problems inside the configuration', () => {
    expect(
      configProblems([
        { field: '/config/settings/bannr', problem: 'unknown setting' },
        { field: '/config', problem: 'required' },
        { field: 'note', problem: 'at most 500 characters' },
      ]),
    ).toEqual([
      { path: '/settings/bannr', label: 'everyone › bannr', problem: 'unknown setting' },
      { path: '', label: 'the configuration', problem: 'required' },
      { path: 'note', label: 'note', problem: 'at most 500 characters' },
    ]);
  });
});

const install: FleetInstall = {
  id: 'ins_1',
  user: 'ana',
  team: 'payments',
  os: 'linux/amd64',
  app_version: '1.2.0',
  config_version: 3,
  first_seen: '2026-11-01T09:00:00Z',
  last_seen: '2026-12-01T09:00:00Z',
  latest_config: true,
  below_minimum: false,
  unseen: false,
};

describe('installs', () => {
  it('says where each install stands', () => {
    expect(installConfigState(install, 3)).toEqual({ text: 'v3 (latest)', tone: 'ok' });
    expect(installConfigState({ ...install, latest_config: false, config_version: 2 }, 3)).toEqual({ text: 'v2 (latest v3)', tone: 'warn' });
    expect(installConfigState({ ...install, latest_config: false, config_version: 0 }, 3)).toEqual({ text: 'none yet (latest v3)', tone: 'warn' });
    expect(installConfigState({ ...install, config_error: 'signature does not verify' }, 3).tone).toBe('bad');
    expect(installConfigState({ ...install, config_version: 0 }, 0)).toEqual({ text: 'no configuration pushed', tone: 'muted' });
  });
  it('counts and lists teams', () => {
    expect(filterCount({ all: 4, unseen: 1 }, '')).toBe(4);
    expect(filterCount({ all: 4, unseen: 1 }, 'unseen')).toBe(1);
    expect(filterCount({ all: 4 }, 'below_minimum')).toBe(0);
    expect(installTeams([install, { ...install, team: 'growth' }, { ...install, team: '' }, install])).toEqual(['growth', 'payments']);
  });
});

describe('landingHash', () => {
  it('opens the configured page, and leaves the catalog and unknown pages alone', () => {
    expect(landingHash('flags')).toBe('#/flags');
    expect(landingHash('self-service')).toBe('#/self-service');
    expect(landingHash('catalog')).toBeNull();
    expect(landingHash('')).toBeNull();
    expect(landingHash('home')).toBeNull();
  });
});

describe('adoption', () => {
  const weeks = [
    { week: '2026-11-17', end: '2026-11-23', active: 30, developers: 100, percent: 30 },
    { week: '2026-11-24', end: '2026-11-30', active: 42, developers: 105, percent: 40 },
  ];
  it('labels the points by the first day of each week', () => {
    expect(adoptionPoints(weeks).map((p) => p.label)).toEqual(['Nov 17', 'Nov 24']);
  });
  it('says the last week and how it moved', () => {
    expect(adoptionHeadline({ weeks })).toEqual({
      percent: 40,
      change: 10,
      text: '42 of 105 developers used Atrium in the last seven days (Nov 24 – Nov 30): +10 points on the week before.',
    });
    expect(adoptionHeadline({ weeks: [weeks[1]!, { ...weeks[0]!, week: '2026-12-01', end: '2026-12-07', percent: 35.5 }] }).text).toContain('−4.5 points');
  });
  it('says when no developers are known', () => {
    expect(adoptionHeadline({ weeks: [{ ...weeks[0]!, developers: 0, active: 0, percent: 0 }] }).text).toContain('No developers are known yet');
  });
});

const effective: FleetEffective = {
  revision: '1.1',
  version: 4,
  team: 'payments',
  features: {},
  sync: {},
  links: [],
  modes: {},
  from: {},
  app_version: '1.2.0',
  update_required: false,
  preferences: {},
};

describe('fleetNotices', () => {
  it('says nothing when nothing is to be said', () => {
    expect(fleetNotices(effective)).toEqual([]);
  });
  it('puts the update first and the banner last', () => {
    const n = fleetNotices({ ...effective, update_required: true, min_app_version: '2.0.0', banner: { text: 'Freeze', level: 'critical' } });
    expect(n.map((x) => x.kind)).toEqual(['update', 'banner']);
    expect(n[0]?.text).toBe('This is Atrium 1.2.0; your platform team asks for 2.0.0 or newer. Please update Atrium.');
    expect(n[1]).toEqual({ kind: 'banner', level: 'critical', text: 'Freeze' });
  });
  it('names a changed key, and a refused configuration with its fields', () => {
    expect(fleetNotices({ ...effective, key: { key_id: 'ed25519:aaa', offered_key_id: 'ed25519:bbb' } })[0]?.text).toContain(
      'another key (ed25519:bbb) than the one this install trusts (ed25519:aaa)',
    );
    const refused = fleetNotices({
      ...effective,
      refused: { version: 5, reason: 'invalid', message: 'a setting cannot be applied', at: '2026-12-01T09:00:00Z', fields: [{ field: '/settings/wallpaper', problem: 'unknown setting' }] },
    });
    expect(refused[0]?.text).toBe(
      'Configuration version 5 from the portal was refused: a setting cannot be applied (/settings/wallpaper: unknown setting). The last good one (version 4) stays in force; the portal has been told.',
    );
  });
});
