/**
 * Triggers (§7.2, §11.21), per dataset or __all__, with Manage Triggers: POST → 201 with a Location header,
 * GET list/one, PUT (full replacement: a left-out optional field goes back to its default, except `disabled`,
 * which keeps its value, as the TF client documents), DELETE → 204. Every check failure is one 422 listing them.
 * The answer adds id, dataset_slug, triggered (always false: nothing is evaluated), created_at, updated_at, and
 * carries both the query and its query_id: an inline query is saved as a query, as Honeycomb does.
 *
 * Guesses: when a body has both `query` and `query_id` (a GET answer sent back), the inline query wins; a
 * `query_id` must name a query saved in the same dataset; recipient ids are not checked (no Recipients API
 * here); baseline_details is accepted and dropped; the Free plan's 2-trigger cap (third-party source) is not
 * enforced.
 */
import { json, type Exchange, type Reply, type Route, type RouteContext } from './http.js';
import { datasetCaller, decodeSegment, readObject, type DatasetCaller } from './config-request.js';
import { within, type ConfigStore, type Scoped, type Trigger } from './config-store.js';
import { isoSeconds, notFound } from './problems.js';
import { findQuery, saveQuery } from './queries.js';
import { checkQuerySpec, checkTriggerQuery } from './query-spec.js';
import { Checks } from './validation.js';

const THRESHOLD_OPS = ['>', '>=', '<', '<='] as const;
const RECIPIENT_TYPES = ['pagerduty', 'email', 'slack', 'webhook', 'msteams', 'msteams_workflow'] as const;
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
const HH_MM = /^([0-1]?[0-9]|2[0-3]):[0-5][0-9]$/;
const DEFAULT_FREQUENCY = 900;

type Fields = Omit<Trigger, 'id' | 'dataset_slug' | 'triggered' | 'created_at' | 'updated_at'>;

function recipients(value: unknown, checks: Checks): Record<string, unknown>[] {
  return (checks.array(value, 'recipients') ?? []).flatMap((item, i) => {
    const recipient = checks.object(item, `recipients[${i}]`, true);
    if (!recipient) return [];
    if (recipient['id'] !== undefined) checks.string(recipient['id'], `recipients[${i}].id`, { min: 1 });
    else {
      // Deprecated form: a type and a target instead of a Recipients API id.
      checks.string(recipient['type'], `recipients[${i}].type`, { required: true, oneOf: RECIPIENT_TYPES });
      checks.string(recipient['target'], `recipients[${i}].target`, { required: true, min: 1 });
    }
    return [recipient];
  });
}

function schedule(body: Record<string, unknown>, checks: Checks): Pick<Fields, 'evaluation_schedule_type' | 'evaluation_schedule'> {
  const type = checks.string(body['evaluation_schedule_type'], 'evaluation_schedule_type', { oneOf: ['frequency', 'window'] }) ?? 'frequency';
  if (type !== 'window') return { evaluation_schedule_type: type };
  const evaluation = checks.object(body['evaluation_schedule'], 'evaluation_schedule', true);
  const window = evaluation && checks.object(evaluation['window'], 'evaluation_schedule.window', true);
  if (window) {
    const days = checks.array(window['days_of_week'], 'evaluation_schedule.window.days_of_week', { required: true, min: 1, max: 7 }) ?? [];
    days.forEach((d, i) => checks.string(d, `evaluation_schedule.window.days_of_week[${i}]`, { oneOf: DAYS }));
    checks.string(window['start_time'], 'evaluation_schedule.window.start_time', { required: true, pattern: HH_MM });
    checks.string(window['end_time'], 'evaluation_schedule.window.end_time', { required: true, pattern: HH_MM });
  }
  return { evaluation_schedule_type: type, ...(evaluation ? { evaluation_schedule: evaluation } : {}) };
}

export function triggerRoutes(config: ConfigStore): Route[] {
  const find = (who: DatasetCaller, id: string): Scoped<Trigger> | undefined =>
    within(config.triggers, who.scope, who.dataset).find((t) => t.value.id === decodeSegment(id));

  /** The trigger a body describes (an inline query saved on the way), or the 422. */
  function fields(who: DatasetCaller, body: Record<string, unknown>, previous?: Trigger): Fields | Reply {
    const checks = new Checks();
    const name = checks.string(body['name'], 'name', { required: true, min: 1, max: 120 });
    const description = checks.string(body['description'], 'description', { max: 1023 });
    const tags = checks.tags(body['tags']);
    const threshold = checks.object(body['threshold'], 'threshold', true);
    const op = threshold && checks.string(threshold['op'], 'threshold.op', { required: true, oneOf: THRESHOLD_OPS });
    const value = threshold && checks.number(threshold['value'], 'threshold.value', true);
    const exceeded = threshold && checks.integer(threshold['exceeded_limit'], 'threshold.exceeded_limit', { min: 1, max: 5 });
    const frequency = checks.integer(body['frequency'], 'frequency', { min: 60, max: 86_400, multipleOf: 60 });
    const alertType = checks.string(body['alert_type'], 'alert_type', { oneOf: ['on_change', 'on_true'] });
    const disabled = checks.boolean(body['disabled'], 'disabled');
    const recipientList = recipients(body['recipients'], checks);
    const when = schedule(body, checks);
    const inline = checks.object(body['query'], 'query');
    let spec: Record<string, unknown> | undefined;
    if (inline) {
      spec = checkQuerySpec(inline, checks, 'query.');
      checkTriggerQuery(spec, frequency ?? DEFAULT_FREQUENCY, checks, 'query.');
    } else if (body['query_id'] === undefined || body['query_id'] === null) {
      checks.missing('query');
    } else {
      const saved = findQuery(config, who.scope, who.dataset, body['query_id']);
      if (!saved) checks.invalid('query_id', `no saved query with this id in dataset ${who.dataset}`);
      else {
        const subset = new Checks();
        checkTriggerQuery(saved, frequency ?? DEFAULT_FREQUENCY, subset, '');
        if (subset.ok) spec = Object.fromEntries(Object.entries(saved).filter(([k]) => k !== 'id'));
        else checks.invalid('query_id', `the query cannot be used by a trigger (${subset.details.map((d) => d.description).join('; ')})`);
      }
    }
    if (!checks.ok || name === undefined || op === undefined || value === undefined || spec === undefined) return checks.reply()!;
    return {
      name, description: description ?? '', tags: tags ?? [],
      threshold: { op, value, exceeded_limit: exceeded ?? 1 },
      frequency: frequency ?? DEFAULT_FREQUENCY, alert_type: alertType ?? 'on_change',
      disabled: disabled ?? previous?.disabled ?? false, recipients: recipientList, ...when,
      query_id: saveQuery(config, who.scope, who.dataset, spec).id, query: spec,
    };
  }

  function create(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'triggers');
    if ('status' in who) return who;
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, body);
    if ('status' in input) return input;
    const now = isoSeconds(context.clock());
    const value: Trigger = { id: config.nextId(), dataset_slug: who.dataset, ...input, triggered: false, created_at: now, updated_at: now };
    config.triggers.push({ scope: who.scope, dataset: who.dataset, value });
    return json(201, value, { Location: `/1/triggers/${encodeURIComponent(who.dataset)}/${value.id}` });
  }

  function list(exchange: Exchange, [segment = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'triggers');
    if ('status' in who) return who;
    return json(200, within(config.triggers, who.scope, who.dataset).map((t) => t.value));
  }

  function get(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'triggers');
    if ('status' in who) return who;
    const found = find(who, id);
    return found ? json(200, found.value) : notFound('Trigger');
  }

  function update(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'triggers');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Trigger');
    const parsed = readObject(exchange);
    if ('status' in parsed) return parsed;
    const body = parsed.fields;
    const input = fields(who, body, found.value);
    if ('status' in input) return input;
    const { id: keptId, dataset_slug, triggered, created_at } = found.value;
    found.value = { id: keptId, dataset_slug, ...input, triggered, created_at, updated_at: isoSeconds(context.clock()) };
    return json(200, found.value);
  }

  function remove(exchange: Exchange, [segment = '', id = '']: string[], context: RouteContext): Reply {
    const who = datasetCaller(exchange, segment, context, 'triggers');
    if ('status' in who) return who;
    const found = find(who, id);
    if (!found) return notFound('Trigger');
    config.triggers.splice(config.triggers.indexOf(found), 1);
    return { status: 204 };
  }

  return [
    { method: 'POST', path: /^\/1\/triggers\/([^/]+)$/, handle: create },
    { method: 'GET', path: /^\/1\/triggers\/([^/]+)$/, handle: list },
    { method: 'GET', path: /^\/1\/triggers\/([^/]+)\/([^/]+)$/, handle: get },
    { method: 'PUT', path: /^\/1\/triggers\/([^/]+)\/([^/]+)$/, handle: update },
    { method: 'DELETE', path: /^\/1\/triggers\/([^/]+)\/([^/]+)$/, handle: remove },
  ];
}
