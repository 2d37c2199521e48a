/** Builds the layer zip and the handler fixtures once, as a user's build would, before any test runs. */
import { join } from 'node:path';
import { readdirSync } from 'node:fs';
import { buildLayer } from '../../scripts/build-layer.js';
import { bundleFunction } from '../../scripts/build-functions.js';
import { FIXTURE_DIR } from './paths.js';

export default async function setup(): Promise<void> {
  await buildLayer();
  const source = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures');
  for (const file of readdirSync(source).filter((f) => f.endsWith('.ts'))) {
    await bundleFunction(join(source, file), join(FIXTURE_DIR, file.replace(/\.ts$/, '.cjs')));
  }
}
