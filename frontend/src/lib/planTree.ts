// A dry run's files as one browsable tree: the new repository, the infrastructure pull request, and each dev
// cluster's manifests, each a root. Folders holding a single folder are shown as one ("envs/dev/eu-west-1"), as code
// hosts do. The tree's rows, what the keyboard does on them (WAI-ARIA tree view: arrows, Home/End, Enter) and which
// file to open first are pure functions here; PlanFileTree renders them.
import type { Plan, PlanFile } from '../api/client';

export interface TreeNode {
  /** Unique in the tree: the root's id, then the path ("repo/.github/workflows"). */
  id: string;
  /** What the row shows: a file's or folder's name, or a compacted chain of folders ("envs/dev"). */
  name: string;
  kind: 'root' | 'dir' | 'file';
  /** A root's sentence under its name ("new repository", "pull request into main"). */
  note?: string;
  children: TreeNode[];
  /** A file's path in its root and its content. */
  file?: PlanFile;
  /** The root's label, for a file's caption ("sphera/orders"). */
  rootLabel: string;
}

/** A file's id in the tree of plan: which root, then its path. */
export function fileId(root: string, path: string): string {
  return `${root}/${path}`;
}

function sortNodes(nodes: TreeNode[]): TreeNode[] {
  // Folders first, then files, each by name (code points, as the plan sorts paths).
  return nodes.sort((a, b) => (a.kind === b.kind ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.kind === 'dir' ? -1 : 1));
}

/** A root whose files are nested by the folders of their paths, sorted, with single-folder chains compacted. */
export function buildRoot(id: string, label: string, note: string, files: readonly PlanFile[], keepOrder = false): TreeNode {
  const root: TreeNode = { id, name: label, kind: 'root', note, children: [], rootLabel: label };
  const dirs = new Map<string, TreeNode>();
  for (const f of files) {
    const parts = f.path.split('/').filter((p) => p !== '');
    let parent = root;
    let at = '';
    for (const dir of parts.slice(0, -1)) {
      at = at ? `${at}/${dir}` : dir;
      let node = dirs.get(at);
      if (!node) {
        node = { id: fileId(id, at), name: dir, kind: 'dir', children: [], rootLabel: label };
        dirs.set(at, node);
        parent.children.push(node);
      }
      parent = node;
    }
    parent.children.push({ id: fileId(id, f.path), name: parts[parts.length - 1] ?? f.path, kind: 'file', children: [], file: f, rootLabel: label });
  }
  const finish = (n: TreeNode): TreeNode => {
    let node = n;
    // A folder whose only child is a folder becomes one row: "envs/dev/eu-west-1".
    while (node.kind === 'dir' && node.children.length === 1 && node.children[0]?.kind === 'dir') {
      const only = node.children[0];
      node = { ...only, name: `${node.name}/${only.name}` };
    }
    const children = node.children.map(finish);
    return { ...node, children: keepOrder && node.kind === 'root' ? children : sortNodes(children) };
  };
  return finish(root);
}

/** The plan's files as the tree's roots: the repository, the infrastructure pull request, each dev cluster. */
export function planTree(plan: Plan): TreeNode[] {
  const repo = plan.repository;
  const pr = plan.infra_pull_request;
  return [
    buildRoot('repo', `${repo.owner}/${repo.name}`, `new ${repo.visibility} repository, branch ${repo.default_branch}`, plan.files),
    buildRoot('infra', pr.repository, `pull request from ${pr.branch} into ${pr.base}`, pr.files),
    // A cluster's manifests stay in the order its agent applies them.
    ...plan.deploy.map((d) => buildRoot(`deploy:${d.cluster}`, d.cluster, `hello-world manifests, namespace ${d.namespace}`, d.files, true)),
  ];
}

/** Every node of the tree, depth first. */
export function allNodes(roots: readonly TreeNode[]): TreeNode[] {
  return roots.flatMap((r) => [r, ...allNodes(r.children)]);
}

/** The ids of every root and folder: a tree that starts fully open. */
export function allFolders(roots: readonly TreeNode[]): Set<string> {
  return new Set(allNodes(roots).filter((n) => n.kind !== 'file').map((n) => n.id));
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
  /** The row's parent (undefined for a root). */
  parent?: string;
  /** 1-based position among its siblings, and how many they are (aria-posinset, aria-setsize). */
  pos: number;
  size: number;
}

/** The rows on screen: every root, and the children of open ones. */
export function visibleRows(roots: readonly TreeNode[], open: ReadonlySet<string>): TreeRow[] {
  const out: TreeRow[] = [];
  const walk = (nodes: readonly TreeNode[], depth: number, parent?: string) => {
    nodes.forEach((node, i) => {
      out.push({ node, depth, parent, pos: i + 1, size: nodes.length });
      if (node.kind !== 'file' && open.has(node.id)) walk(node.children, depth + 1, node.id);
    });
  };
  walk(roots, 0);
  return out;
}

export interface TreeState {
  /** The row the keyboard is on. */
  focus: string;
  /** Open roots and folders. */
  open: ReadonlySet<string>;
  /** The file whose content is shown. */
  selected: string;
}

/**
 * What a key does in the tree (WAI-ARIA's tree view): ↓/↑ move, → opens a folder or goes to its first child, ← closes
 * it or goes to the parent, Home/End go to the first/last row, Enter and Space open a file (or open/close a
 * folder). Unknown keys return state unchanged (the same object), so the caller knows not to prevent the default.
 */
export function treeKey(rows: readonly TreeRow[], state: TreeState, key: string): TreeState {
  const i = rows.findIndex((r) => r.node.id === state.focus);
  const row = rows[i];
  if (!row) return rows[0] ? { ...state, focus: rows[0].node.id } : state;
  const node = row.node;
  const isFolder = node.kind !== 'file';
  const isOpen = state.open.has(node.id);
  const focusAt = (j: number) => {
    const r = rows[Math.max(0, Math.min(rows.length - 1, j))];
    return r ? { ...state, focus: r.node.id } : state;
  };
  const toggled = () => {
    const open = new Set(state.open);
    if (isOpen) open.delete(node.id);
    else open.add(node.id);
    return open;
  };
  switch (key) {
    case 'ArrowDown':
      return focusAt(i + 1);
    case 'ArrowUp':
      return focusAt(i - 1);
    case 'Home':
      return focusAt(0);
    case 'End':
      return focusAt(rows.length - 1);
    case 'ArrowRight':
      if (!isFolder) return state;
      if (!isOpen) return { ...state, open: toggled() };
      return node.children.length > 0 ? focusAt(i + 1) : state;
    case 'ArrowLeft':
      if (isFolder && isOpen) return { ...state, open: toggled() };
      return row.parent ? { ...state, focus: row.parent } : state;
    case 'Enter':
    case ' ':
      return isFolder ? { ...state, open: toggled() } : { ...state, selected: node.id };
    default:
      return state;
  }
}

/** The file to show first: the preferred path in the repository when there is one (the README), else its first file. */
export function firstFile(roots: readonly TreeNode[], preferred: readonly string[] = ['README.md']): string {
  const files = allNodes(roots).filter((n) => n.kind === 'file');
  for (const p of preferred) {
    const hit = files.find((n) => n.id === fileId('repo', p));
    if (hit) return hit.id;
  }
  return files[0]?.id ?? '';
}

/** The file node of id, if id is a file of the tree. */
export function findFile(roots: readonly TreeNode[], id: string): TreeNode | undefined {
  return allNodes(roots).find((n) => n.id === id && n.kind === 'file');
}

/** A file's lines for display (a trailing newline makes no empty last line). */
export function fileLines(content: string): string[] {
  const lines = content.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** "11 files", "1 file". */
export function countFiles(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}
