// The catalogue entry as FHIR R4, attached to the email for information: a Bundle (collection) of
// the Organization, HealthcareService and Endpoint that the BaRS guide's "Endpoint Catalogue
// standard pattern" (preview, Endpoint-Data page) models an entry with. Built from that page's
// tables, not its examples, which are not valid R4. The email text is what the engineer acts on.
// Pure.
import { createHash } from 'node:crypto';
import type {
  Bundle,
  BundleEntry,
  Endpoint,
  FhirResource,
  HealthcareService,
  Identifier,
  Organization,
} from 'fhir/r4.js';
import { DOS_SERVICE_ID_SYSTEM, ODS_CODE_SYSTEM } from '../careconnect/dos-bundle.ts';
import type { IsoDate } from '../dates.ts';
import type { ConfigurationRequest } from '../request/schema.ts';

/** The guide's system for the receiver product's (hexadecimal) ID, `http`, as the guide writes it. */
const PRODUCT_ID_SYSTEM = 'http://fhir.nhs.uk/Id/product-id';

/** The profiles the guide's tables name for each resource's `meta.profile`. */
const UK_CORE_PROFILES = {
  Organization: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization',
  HealthcareService: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-HealthcareService',
  Endpoint: 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-Endpoint',
} as const;

/** The guide's connection type for a BaRS endpoint (a Coding in R4, not the table's CodeableConcept). */
const BARS_CONNECTION_TYPE = {
  system: 'https://fhir.nhs.uk/CodeSystem/ConnectionTypes',
  code: 'BARS',
  display: 'Booking And Referrals Standard',
} as const;

// R4 requires a payloadType and the guide leaves it to UK Core, which binds none of its own; there
// is no "bars" code anywhere. `any` from HL7's endpoint-payload-type code system is real and true:
// one BaRS endpoint takes bookings, referrals and validation requests alike.
const PAYLOAD_TYPE_ANY = {
  system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type',
  code: 'any',
  display: 'Any',
} as const;

export interface CatalogueBundleContext {
  /** The request's id: the Bundle's id, and the seed of its `urn:uuid:` references. */
  id: string;
  /** London's today, the Endpoint's `period.start` when no test date was given. */
  today: IsoDate;
  /** When the entry was asked for (an instant): `meta.lastUpdated` and the Bundle's timestamp. */
  requestedAt: string;
}

/**
 * A UUID derived from the request id (the layout of a version 5 UUID), so every retry of one
 * request attaches the same Bundle, byte for byte.
 */
function uuidFor(requestId: string, resourceType: string): string {
  const hex = createHash('sha1').update(`ecat:${requestId}:${resourceType}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `5${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/** The name the guide's example gives an Endpoint: the service's name, then "BaRS Endpoint". */
function catalogueEndpointName(request: ConfigurationRequest): string {
  return `${request.serviceName ?? `DoS service ${request.dosServiceId}`} - BaRS Endpoint`;
}

export function catalogueBundle(
  request: ConfigurationRequest,
  context: CatalogueBundleContext,
): Bundle {
  const url = {
    organization: `urn:uuid:${uuidFor(context.id, 'Organization')}`,
    service: `urn:uuid:${uuidFor(context.id, 'HealthcareService')}`,
    endpoint: `urn:uuid:${uuidFor(context.id, 'Endpoint')}`,
  };
  const meta = (profile: string) => ({ lastUpdated: context.requestedAt, profile: [profile] });
  // The guide's tables put the product ID on all three resources.
  const productId: Identifier[] =
    request.productId === undefined
      ? []
      : [{ system: PRODUCT_ID_SYSTEM, value: request.productId }];

  // No Organization.name although the guide asks for one: ecat is told the ODS code, not the
  // provider's name, and the requester's organisation is often another one (NHS England).
  const organization: Organization = {
    resourceType: 'Organization',
    meta: meta(UK_CORE_PROFILES.Organization),
    identifier: [{ system: ODS_CODE_SYSTEM, value: request.odsCode }, ...productId],
  };
  const service: HealthcareService = {
    resourceType: 'HealthcareService',
    meta: meta(UK_CORE_PROFILES.HealthcareService),
    // https, as senders name the service to the proxy (NHSD-Target-Identifier); the guide's
    // example writes http.
    identifier: [{ system: DOS_SERVICE_ID_SYSTEM, value: request.dosServiceId }, ...productId],
    active: true,
    providedBy: { reference: url.organization },
    name: request.serviceName ?? `DoS service ${request.dosServiceId}`,
    endpoint: [{ reference: url.endpoint }],
  };
  const endpoint: Endpoint = {
    resourceType: 'Endpoint',
    meta: meta(UK_CORE_PROFILES.Endpoint),
    ...(productId.length > 0 ? { identifier: productId } : {}),
    status: 'active',
    connectionType: { ...BARS_CONNECTION_TYPE },
    name: catalogueEndpointName(request),
    managingOrganization: { reference: url.organization },
    period: { start: request.testDates?.from ?? context.today },
    payloadType: [{ coding: [{ ...PAYLOAD_TYPE_ANY }] }],
    payloadMimeType: ['application/fhir+json'],
    address: request.endpoint,
  };
  const entry = (fullUrl: string, resource: FhirResource): BundleEntry => ({ fullUrl, resource });
  return {
    resourceType: 'Bundle',
    id: context.id,
    type: 'collection',
    timestamp: context.requestedAt,
    entry: [
      entry(url.organization, organization),
      entry(url.service, service),
      entry(url.endpoint, endpoint),
    ],
  };
}
