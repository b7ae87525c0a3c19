// Classifies DoS scheduling endpoints into a CareConnect finding. Pure: the rules come from
// DOMAIN.md ("CareConnect configuration"): booking is a scheduling endpoint — transport http,
// format FHIR, business scenario primary, address `ASID:<Spine ASID>` (CareConnect) or
// `ODS:<code>` (GP Connect). The DoS Search API answers per organisation, so several are normal:
// any well-formed one is an answer; `malformed` only when none is.
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
  connectionType: z.looseObject({ code: z.string().optional() }).optional(),
  payloadType: z
    .array(
      z.looseObject({
        coding: z
          .array(z.looseObject({ system: z.string().optional(), code: z.string().optional() }))
          .optional(),
      }),
    )
    .optional(),
  payloadMimeType: z.array(z.string()).optional(),
  extension: z.array(z.looseObject({ url: z.string() })).optional(),
});

/** An Endpoint as directories send it: the schema above lets payloadType and connectionType be absent. */
type ClassifiableEndpoint = Omit<Endpoint, 'payloadType' | 'connectionType'> &
  Partial<Pick<Endpoint, 'payloadType' | 'connectionType'>>;

/** The system the DoS Search API codes every payloadType in (its endpoint_mapper.py). */
const ENDPOINT_PAYLOAD_TYPE_SYSTEM = 'http://hl7.org/fhir/ValueSet/endpoint-payload-type';
/** DoS's format "FHIR" is sent as `application/fhir`; the spec's dictionary lists the other two. */
const FHIR_MIME_TYPES = new Set([
  'application/fhir',
  'application/fhir+json',
  'application/fhir+xml',
]);

// Matched by suffix: the profile's base URL has moved between DoS releases, the name has not.
const BUSINESS_SCENARIO = 'Extension-England-EndpointBusinessScenario';
const ENDPOINT_ORDER = 'Extension-England-OrganizationEndpointOrder';
const CARECONNECT_ADDRESS = /^ASID:\d+$/;
const GPCONNECT_ADDRESS = /^ODS:[A-Za-z0-9]+$/;
const PREFIXED = /^(ASID|ODS):/i;

/** payloadType `scheduling`, in the spec's system (a coding without a system is taken as it). */
export function isSchedulingEndpoint(endpoint: ClassifiableEndpoint): boolean {
  return (endpoint.payloadType ?? []).some((concept) =>
    (concept.coding ?? []).some(
      (coding) =>
        coding.code === 'scheduling' &&
        (coding.system === undefined || coding.system === ENDPOINT_PAYLOAD_TYPE_SYSTEM),
    ),
  );
}

function extensionNamed(endpoint: ClassifiableEndpoint, name: string) {
  return (endpoint.extension ?? []).find((ext) => ext.url.endsWith(name));
}

function businessScenario(endpoint: ClassifiableEndpoint): string | undefined {
  const extension = extensionNamed(endpoint, BUSINESS_SCENARIO);
  return (
    extension?.valueCode ??
    extension?.valueCodeableConcept?.coding?.[0]?.code ??
    extension?.valueString ??
    undefined
  );
}

/** DoS's order for an organisation's endpoints; those without one go last. */
function orderOf(endpoint: ClassifiableEndpoint): number {
  return extensionNamed(endpoint, ENDPOINT_ORDER)?.valueInteger ?? Number.MAX_SAFE_INTEGER;
}

/** What stops a single scheduling endpoint from working, in words that finish "an endpoint …". */
function problemsOf(endpoint: ClassifiableEndpoint, address: string): string[] {
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
  const scenario = businessScenario(endpoint);
  if (scenario === 'copy-recipient') {
    problems.push('as a copy recipient, not the primary recipient');
  } else if (scenario !== undefined && scenario !== 'primary-recipient') {
    problems.push(`with business scenario '${scenario}', not primary-recipient`);
  }
  // Transport and format are judged only when DoS states them.
  const transport = endpoint.connectionType?.code;
  if (transport !== undefined && transport.toLowerCase() !== 'http') {
    problems.push(`with transport '${transport}', not http`);
  }
  const formats = endpoint.payloadMimeType ?? [];
  if (formats.length > 0 && !formats.some((format) => FHIR_MIME_TYPES.has(format))) {
    problems.push(`with format '${formats.join(', ')}', not FHIR`);
  }
  return problems;
}

interface Judged {
  address: string;
  problems: string[];
}

/** "a", "a and b", "a, b and c". */
function listed(addresses: string[]): string {
  const last = addresses.at(-1) ?? '';
  return addresses.length <= 1 ? last : `${addresses.slice(0, -1).join(', ')} and ${last}`;
}

/** "Also …" sentences about the endpoints a finding does not rest on, so the detail lists every one. */
function alsoFound(gpConnect: string[], broken: Judged[]): string {
  const parts: string[] = [];
  if (gpConnect.length > 0) {
    parts.push(` It also has GP Connect: ${listed(gpConnect)}.`);
  }
  if (broken.length > 0) {
    const each = broken.map((judged) => `'${judged.address}' ${judged.problems.join(' and ')}`);
    parts.push(` Not usable: ${each.join('; ')}.`);
  }
  return parts.join('');
}

export function classifySchedulingEndpoints(
  endpoints: ClassifiableEndpoint[],
  source: string,
  /** "organisation Y02494" when the directory answered per organisation; else this service. */
  subject?: string,
): CareConnectFinding {
  const scheduling = endpoints
    .filter(isSchedulingEndpoint)
    .map((endpoint, index) => ({ endpoint, index }))
    .sort((a, b) => orderOf(a.endpoint) - orderOf(b.endpoint) || a.index - b.index)
    .map(({ endpoint }) => endpoint);
  const forSubject = subject === undefined ? '' : ` for ${subject}`;
  if (scheduling.length === 0) {
    return {
      status: 'missing',
      detail: `DoS has no scheduling endpoint for ${subject ?? 'this service'} (${source}), so neither CareConnect nor GP Connect booking is configured.`,
    };
  }
  const judged: Judged[] = scheduling.map((endpoint) => {
    const address = endpoint.address.trim();
    return { address, problems: problemsOf(endpoint, address) };
  });
  const working = judged.filter((j) => j.problems.length === 0).map((j) => j.address);
  const broken = judged.filter((j) => j.problems.length > 0);
  const careConnect = working.filter((address) => CARECONNECT_ADDRESS.test(address));
  const gpConnect = working.filter((address) => GPCONNECT_ADDRESS.test(address));

  const [firstCareConnect] = careConnect;
  if (firstCareConnect !== undefined) {
    const several = `${careConnect.length} CareConnect scheduling endpoints, ${listed(careConnect)}`;
    let found = `a CareConnect scheduling endpoint ${firstCareConnect}${forSubject}`;
    if (careConnect.length > 1)
      found = subject === undefined ? several : `${several},${forSubject}`;
    return {
      status: 'careconnect',
      address: firstCareConnect,
      detail: `DoS has ${found} (${source}).${alsoFound(gpConnect, broken)}`,
    };
  }
  const [firstGpConnect] = gpConnect;
  if (firstGpConnect !== undefined) {
    const found =
      gpConnect.length === 1
        ? `a GP Connect scheduling endpoint ${firstGpConnect}`
        : `GP Connect scheduling endpoints ${listed(gpConnect)}`;
    return {
      status: 'gpconnect',
      address: firstGpConnect,
      detail: `DoS has ${found} but no CareConnect (ASID:) one${forSubject} (${source}).${alsoFound([], broken)}`,
    };
  }

  const [first] = judged as [Judged, ...Judged[]];
  const found = first.address === '' ? {} : { address: first.address };
  if (judged.length === 1) {
    return {
      status: 'malformed',
      ...found,
      detail: `DoS has a scheduling endpoint '${first.address}'${forSubject} ${first.problems.join(' and ')} (${source}); CareConnect booking will not work until it is fixed.`,
    };
  }
  const each = judged.map((j) => `'${j.address}' ${j.problems.join(' and ')}`);
  return {
    status: 'malformed',
    ...found,
    detail: `DoS has ${judged.length} scheduling endpoints${forSubject} and none would work: ${each.join('; ')} (${source}); CareConnect booking will not work until one is fixed.`,
  };
}
