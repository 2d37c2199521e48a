import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURE_DIR = `${ROOT}dist/test-fixtures`;
export const REPO_NODE_MODULES = `${ROOT}node_modules`;

export function fixture(name: string, exportName = 'handler'): string {
  return `${FIXTURE_DIR}/${name}.cjs#${exportName}`;
}
