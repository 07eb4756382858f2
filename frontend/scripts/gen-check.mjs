// Fails when src/api/schema.d.ts is not what openapi-typescript makes from backend/api/openapi.yaml today, so the
// Go API description and the UI's types cannot drift apart unnoticed. Fix a failure with `npm run gen:api`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const spec = resolve(root, '../backend/api/openapi.yaml');
const checkedIn = resolve(root, 'src/api/schema.d.ts');
const bin = resolve(root, 'node_modules/openapi-typescript/bin/cli.js');

const dir = mkdtempSync(join(tmpdir(), 'atrium-gen-check-'));
try {
  const fresh = join(dir, 'schema.d.ts');
  execFileSync(process.execPath, [bin, spec, '-o', fresh], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const want = readFileSync(fresh, 'utf8');
  let have = '';
  try {
    have = readFileSync(checkedIn, 'utf8');
  } catch {
    console.error(`gen:check: ${checkedIn} is missing; run \`npm run gen:api\` and commit the result.`);
    process.exit(1);
  }
  if (have !== want) {
    const a = have.split('\n');
    const b = want.split('\n');
    let line = 0;
    while (line < a.length && line < b.length && a[line] === b[line]) line++;
    console.error(
      `gen:check: src/api/schema.d.ts is out of date with backend/api/openapi.yaml (first difference at line ${line + 1}):\n` +
        `  checked in: ${JSON.stringify(a[line] ?? '<end of file>')}\n` +
        `  generated:  ${JSON.stringify(b[line] ?? '<end of file>')}\n` +
        'Run `npm run gen:api`, fix any type errors it causes, and commit src/api/schema.d.ts.',
    );
    process.exit(1);
  }
  console.log('gen:check: src/api/schema.d.ts matches backend/api/openapi.yaml');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
