// Builds the atlas viewer: type-checks the TypeScript (tsc --noEmit), bundles it with esbuild into one
// minified script, and copies the page and its stylesheet. The output (dist/) is embedded in EmbedPS.Core.dll.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
mkdirSync(dist, { recursive: true });
execFileSync(process.execPath, [join(here, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', here], { stdio: 'inherit' });
await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  legalComments: 'none',
  outfile: join(dist, 'viewer.js'),
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(here, 'src', file), join(dist, file));
console.log('viewer built: ' + dist);
