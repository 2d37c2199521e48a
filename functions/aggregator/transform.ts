/**
 * Records → outgoing events: decode each record (rejections kept with the record's bytes for the dead-letter
 * queue) and convert it. Without sampling each record is converted as soon as it is decoded; with sampling
 * the whole batch is decoded first, because a notable span anywhere keeps its whole trace.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import type { BudgetChargeRules } from './budget-charges.js';
import { Converter, convertRecords, type Converted, type RecordRequests } from './convert.js';
import { decodeRecord, type RecordRejection } from './records.js';
import type { Sampler } from './sampling.js';

export interface RejectedRecord {
  record: number;
  rejection: RecordRejection;
  data: Uint8Array;
}

export function transformRecords(records: readonly KinesisStreamRecord[], sampler: Sampler, budgets?: BudgetChargeRules): { converted: Converted; rejected: RejectedRecord[] } {
  const rejected: RejectedRecord[] = [];
  const decodeAt = (index: number): RecordRequests['requests'] => {
    const data = Buffer.from(records[index]!.kinesis.data, 'base64');
    const result = decodeRecord(data);
    for (const rejection of result.rejections) rejected.push({ record: index, rejection, data });
    return result.requests;
  };
  if (!sampler.enabled) {
    const converter = new Converter(sampler, undefined, budgets);
    for (let i = 0; i < records.length; i++) converter.add(i, decodeAt(i));
    return { converted: converter.out, rejected };
  }
  const decoded: RecordRequests[] = records.map((_, i) => ({ record: i, requests: decodeAt(i) }));
  return { converted: convertRecords(decoded, sampler, budgets), rejected };
}
