// The snapshot adapter: DoS as a FHIR Bundle file (config/directory.json), the embedded default
// when no DoS API is configured. The same snapshot answers for INT and PROD.
import type { Bundle } from 'fhir/r4.js';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import {
  DOS_SERVICE_ID_SYSTEM,
  endpointsOfOrganisation,
  endpointsOfService,
  hasIdentifier,
  resourcesOf,
} from '../../domain/careconnect/dos-bundle.ts';
import { classifiableEndpoint } from '../../domain/careconnect/classify.ts';
import type { Directory } from '../../ports/directory.ts';

const identifiers = z
  .array(z.looseObject({ system: z.string().optional(), value: z.string().optional() }))
  .optional();
const reference = z.looseObject({ reference: z.string().optional() });

const resourceShapes: Record<string, z.ZodType> = {
  Endpoint: classifiableEndpoint,
  HealthcareService: z.looseObject({
    identifier: identifiers,
    endpoint: z.array(reference).optional(),
  }),
  Organization: z.looseObject({ identifier: identifiers }),
};

/** Checked once at load, so a broken file stops the start instead of misleading every lookup. */
const snapshotShape = z.looseObject({
  resourceType: z.literal('Bundle'),
  entry: z
    .array(
      z.looseObject({
        resource: z.looseObject({ resourceType: z.string() }).superRefine((resource, ctx) => {
          const checked = resourceShapes[resource.resourceType]?.safeParse(resource);
          for (const issue of checked?.error?.issues ?? []) {
            ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
          }
        }),
      }),
    )
    .default([]),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const path = (issue?.path ?? [])
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
  return `${path === '' ? '' : `${path}: `}${issue?.message ?? 'invalid'}`;
}

/**
 * `name` is how errors about the snapshot name it (its file, for whoever runs ecat); findings say
 * only "DoS snapshot": requesters read them, and a path on our server means nothing to them.
 */
export function createSnapshotDirectory(value: unknown, name = 'the DoS snapshot'): Directory {
  const source = 'DoS snapshot';
  const parsed = snapshotShape.safeParse(value);
  if (!parsed.success) {
    throw new Error(`${name} is not a FHIR Bundle of DoS resources (${firstIssue(parsed.error)})`);
  }
  // zod checked every field the lookups read; the FHIR types say the rest.
  const bundle = value as Bundle;
  const services = resourcesOf(bundle, 'HealthcareService');
  const endpointIds = new Set(resourcesOf(bundle, 'Endpoint').map((endpoint) => endpoint.id));
  for (const service of services) {
    for (const ref of service.endpoint ?? []) {
      if (!endpointIds.has(ref.reference?.split('/').pop())) {
        throw new Error(
          `${name}: HealthcareService/${service.id} references ${ref.reference ?? 'an endpoint without a reference'}, which is not in the bundle`,
        );
      }
    }
  }
  return {
    schedulingEndpoints(query) {
      // Prefer the service itself (a snapshot can hold it); else its organisation, as DoS Search answers.
      const service = services.find((candidate) =>
        hasIdentifier(candidate.identifier, DOS_SERVICE_ID_SYSTEM, query.dosServiceId),
      );
      if (service)
        return Promise.resolve({ endpoints: endpointsOfService(bundle, service), source });
      const endpoints = endpointsOfOrganisation(bundle, query.odsCode);
      return Promise.resolve({ endpoints, source, subject: `organisation ${query.odsCode}` });
    },
  };
}

export async function loadSnapshotDirectory(file: string): Promise<Directory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the DoS snapshot ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`the DoS snapshot ${file} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return createSnapshotDirectory(value, `the DoS snapshot ${file}`);
}
