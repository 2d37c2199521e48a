/** A construct prop is wrong. Thrown while the app is built, so `cdk synth` fails before anything deploys. */
export class GovernancePropsError extends Error {
  /** The prop, e.g. `GovernancePipeline.parallelizationFactor`. */
  public readonly prop: string;
  public constructor(prop: string, message: string, options?: { cause?: unknown }) {
    super(`${prop}: ${message}`, options);
    this.name = 'GovernancePropsError';
    this.prop = prop;
  }
}
