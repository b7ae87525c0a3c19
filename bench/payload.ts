// What every bench step submits: one request body per index, and the send job the raw baselines
// queue in its place (the same payload and job options as intake queues).
import { DEFAULT_RETRY, sendJobOptions } from '../src/adapters/queues/queues.ts';

/** A valid request for service `1,000,000,000 + i` (unique per index, so never a duplicate). */
export const body = (i: number, odsCode = 'Y02494') => ({
  dosServiceId: String(1_000_000_000 + i),
  environment: 'INT',
  endpoint: `https://BaRS-INT-${odsCode}.example-supplier.thirdparty.nhs.uk/fhir/R4`,
  odsCode,
  requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' },
});

/** The send job's options, as intake queues a routine request. */
export const RAW_JOB_OPTIONS = sendJobOptions('routine', DEFAULT_RETRY);

export const rawJobData = (i: number, request: object = body(i)) => ({
  requestId: `req-${i}`,
  ...request,
});

/** The CSV header `ecat import` reads, and one row of `body(i, odsCode)` under it. */
export const CSV_HEADER =
  'dosServiceId,environment,endpoint,odsCode,requester.name,requester.email';
export function csvRow(i: number, odsCode?: string): string {
  const row = body(i, odsCode);
  return [
    row.dosServiceId,
    row.environment,
    row.endpoint,
    row.odsCode,
    row.requester.name,
    row.requester.email,
  ].join(',');
}
