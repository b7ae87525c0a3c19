// BaRS proxy answers shared by the catalogue tests (msw responses).
import type { CapabilityStatement } from 'fhir/r4.js';
import { HttpResponse } from 'msw';

export const statement: CapabilityStatement = {
  resourceType: 'CapabilityStatement',
  status: 'active',
  date: '2026-11-01',
  kind: 'instance',
  fhirVersion: '4.0.1',
  format: ['application/fhir+json'],
  software: { name: 'Example receiver' },
};

export function proxyNotFound() {
  return HttpResponse.json(
    {
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'not-found',
          details: {
            coding: [
              {
                system: 'https://fhir.nhs.uk/CodeSystem/http-error-codes',
                code: 'PROXY_NOT_FOUND',
                display: 'The target endpoint does not exist in the Endpoint Catalogue',
              },
            ],
          },
        },
      ],
    },
    { status: 404 },
  );
}
