import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root: functions/ and dist/layer.zip are found from here, wherever the app runs from. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_LAYER_ZIP = join(PACKAGE_ROOT, 'dist', 'layer.zip');
