// Reading DoS answers: Endpoints, HealthcareServices and Organizations out of a FHIR R4 Bundle.
import type {
  Bundle,
  Endpoint,
  FhirResource,
  HealthcareService,
  Identifier,
  Organization,
} from 'fhir/r4.js';
import { z } from 'zod';

export const DOS_SERVICE_ID_SYSTEM = 'https://fhir.nhs.uk/Id/dos-service-id';
export const ODS_CODE_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code';

const bundleShape = z.looseObject({
  resourceType: z.literal('Bundle'),
  entry: z
    .array(z.looseObject({ resource: z.looseObject({ resourceType: z.string() }).optional() }))
    .optional(),
});

/** Checks the outer shape only: enough to trust `resourceType` on every entry. */
export function asBundle(value: unknown): Bundle | undefined {
  return bundleShape.safeParse(value).success ? (value as Bundle) : undefined;
}

export function resourcesOf<T extends FhirResource['resourceType']>(
  bundle: Bundle,
  resourceType: T,
): Extract<FhirResource, { resourceType: T }>[] {
  return (bundle.entry ?? [])
    .map((entry) => entry.resource)
    .filter(
      (resource): resource is Extract<FhirResource, { resourceType: T }> =>
        resource?.resourceType === resourceType,
    );
}

export function hasIdentifier(
  identifiers: Identifier[] | undefined,
  system: string,
  value: string,
): boolean {
  return (identifiers ?? []).some(
    (identifier) =>
      identifier.system === system && identifier.value?.toUpperCase() === value.toUpperCase(),
  );
}

/** The Endpoints a HealthcareService references (`Endpoint/<id>`), found in the same bundle. */
export function endpointsOfService(bundle: Bundle, service: HealthcareService): Endpoint[] {
  const endpoints = resourcesOf(bundle, 'Endpoint');
  const ids = new Set((service.endpoint ?? []).map((ref) => ref.reference?.split('/').pop()));
  return endpoints.filter((endpoint) => ids.has(endpoint.id));
}

/** The Endpoints managed by the Organization with the given ODS code, in the same bundle. */
export function endpointsOfOrganisation(bundle: Bundle, odsCode: string): Endpoint[] {
  const organisations: Organization[] = resourcesOf(bundle, 'Organization').filter((org) =>
    hasIdentifier(org.identifier, ODS_CODE_SYSTEM, odsCode),
  );
  const ids = new Set(organisations.map((org) => `Organization/${org.id}`));
  return resourcesOf(bundle, 'Endpoint').filter(
    (endpoint) =>
      (endpoint.managingOrganization?.reference !== undefined &&
        ids.has(endpoint.managingOrganization.reference)) ||
      (endpoint.managingOrganization?.identifier !== undefined &&
        hasIdentifier([endpoint.managingOrganization.identifier], ODS_CODE_SYSTEM, odsCode)),
  );
}
