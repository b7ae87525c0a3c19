// The draft catalogue entry: the FHIR R4 Endpoint the BaRS team adds to the Endpoint Catalogue,
// shaped as DOMAIN.md describes ("The BaRS endpoint being registered"). Pure.
import type { Endpoint } from 'fhir/r4.js';
import type { IsoDate } from '../request/dates.ts';
import type { ConfigurationRequest } from '../request/schema.ts';

export function draftCatalogueEndpoint(request: ConfigurationRequest, today: IsoDate): Endpoint {
  return {
    resourceType: 'Endpoint',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: request.dosServiceId }],
    status: 'active',
    connectionType: {
      system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
      code: 'hl7-fhir-msg',
    },
    ...(request.serviceName === undefined ? {} : { name: request.serviceName }),
    managingOrganization: {
      identifier: {
        system: 'https://fhir.nhs.uk/Id/ods-organization-code',
        value: request.odsCode,
      },
    },
    period: { start: request.testDates?.from ?? today },
    payloadType: [{ coding: [{ code: 'bars', display: 'Booking and Referral Standard' }] }],
    payloadMimeType: ['application/fhir+json'],
    address: request.endpoint,
  };
}
