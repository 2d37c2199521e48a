/**
 * The deploy marker: a CloudFormation custom resource whose Create and Update post one Honeycomb marker, so
 * each deploy shows on the graphs. It speaks the custom-resource protocol itself (no CDK Provider), and every
 * invocation ends in an answer PUT to the ResponseURL, whatever happened: unanswered, CloudFormation waits up
 * to an hour. A marker that cannot be posted does not fail the deploy (SUCCESS with MarkerError, one warning
 * logged). Wrong properties or configuration answer FAILED, except on Delete, which always succeeds so a stack
 * can always be deleted and a failed create rolled back.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { ConfigurationError, type Env } from '../../common/env.js';
import { MarkerClient, MarkerRejectedError } from '../../common/honeycomb/markers.js';
import { honeycombKeys } from '../../common/honeycomb/settings.js';
import { VERSION } from '../../common/version.js';
import { readDeployMarkerConfig, type DeployMarkerConfig } from './config.js';
import { sendResponse, type CfnResponse } from './response.js';

/** Followed by the LogicalResourceId: the same on every update, so CloudFormation never sees a replacement. */
export const PHYSICAL_ID_PREFIX = 'honeycomb-deploy-marker:';
/** Kept before the Lambda timeout, so the answer is sent before the function is stopped. */
const MARGIN_MS = 1_000;
/** Of the invocation's time, what the marker must leave for answering CloudFormation (PUT retries). */
const RESPONSE_RESERVE_MS = 5_000;
/** A marker gets at most this many request timeouts, retries included: a down Honeycomb must not stall a deploy. */
const MARKER_TIMEOUTS = 3;
/** Without a Lambda context (local runs), an invocation gets this long. */
const DEFAULT_RUN_MS = 30_000;
const MARKER_ERROR_CHARS = 1_000;

export interface DeployMarkerResult {
  response: CfnResponse;
  /** PUT attempts it took to answer CloudFormation. */
  attempts: number;
}

export type DeployMarkerHandler = (event: CloudFormationCustomResourceEvent, context?: Context) => Promise<DeployMarkerResult>;

/** CloudFormation could not be answered: the error lets Lambda's retry of the asynchronous invoke try again. */
export class ResponseDeliveryError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ResponseDeliveryError';
  }
}

/** A resource property is missing or wrong; the message names it. */
class PropertyError extends Error {
  public constructor(property: string, message: string) {
    super(`${property} ${message}`);
    this.name = 'PropertyError';
  }
}

interface Outcome { status: 'SUCCESS' | 'FAILED'; reason: string; data: Record<string, string> }

interface MarkerProperties { dataset: string; message: string; type: string; url?: string }

export function physicalResourceId(event: CloudFormationCustomResourceEvent): string {
  return event.RequestType !== 'Create' && event.PhysicalResourceId ? event.PhysicalResourceId : `${PHYSICAL_ID_PREFIX}${event.LogicalResourceId}`;
}

function property(props: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = props[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw new PropertyError(name, 'is a required property of the deploy marker resource');
    return undefined;
  }
  if (typeof value !== 'string') throw new PropertyError(name, `must be a string, got ${typeof value}`);
  return value;
}

function readProperties(props: Record<string, unknown> | undefined): MarkerProperties {
  const all = props ?? {};
  const dataset = property(all, 'Dataset', true)!;
  const message = property(all, 'Message', true)!;
  const url = property(all, 'Url', false);
  return { dataset, message, type: property(all, 'MarkerType', false) ?? 'deploy', ...(url && { url }) };
}

/** Our own errors' messages say what is wrong; anything else is named by its type too. None holds a key. */
function describe(error: unknown): string {
  if (error instanceof ConfigurationError || error instanceof PropertyError || error instanceof MarkerRejectedError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Runs `work` so that every path, a thrown bug included, ends in an answer to CloudFormation. */
function answering(work: (event: CloudFormationCustomResourceEvent, started: number, deadline: number) => Promise<Outcome>): DeployMarkerHandler {
  return async (event, context) => {
    const started = Date.now();
    const deadline = started + (context ? context.getRemainingTimeInMillis() : DEFAULT_RUN_MS) - MARGIN_MS;
    let outcome: Outcome;
    try {
      outcome = await work(event, started, deadline);
    } catch (error) {
      outcome = event.RequestType === 'Delete'
        ? { status: 'SUCCESS', reason: `nothing deleted (${describe(error)})`, data: {} }
        : { status: 'FAILED', reason: describe(error), data: {} };
    }
    const response: CfnResponse = {
      Status: outcome.status, Reason: outcome.reason, PhysicalResourceId: physicalResourceId(event),
      StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, NoEcho: false, Data: outcome.data,
    };
    const delivery = await sendResponse(event.ResponseURL, response, deadline);
    const markerError = outcome.data.MarkerError;
    const level = !delivery.delivered || outcome.status === 'FAILED' ? 'ERROR' : markerError !== undefined ? 'WARN' : 'INFO';
    const line = JSON.stringify({
      level, message: markerError !== undefined ? 'deploy marker not posted; the deploy goes on' : 'deploy marker',
      requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, status: outcome.status,
      ...(outcome.data.MarkerId && { markerId: outcome.data.MarkerId }), ...(markerError !== undefined && { markerError }),
      ...(outcome.status === 'FAILED' && { reason: outcome.reason }),
      responseAttempts: delivery.attempts, ...(delivery.failure && !delivery.delivered && { responseFailure: delivery.failure }),
      durationMs: Date.now() - started,
    });
    if (level === 'ERROR') console.error(line);
    else if (level === 'WARN') console.warn(line);
    else console.log(line);
    if (!delivery.delivered) throw new ResponseDeliveryError(`could not answer CloudFormation after ${delivery.attempts} attempt(s): ${delivery.failure}`);
    return { response, attempts: delivery.attempts };
  };
}

export function createDeployMarkerHandler(config: DeployMarkerConfig): DeployMarkerHandler {
  const userAgent = `lambda-governance-deploy-marker/${VERSION}`;
  const keys = honeycombKeys(config, config.region);
  // One client (and connection pool) per dataset, kept across invocations.
  const clients = new Map<string, MarkerClient>();
  const client = (dataset: string): MarkerClient => {
    let found = clients.get(dataset);
    if (found === undefined) {
      found = new MarkerClient(config.apiHost, dataset, keys, userAgent, config.requestTimeoutMs);
      clients.set(dataset, found);
    }
    return found;
  };

  return answering(async (event, started, deadline): Promise<Outcome> => {
    // Markers stay on the graphs: the deploy happened.
    if (event.RequestType === 'Delete') return { status: 'SUCCESS', reason: 'nothing to delete', data: {} };
    if (event.RequestType !== 'Create' && event.RequestType !== 'Update') throw new Error(`unknown RequestType ${JSON.stringify((event as { RequestType: unknown }).RequestType)}`);
    const props = readProperties(event.ResourceProperties);
    const markerDeadline = Math.min(deadline - RESPONSE_RESERVE_MS, started + MARKER_TIMEOUTS * config.requestTimeoutMs);
    try {
      const marker = await client(props.dataset).create({ message: props.message, type: props.type, ...(props.url && { url: props.url }) }, markerDeadline);
      return { status: 'SUCCESS', reason: `marker ${marker.id} posted to ${props.dataset}`, data: { MarkerId: String(marker.id) } };
    } catch (error) {
      const why = describe(error).slice(0, MARKER_ERROR_CHARS);
      return { status: 'SUCCESS', reason: `marker not posted, the deploy goes on: ${why}`, data: { MarkerId: '', MarkerError: why } };
    }
  });
}

/**
 * What index.ts exports. A configuration error must not fail the init: CloudFormation would then wait up to an
 * hour for an answer. The handler instead answers every request FAILED with the error, which names the
 * variable (Delete still succeeds).
 */
export function createHandlerFromEnv(env: Env): DeployMarkerHandler {
  try {
    return createDeployMarkerHandler(readDeployMarkerConfig(env));
  } catch (error) {
    const reason = describe(error);
    console.error(JSON.stringify({ level: 'ERROR', message: 'deploy marker configuration', error: reason }));
    return answering(async () => {
      throw error;
    });
  }
}
