import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRealIsoDate } from '../src/domain/dates.ts';
import { parseConfigurationRequest } from '../src/domain/request/schema.ts';

// FC_SEED=<n> replays a run; the seed is printed either way.
const seed = Number(process.env.FC_SEED ?? 20261124);
console.log(`request property seed: ${seed} (set FC_SEED to change it)`);

const text = fc.oneof(
  fc.string(),
  fc.string().map((s) => `${s}\r\n${s}`),
  fc.constantFrom('', ' ', '\n', '\r', 'Bcc: x@y.z', '2000072489', 'INT', 'prod'),
);
const date = fc.oneof(
  fc
    .tuple(
      fc.integer({ min: 1990, max: 2100 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
    )
    .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
  text,
);
const endpoint = fc.oneof(
  fc.webUrl({
    validSchemes: ['https', 'http', 'ftp'],
    withFragments: true,
    withQueryParameters: true,
  }),
  fc.domain().map((host) => `https://${host}.nhs.uk/fhir`),
  text,
);
const anything = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.object());

const request = fc.record(
  {
    dosServiceId: fc.oneof(text, fc.integer(), fc.stringMatching(/^\d{1,12}$/)),
    environment: fc.oneof(fc.constantFrom('INT', 'PROD', 'prod', 'Integration'), text),
    endpoint,
    odsCode: fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{1,14}$/), text),
    serviceName: text,
    supplier: text,
    testDates: fc.oneof(fc.record({ from: date, to: date }, { requiredKeys: ['from'] }), anything),
    tccReference: text,
    requester: fc.oneof(
      fc.record(
        { name: text, email: fc.oneof(fc.emailAddress(), text), phone: text },
        { requiredKeys: ['name', 'email'] },
      ),
      anything,
    ),
    notes: text,
    careConnectWaiver: text,
    extra: anything,
  },
  { requiredKeys: [] },
);

function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) =>
      strings(inner, path ? `${path}.${key}` : key),
    );
  }
  return [];
}

describe('the request schema under generated input', () => {
  it('never throws, and never accepts CR/LF outside notes, a non-https endpoint or an impossible date', () => {
    fc.assert(
      fc.property(fc.oneof(request, anything), (input) => {
        const result = parseConfigurationRequest(input);
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const error of result.errors) expect(typeof error.message).toBe('string');
          return;
        }
        const accepted = result.request;
        for (const [path, value] of strings(accepted)) {
          // eslint-disable-next-line no-control-regex -- looking for control characters is the point
          if (path !== 'notes') expect(value).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        }
        const url = new URL(accepted.endpoint);
        // Stored as parsed and written back out, so every reader sees the same URL.
        expect(accepted.endpoint).toBe(url.href);
        expect(url.protocol).toBe('https:');
        expect(url.hostname === 'nhs.uk' || url.hostname.endsWith('.nhs.uk')).toBe(true);
        expect(url.username + url.password).toBe('');
        if (accepted.testDates) {
          expect(isRealIsoDate(accepted.testDates.from)).toBe(true);
          if (accepted.testDates.to) {
            expect(isRealIsoDate(accepted.testDates.to)).toBe(true);
            expect(accepted.testDates.to >= accepted.testDates.from).toBe(true);
          }
        }
        expect(accepted.dosServiceId).toMatch(/^[1-9]\d{0,9}$/);
        expect(accepted.odsCode).toMatch(/^[A-Z0-9]{3,12}$/);
      }),
      { seed, numRuns: 3000 },
    );
  });

  it('accepts well-formed requests that it generates itself', () => {
    const valid = fc.record({
      dosServiceId: fc.stringMatching(/^[1-9]\d{0,9}$/),
      environment: fc.constantFrom('INT', 'PROD'),
      endpoint: fc.constantFrom(
        'https://BaRS-INT-Y02494.s.thirdparty.nhs.uk/fhir',
        'https://x.nhs.uk/',
      ),
      odsCode: fc.stringMatching(/^[A-Z0-9]{3,12}$/),
      requester: fc.record({
        name: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}$/),
        email: fc.constant('a.b@nhs.net'),
      }),
    });
    fc.assert(
      fc.property(valid, (input) => {
        expect(parseConfigurationRequest(input).ok).toBe(true);
      }),
      { seed, numRuns: 500 },
    );
  });
});
