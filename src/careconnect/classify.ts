// Classifies a service's DoS scheduling endpoints into a CareConnect finding. Pure: the rules come
// from DOMAIN.md ("CareConnect configuration"): one active primary-recipient scheduling endpoint
// whose address is `ASID:<Spine ASID>` (CareConnect) or `ODS:<code>` (GP Connect).
import type { Endpoint } from 'fhir/r4.js';
import type { CareConnectFinding } from './finding.ts';

const BUSINESS_SCENARIO = 'Extension-England-EndpointBusinessScenario';

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

const CARECONNECT_ADDRESS = /^ASID:\d+$/;
const GPCONNECT_ADDRESS = /^ODS:[A-Za-z0-9]+$/;

export function classifySchedulingEndpoints(
  endpoints: Endpoint[],
  source: string,
): CareConnectFinding {
  const scheduling = endpoints.filter(isSchedulingEndpoint);
  if (scheduling.length === 0) {
    return {
      status: 'missing',
      detail: `DoS has no scheduling endpoint for this service (${source}), so CareConnect and GP Connect booking are not configured.`,
    };
  }
  if (scheduling.length > 1) {
    const addresses = scheduling.map((endpoint) => endpoint.address).join(', ');
    return {
      status: 'malformed',
      address: scheduling[0]!.address,
      detail: `DoS has ${scheduling.length} scheduling endpoints for this service (${addresses}; ${source}); there should be only one.`,
    };
  }
  const endpoint = scheduling[0]!;
  const address = endpoint.address.trim();
  if (endpoint.status !== 'active') {
    return {
      status: 'malformed',
      address,
      detail: `DoS has a scheduling endpoint ${address} but its status is '${endpoint.status}', not active (${source}).`,
    };
  }
  const scenario = businessScenario(endpoint);
  if (scenario === 'copy-recipient') {
    return {
      status: 'malformed',
      address,
      detail: `DoS has a scheduling endpoint ${address} as a copy recipient; booking needs it as the primary recipient (${source}).`,
    };
  }
  if (CARECONNECT_ADDRESS.test(address)) {
    return {
      status: 'careconnect',
      address,
      detail: `DoS has a CareConnect scheduling endpoint ${address} (${source}).`,
    };
  }
  if (GPCONNECT_ADDRESS.test(address)) {
    return {
      status: 'gpconnect',
      address,
      detail: `DoS has a GP Connect scheduling endpoint ${address} (${source}); there is no CareConnect (ASID:) endpoint.`,
    };
  }
  return {
    status: 'malformed',
    address,
    detail: `DoS has a scheduling endpoint '${address}' without the ASID: or ODS: prefix (${source}); booking will not work without it.`,
  };
}
