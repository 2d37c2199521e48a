/** A setting (environment variable or wrapper option) is wrong. Thrown at init, never at run time. */
export class ConfigurationError extends Error {
  public readonly setting: string;
  public constructor(setting: string, message: string, options?: { cause?: unknown }) {
    super(`${setting}: ${message}`, options);
    this.name = 'ConfigurationError';
    this.setting = setting;
  }
}

export { SecretFetchError } from '../../../common/honeycomb/keys.js';
