// A GitHub for the golden path's e2e tests: a real HTTP server on 127.0.0.1 answering the few REST calls a run
// starts with, in GitHub's wire format (go-github on the portal reads them as it reads GitHub's): a repository is
// looked up (404 until created), created (or refused with 403 while creation is not allowed, as for a token without
// administration rights), its description set; reading its default branch is refused with 403 (a token without
// contents rights), so a run stops at its second step.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubFake {
  /** http://127.0.0.1:PORT/ — the portal's actions.github.api_url. */
  url: string;
  /** Whether POST /orgs/ORG/repos creates the repository (else 403). */
  allowCreate: boolean;
  /** Every request, as "METHOD /path". */
  calls: string[];
  stop: () => Promise<void>;
}

const FORBIDDEN = { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' };

export async function startGitHubFake(org: string): Promise<GitHubFake> {
  const repos = new Map<string, Record<string, unknown>>();
  const fake: GitHubFake = { url: '', allowCreate: false, calls: [], stop: () => Promise.resolve() };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const read = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString('utf8')));
      req.on('end', () => resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {}));
    });
  const server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
      fake.calls.push(`${req.method} ${path}`);
      const repo = new RegExp(`^/repos/${org}/([^/]+)$`).exec(path);
      if (repo?.[1] && req.method === 'GET') {
        const r = repos.get(repo[1]);
        return r ? send(res, 200, r) : send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      }
      if (repo?.[1] && req.method === 'PATCH') {
        const r = repos.get(repo[1]);
        if (!r) return send(res, 404, { message: 'Not Found' });
        Object.assign(r, await read(req));
        return send(res, 200, r);
      }
      if (path === `/orgs/${org}/repos` && req.method === 'POST') {
        const body = await read(req);
        if (!fake.allowCreate) return send(res, 403, FORBIDDEN);
        const name = String(body.name);
        const r = {
          id: 7781 + repos.size,
          name,
          full_name: `${org}/${name}`,
          html_url: `https://github.com/${org}/${name}`,
          description: body.description ?? '',
          private: true,
          visibility: 'private',
          default_branch: 'main',
          owner: { login: org },
        };
        repos.set(name, r);
        return send(res, 201, r);
      }
      if (/^\/repos\/[^/]+\/[^/]+\/git\//.test(path)) return send(res, 403, FORBIDDEN);
      return send(res, 404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  fake.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
}
