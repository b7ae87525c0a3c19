// Classifies a service's DoS scheduling endpoints into a CareConnect finding. Pure: the rules come
// from DOMAIN.md ("CareConnect configuration"): one active primary-recipient scheduling endpoint
// whose address is `ASID:<Spine ASID>` (CareConnect) or `ODS:<code>` (GP Connect).
import type { Endpoint } from 'fhir/r4.js';
import { z } from 'zod';
import type { CareConnectFinding } from './finding.ts';

/**
 * The least of an Endpoint that classification reads. Adapters check what a directory sends
 * against it, so a garbled resource is the directory's fault and never a crash in here.
 */
export const classifiableEndpoint = z.looseObject({
  resourceType: z.literal('Endpoint'),
  status: z.string(),
  address: z.string(),
  payloadType: z.array(z.looseObject({ coding: z.array(z.looseObject({})).optional() })).optional(),
  extension: z.array(z.looseObject({ url: z.string() })).optional(),
});

// Matched by suffix: the profile's base URL has moved between DoS releases, the name has not.
const BUSINESS_SCENARIO = 'Extension-England-EndpointBusinessScenario';
const CARECONNECT_ADDRESS = /^ASID:\d+$/;
const GPCONNECT_ADDRESS = /^ODS:[A-Za-z0-9]+$/;
const PREFIXED = /^(ASID|ODS):/i;

export function isSchedulingEndpoint(endpoint: Endpoint): boolean {
  return (endpoint.payloadType ?? []).some((concept) =>
    (concept.coding ?? []).some((coding) => coding.code === 'scheduling'),
  );
}

function businessScenario(endpoint: Endpoint): string | undefined {
  const extension = (endpoint.extension ?? []).find((ext) => ext.url.endsWith(BUSINESS_SCENARIO));
  return (
    extension?.valueCode ??
    extension?.valueCodeableConcept?.coding?.[0]?.code ??
    extension?.valueString ??
    undefined
  );
}

/** What stops a single scheduling endpoint from working, in words that finish "an endpoint …". */
function problemsOf(endpoint: Endpoint, address: string): string[] {
  const problems: string[] = [];
  if (!CARECONNECT_ADDRESS.test(address) && !GPCONNECT_ADDRESS.test(address)) {
    problems.push(
      PREFIXED.test(address)
        ? 'whose address is not in the form ASID:<digits> or ODS:<code>'
        : 'without the ASID: or ODS: prefix',
    );
  }
  if (endpoint.status !== 'active') {
    problems.push(`with status '${endpoint.status}', not active`);
  }
  // An endpoint without the extension is taken as primary: DoS only marks the exception.
  if (businessScenario(endpoint) === 'copy-recipient') {
    problems.push('as a copy recipient, not the primary recipient');
  }
  return problems;
}

export function classifySchedulingEndpoints(
  endpoints: Endpoint[],
  source: string,
): CareConnectFinding {
  const scheduling = endpoints.filter(isSchedulingEndpoint);
  const [first] = scheduling;
  if (first === undefined) {
    return {
      status: 'missing',
      detail: `DoS has no scheduling endpoint for this service (${source}), so neither CareConnect nor GP Connect booking is configured.`,
    };
  }
  if (scheduling.length > 1) {
    const addresses = scheduling.map((endpoint) => endpoint.address.trim()).join(', ');
    return {
      status: 'malformed',
      address: first.address.trim(),
      detail: `DoS has ${scheduling.length} scheduling endpoints for this service, ${addresses} (${source}); there should be only one.`,
    };
  }
  const address = first.address.trim();
  const found = address === '' ? {} : { address };
  const problems = problemsOf(first, address);
  if (problems.length > 0) {
    return {
      status: 'malformed',
      ...found,
      detail: `DoS has a scheduling endpoint '${address}' ${problems.join(' and ')} (${source}); CareConnect booking will not work until it is fixed.`,
    };
  }
  if (CARECONNECT_ADDRESS.test(address)) {
    return {
      status: 'careconnect',
      address,
      detail: `DoS has a CareConnect scheduling endpoint ${address} (${source}).`,
    };
  }
  return {
    status: 'gpconnect',
    address,
    detail: `DoS has a GP Connect scheduling endpoint ${address} but no CareConnect (ASID:) one (${source}).`,
  };
}
