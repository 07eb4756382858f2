import { describe, expect, it } from 'vitest';
import { ORDERS_PLAN } from '../test/goldenFixtures';
import { allFolders, buildRoot, fileLines, findFile, firstFile, planTree, treeKey, visibleRows, type TreeNode, type TreeState } from './planTree';

/** The tree as indented text, one line per visible row. */
function outline(roots: TreeNode[], open: ReadonlySet<string>): string[] {
  return visibleRows(roots, open).map((r) => `${'  '.repeat(r.depth)}${r.node.name}`);
}

const file = (path: string) => ({ path, content: `${path}\n` });

describe('planTree', () => {
  const roots = planTree(ORDERS_PLAN);

  it('has a root for the repository, the infrastructure pull request and each dev cluster, with what each is', () => {
    expect(roots.map((r) => [r.id, r.name, r.note])).toEqual([
      ['repo', 'sphera/orders', 'new private repository, branch main'],
      ['infra', 'sphera/infra', 'pull request from atrium/new-service-orders into main'],
      ['deploy:dev-eu-west-1', 'dev-eu-west-1', 'hello-world manifests, namespace payments'],
    ]);
  });

  it('nests the repository by folder, folders first, and keeps a cluster\'s manifests in the order they are applied', () => {
    expect(outline(roots, allFolders(roots))).toEqual([
      'sphera/orders',
      '  .github',
      '    workflows',
      '      ci.yml',
      '    CODEOWNERS',
      '  .dockerignore',
      '  .gitignore',
      '  Dockerfile',
      '  README.md',
      '  atrium.yaml',
      '  go.mod',
      '  main.go',
      '  server.go',
      '  server_test.go',
      'sphera/infra',
      '  envs',
      '    dev/eu-west-1/orders',
      '      kubernetes',
      '        deployment.yaml',
      '        service.yaml',
      '        serviceaccount.yaml',
      '      iam.tf',
      '    staging/eu-west-1/orders',
      '      kubernetes',
      '        deployment.yaml',
      '        hpa.yaml',
      '        service.yaml',
      '        serviceaccount.yaml',
      '      iam.tf',
      'dev-eu-west-1',
      '  namespace.yaml',
      '  serviceaccount.yaml',
      '  deployment.yaml',
      '  service.yaml',
    ]);
  });

  it('finds each file with its content by id', () => {
    const ci = findFile(roots, 'repo/.github/workflows/ci.yml');
    expect(ci?.file?.content).toContain('jobs:');
    expect(ci?.rootLabel).toBe('sphera/orders');
    expect(findFile(roots, 'repo/.github')).toBeUndefined();
    expect(findFile(roots, 'deploy:dev-eu-west-1/deployment.yaml')?.file?.content).toContain('kind: Deployment');
  });

  it('compacts chains of single folders, and only those', () => {
    const r = buildRoot('x', 'x', '', [file('a/b/c/one.txt'), file('a/b/d/two.txt'), file('e/f/three.txt')]);
    expect(outline([r], allFolders([r]))).toEqual(['x', '  a/b', '    c', '      one.txt', '    d', '      two.txt', '  e/f', '    three.txt']);
  });

  it('opens the README first, else the first file', () => {
    expect(firstFile(roots)).toBe('repo/README.md');
    expect(firstFile([buildRoot('repo', 'r', '', [file('z.txt'), file('a/b.txt')])])).toBe('repo/a/b.txt');
    expect(firstFile([])).toBe('');
  });

  it('shows only the open folders\' children, with each row\'s position among its siblings', () => {
    const rows = visibleRows(roots, new Set(['repo']));
    expect(rows.map((r) => r.node.name).slice(0, 3)).toEqual(['sphera/orders', '.github', '.dockerignore']);
    expect(rows.length).toBe(1 + 10 + 2);
    expect(rows[1]).toMatchObject({ depth: 1, parent: 'repo', pos: 1, size: 10 });
  });
});

describe('treeKey: the keyboard', () => {
  const r = buildRoot('repo', 'repo', '', [file('src/a.ts'), file('src/b.ts'), file('README.md')]);
  const roots = [r];
  const start: TreeState = { focus: 'repo', open: allFolders(roots), selected: '' };
  const press = (s: TreeState, ...keys: string[]) => keys.reduce((acc, k) => treeKey(visibleRows(roots, acc.open), acc, k), s);

  it.each<[string, string[], Partial<TreeState> & { openHas?: string[]; openLacks?: string[] }]>([
    ['down moves to the next row', ['ArrowDown'], { focus: 'repo/src' }],
    ['down stops at the last row', ['End', 'ArrowDown'], { focus: 'repo/README.md' }],
    ['up stops at the first', ['ArrowUp'], { focus: 'repo' }],
    ['Enter on a file opens it', ['ArrowDown', 'ArrowDown', 'Enter'], { focus: 'repo/src/a.ts', selected: 'repo/src/a.ts' }],
    ['Space does the same', ['End', ' '], { selected: 'repo/README.md' }],
    ['left on an open folder closes it', ['ArrowDown', 'ArrowLeft'], { focus: 'repo/src', openLacks: ['repo/src'] }],
    ['right on a closed folder opens it', ['ArrowDown', 'ArrowLeft', 'ArrowRight'], { focus: 'repo/src', openHas: ['repo/src'] }],
    ['right on an open folder goes to its first child', ['ArrowDown', 'ArrowRight'], { focus: 'repo/src/a.ts' }],
    ['left on a file goes to its folder', ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowLeft'], { focus: 'repo/src' }],
    ['down skips a closed folder\'s children', ['ArrowDown', 'ArrowLeft', 'ArrowDown'], { focus: 'repo/README.md' }],
    ['Enter on a folder closes it', ['ArrowDown', 'Enter'], { openLacks: ['repo/src'], selected: '' }],
    ['right on a file does nothing', ['End', 'ArrowRight'], { focus: 'repo/README.md' }],
  ])('%s', (_, keys, want) => {
    const s = press(start, ...keys);
    const { openHas, openLacks, ...rest } = want;
    expect(s).toMatchObject(rest);
    for (const id of openHas ?? []) expect(s.open.has(id)).toBe(true);
    for (const id of openLacks ?? []) expect(s.open.has(id)).toBe(false);
  });

  it('returns the same state for a key it does not handle, and moves a lost focus to the first row', () => {
    expect(treeKey(visibleRows(roots, start.open), start, 'a')).toBe(start);
    expect(treeKey(visibleRows(roots, start.open), { ...start, focus: 'gone' }, 'ArrowDown').focus).toBe('repo');
  });
});

describe('fileLines', () => {
  it.each([
    ['a\nb\n', ['a', 'b']],
    ['a\r\nb', ['a', 'b']],
    ['', ['']],
    ['\n', ['']],
  ])('splits %j', (text, want) => {
    expect(fileLines(text)).toEqual(want);
  });
});
