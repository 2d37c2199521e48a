/** A setting (environment variable or wrapper option) is wrong. Thrown at init, never at run time. */
export class ConfigurationError extends Error {
  public readonly setting: string;
  public constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

/** The Honeycomb key could not be read from Secrets Manager. Internal; the message never holds the key. */
export class SecretFetchError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretFetchError';
  }
}
