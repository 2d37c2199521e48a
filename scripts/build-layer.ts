/**
 * npm run build: bundles the layer from its ESM sources with esbuild (module-first main fields, so the
 * OpenTelemetry packages tree-shake) into dist/layer/nodejs/node_modules/lambda-governance/, zips it to
 * dist/layer.zip, checks that no @aws-sdk/* module got in, and prints the size.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { zipSync } from 'fflate';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LAYER_DIR = join(root, 'dist', 'layer');
export const LAYER_PACKAGE_DIR = join(LAYER_DIR, 'nodejs', 'node_modules', 'lambda-governance');
export const LAYER_ZIP = join(root, 'dist', 'layer.zip');
/** Where a function's NODE_PATH should point to find the layer's package, as /opt/nodejs/node_modules does. */
export const LAYER_NODE_PATH = join(LAYER_DIR, 'nodejs', 'node_modules');

const FIXED_MTIME = new Date('2026-01-01T00:00:00Z');

/**
 * Builds into `outDir`/layer and `outDir`/layer.zip (dist/ by default; the local run builds its own copy, so
 * it never rewrites the layer other runs are loading).
 */
export async function buildLayer(outDir = join(root, 'dist')): Promise<{ zipBytes: number; bundleBytes: number; nodePath: string }> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const layerDir = join(outDir, 'layer');
  const packageDir = join(layerDir, 'nodejs', 'node_modules', 'lambda-governance');
  const zipPath = join(outDir, 'layer.zip');
  rmSync(layerDir, { recursive: true, force: true });
  mkdirSync(packageDir, { recursive: true });
  const result = await build({
    entryPoints: [join(root, 'layers/governance/src/index.ts')],
    outfile: join(packageDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    // The runtime provides the AWS SDK; a copy here would shadow it for user code.
    external: ['@aws-sdk/*', '@smithy/*'],
    define: { __GOVERNANCE_VERSION__: JSON.stringify(pkg.version) },
    metafile: true,
    logLevel: 'warning',
  });
  const bundled = Object.keys(result.metafile.inputs);
  const sdk = bundled.filter((p) => p.includes('node_modules/@aws-sdk/') || p.includes('node_modules/@smithy/'));
  if (sdk.length > 0) throw new Error(`the layer bundle must not contain the AWS SDK, found: ${sdk.join(', ')}`);
  const packageJson = {
    name: 'lambda-governance', version: pkg.version, main: 'index.js', license: 'Apache-2.0',
    description: 'lambda-governance Lambda layer build (bundled; the AWS SDK comes from the runtime)',
  };
  writeFileSync(join(packageDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  writeFileSync(join(packageDir, 'LICENSE-THIRD-PARTY.txt'), `Bundled: ${Object.keys(pkg.dependencies).join(', ')} (Apache-2.0)\n`);

  const files: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const name of ['index.js', 'package.json', 'LICENSE-THIRD-PARTY.txt']) {
    const path = join(packageDir, name);
    files[relative(layerDir, path)] = [readFileSync(path), { mtime: FIXED_MTIME }];
  }
  writeFileSync(zipPath, zipSync(files, { level: 9 }));
  return { zipBytes: statSync(zipPath).size, bundleBytes: statSync(join(packageDir, 'index.js')).size, nodePath: join(layerDir, 'nodejs', 'node_modules') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { zipBytes, bundleBytes } = await buildLayer();
  console.log(`dist/layer.zip  ${(zipBytes / 1024).toFixed(1)} KiB  (bundle ${(bundleBytes / 1024).toFixed(1)} KiB, nodejs/node_modules/lambda-governance/index.js)`);
}
