/**
 * Attribute names we emit. FaaS/cloud names are OTel incubating conventions, copied here as the semconv
 * package advises for instrumentation libraries; gen_ai.* follow the current GenAI conventions;
 * genops.* follow reference/genops-honeycomb-integration.md.
 */
export const ATTR = {
  SERVICE_NAME: 'service.name',
  FAAS_TRIGGER: 'faas.trigger',
  FAAS_INVOCATION_ID: 'faas.invocation_id',
  FAAS_COLDSTART: 'faas.coldstart',
  FAAS_NAME: 'faas.name',
  FAAS_VERSION: 'faas.version',
  FAAS_INSTANCE: 'faas.instance',
  FAAS_MAX_MEMORY: 'faas.max_memory',
  CLOUD_PROVIDER: 'cloud.provider',
  CLOUD_PLATFORM: 'cloud.platform',
  CLOUD_REGION: 'cloud.region',
  CLOUD_ACCOUNT_ID: 'cloud.account.id',
  CLOUD_RESOURCE_ID: 'cloud.resource_id',
  AWS_LAMBDA_INVOKED_ARN: 'aws.lambda.invoked_arn',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',

  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
  GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
  GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',

  COST_TOTAL: 'genops.cost.total',
  COST_INPUT: 'genops.cost.input',
  COST_OUTPUT: 'genops.cost.output',
  COST_CURRENCY: 'genops.cost.currency',
  COST_PROVIDER: 'genops.cost.provider',
  COST_MODEL: 'genops.cost.model',
  COST_ESTIMATED: 'genops.cost.estimated',
  TOKENS_INPUT: 'genops.tokens.input',
  TOKENS_OUTPUT: 'genops.tokens.output',
  TOKENS_TOTAL: 'genops.tokens.total',
  POLICY_NAME: 'genops.policy.name',
  POLICY_RESULT: 'genops.policy.result',
  POLICY_REASON: 'genops.policy.reason',
  POLICY_RESPONSE_TIME: 'genops.policy.response_time',
  BUDGET_ID: 'genops.budget.id',
  BUDGET_LIMIT: 'genops.budget.limit',
  BUDGET_CONSUMED: 'genops.budget.consumed',
  BUDGET_REMAINING: 'genops.budget.remaining',
  BUDGET_UTILIZATION_PCT: 'genops.budget.utilization_pct',
  EVAL_PERFORMED: 'genops.eval.performed',
  TELEMETRY_SPANS_DROPPED: 'genops.telemetry.spans_dropped',
  TELEMETRY_SPANS_CARRIED_OVER: 'genops.telemetry.spans_carried_over',
} as const;

/** Governance context fields; each becomes `genops.<field>` on spans. */
export const GOVERNANCE_FIELDS = [
  'team', 'project', 'environment', 'customer_id', 'user_id', 'transaction_id', 'cost_center', 'feature',
] as const;

export const GOVERNANCE_PREFIX = 'genops.';

/** Namespaces our recorders own; a context field may not shadow them. */
export const RESERVED_FIELD_ROOTS = ['cost', 'tokens', 'policy', 'budget', 'eval', 'telemetry'] as const;

export const EVAL_METRICS = ['safety', 'accuracy', 'compliance', 'privacy'] as const;

export const STREAMING_SYMBOL = Symbol.for('aws.lambda.runtime.handler.streaming');
export const INSTRUMENTATION_SCOPE = 'lambda-governance';
