/**
 * Loads AWS SDK v3 modules at run time instead of bundling them: the Lambda runtime ships the SDK in
 * /var/runtime/node_modules (on NODE_PATH), and a copy in our layer would shadow it for user code too.
 * Only the exporter that is configured loads its client.
 */
declare const require: NodeRequire | undefined;

const createRequire = (from: string): NodeRequire => process.getBuiltinModule('node:module').createRequire(from);

// In the layer's CJS bundle `require` resolves through NODE_PATH; from ESM sources (tests) we build one.
const load = (): NodeRequire => (typeof require === 'function' ? require : createRequire(`${process.cwd()}/`));

export function loadAwsModule<T>(name: string): T {
  return load()(name) as T;
}

/** Loads a dependency of an SDK client from where that client lives, e.g. @smithy/node-http-handler. */
export function loadAwsDependency<T>(client: string, name: string): T {
  return createRequire(load().resolve(client))(name) as T;
}
