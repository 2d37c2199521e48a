/** A setting (environment variable or wrapper option) is wrong. Thrown at init, never at run time. */
export class ConfigurationError extends Error {
  public readonly setting: string;
  public constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

/** An export did not finish inside its deadline. Internal: never reaches user code. */
export class ExportTimeoutError extends Error {
  public constructor(message = 'export deadline reached') {
    super(message);
    this.name = 'ExportTimeoutError';
  }
}

/** The sink refused the data for good (a 4xx other than 401/429). Internal. */
export class PermanentExportError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentExportError';
  }
}

/** The Honeycomb key could not be read from Secrets Manager. Internal; the message never holds the key. */
export class SecretFetchError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretFetchError';
  }
}
