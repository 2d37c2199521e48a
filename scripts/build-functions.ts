/**
 * Bundles function sources the way a user's NodejsFunction would: ESM sources, lambda-governance and the
 * AWS SDK left external (the layer and the runtime provide them).
 */
import { basename, dirname, join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The esbuild options of every function bundle; the CDK constructs bundle the pipeline's functions with them too. */
export function functionBuildOptions(entry: string): BuildOptions {
  return {
    entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    mainFields: ['module', 'main'], external: ['lambda-governance', '@aws-sdk/*', '@smithy/*'], logLevel: 'warning',
    define: { __GOVERNANCE_VERSION__: JSON.stringify(version) },
  };
}

export async function bundleFunction(entry: string, outfile: string): Promise<string> {
  await build({ ...functionBuildOptions(entry), outfile });
  return outfile;
}

const FUNCTIONS_DIR = join(root, 'dist', 'functions');

/** Builds every sample function to <outDir>/samples/<name>.cjs; returns their paths by name. */
export async function buildSamples(outDir = FUNCTIONS_DIR): Promise<Record<string, string>> {
  const dir = join(root, 'functions', 'samples');
  const out: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const name = basename(file, '.ts');
    out[name] = await bundleFunction(join(dir, file), join(outDir, 'samples', `${name}.cjs`));
  }
  return out;
}

/** The pipeline's own functions (functions/<name>/index.ts → <outDir>/<name>/index.cjs): the aggregator, the budget function and the deploy marker. */
export async function buildPipelineFunctions(outDir = FUNCTIONS_DIR, names = ['aggregator', 'budget', 'deploy-marker']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    out[name] = await bundleFunction(join(root, 'functions', name, 'index.ts'), join(outDir, name, 'index.cjs'));
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log({ ...(await buildSamples()), ...(await buildPipelineFunctions()) });
}
