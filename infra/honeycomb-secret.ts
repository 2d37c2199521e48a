/**
 * The Honeycomb secret, referenced by name or ARN (the stack never creates or sees its value), and the one grant
 * its readers get: secretsmanager:GetSecretValue on that secret, plus kms:Decrypt through Secrets Manager when
 * the secret has its own key.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { GovernancePropsError } from './errors.js';

/** Secrets Manager appends "-" and six characters to a secret's name in its ARN. */
const COMPLETE_ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

export interface HoneycombSecret {
  readonly secret: secretsmanager.ISecret;
  /** Exact when the ARN is complete; otherwise the name followed by `-??????`, the narrowest pattern there is. */
  readonly policyResource: string;
  /** What the functions get in HONEYCOMB_SECRET: the ARN when one was given (another account's secret), else the name. */
  readonly secretId: string;
  readonly exact: boolean;
}

export function honeycombSecret(scope: Construct, ref: string | secretsmanager.ISecret): HoneycombSecret {
  let secret: secretsmanager.ISecret;
  if (typeof ref !== 'string') {
    secret = ref;
  } else if (ref.startsWith('arn:')) {
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
    const parts = ref.split(':');
    if (parts.length !== 7 || parts[2] !== 'secretsmanager' || parts[5] !== 'secret') {
      throw new GovernancePropsError('GovernancePipeline.honeycombSecret', `is not a Secrets Manager secret ARN: "${ref}"`);
    }
    secret = COMPLETE_ARN_SUFFIX.test(parts[6]!)
      ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'HoneycombSecret', ref)
      : secretsmanager.Secret.fromSecretPartialArn(scope, 'HoneycombSecret', ref);
  } else {
    if (!NAME.test(ref)) throw new GovernancePropsError('GovernancePipeline.honeycombSecret', `is neither a secret name nor an ARN: "${ref}"`);
    secret = secretsmanager.Secret.fromSecretNameV2(scope, 'HoneycombSecret', ref);
  }
  const complete = secret.secretFullArn;
  return {
    secret,
    policyResource: complete ?? `${secret.secretArn}-??????`,
    secretId: complete ?? (typeof ref === 'string' && ref.startsWith('arn:') ? ref : secret.secretName),
    exact: complete !== undefined,
  };
}

export function grantHoneycombSecret(secret: HoneycombSecret, key: kms.IKey | undefined, role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.policyResource] }));
  if (key === undefined) return;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(role).region}.amazonaws.com` } },
  }));
}
