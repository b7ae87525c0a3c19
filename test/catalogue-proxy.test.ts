import { http, HttpResponse } from 'msw';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCatalogueClient,
  targetIdentifier,
} from '../src/adapters/bars-proxy/proxy-client.ts';
import { proxyNotFound, statement } from './catalogue-fixtures.ts';
import { apimCredentialsFromConfig } from '../src/wiring/apim-credentials.ts';
import { ConfigError } from '../src/domain/errors.ts';
import { useMsw } from './support/msw.ts';

const BASE = 'https://int.api.service.nhs.uk/booking-and-referral/FHIR/R4';
const TOKEN_URL = 'https://int.api.service.nhs.uk/oauth2/token';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const server = useMsw();

let clock = new Date('2027-03-15T10:00:00Z');
const now = () => clock;
const tokenOnly = apimCredentialsFromConfig({ accessToken: 'secret-access-token' }, now);

function client(credentials = tokenOnly) {
  return createCatalogueClient({ baseUrl: BASE, environment: 'INT', credentials }, now);
}

/** The proxy answers /metadata with the statement; the headers of every request it had, in order. */
function statementAnswered(): Headers[] {
  const seen: Headers[] = [];
  server.use(
    http.get(`${BASE}/metadata`, ({ request }) => {
      seen.push(request.headers);
      return HttpResponse.json(statement);
    }),
  );
  return seen;
}

describe('asking the BaRS proxy', () => {
  it('sends the target identifier, fresh request ids and the credentials to /metadata', async () => {
    const seen = statementAnswered();
    const answer = await client().lookup('2000072489', 'b5b0e2a4-6c1c-4d8f-9b1e-0c7f3f5a9e11');
    expect(answer).toMatchObject({
      kind: 'live',
      statement: { software: { name: 'Example receiver' } },
    });
    const headers = seen[0]!;
    expect(
      JSON.parse(Buffer.from(headers.get('nhsd-target-identifier')!, 'base64').toString()),
    ).toEqual({
      system: 'https://fhir.nhs.uk/Id/dos-service-id',
      value: '2000072489',
    });
    expect(headers.get('nhsd-target-identifier')).toBe(targetIdentifier('2000072489'));
    expect(headers.get('x-request-id')).toMatch(UUID);
    expect(headers.get('x-correlation-id')).toBe('b5b0e2a4-6c1c-4d8f-9b1e-0c7f3f5a9e11');
    expect(headers.get('authorization')).toBe('Bearer secret-access-token');
    await client().lookup('2000072489');
    expect(seen[1]!.get('x-request-id')).not.toBe(headers.get('x-request-id'));
    expect(seen[1]!.get('x-correlation-id')).toMatch(UUID);
  });

  it.each([
    ['404 PROXY_NOT_FOUND', () => proxyNotFound(), { kind: 'absent' }],
    [
      '429 with Retry-After',
      () => new HttpResponse(null, { status: 429, headers: { 'Retry-After': '120' } }),
      { kind: 'throttled', retryAfterMs: 120_000 },
    ],
    [
      '429 without Retry-After',
      () => new HttpResponse(null, { status: 429 }),
      { kind: 'throttled', retryAfterMs: 60_000 },
    ],
    [
      'a 404 that is not the proxy saying "not in the catalogue"',
      () => HttpResponse.json({ resourceType: 'OperationOutcome', issue: [] }, { status: 404 }),
      { kind: 'unavailable', detail: 'HTTP 404', reachable: true },
    ],
    [
      '500',
      () => HttpResponse.json({}, { status: 500 }),
      { kind: 'unavailable', detail: 'HTTP 500', reachable: true },
    ],
    [
      '200 that is not a CapabilityStatement',
      () => HttpResponse.json({ resourceType: 'Bundle' }),
      { kind: 'unavailable', reachable: true },
    ],
    ['garbage', () => new HttpResponse('<html>', { status: 200 }), { kind: 'unavailable' }],
    ['a network failure', () => HttpResponse.error(), { kind: 'unavailable', reachable: false }],
  ])('classifies %s', async (_name, respond, expected) => {
    server.use(http.get(`${BASE}/metadata`, respond));
    expect(await client().lookup('2000072489')).toMatchObject(expected);
  });
});

describe('API-M credentials', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const apim = {
    apiKey: 'the-api-key',
    keyId: 'test-1',
    tokenUrl: TOKEN_URL,
    privateKeyFile: 'keys/test-1.pem',
  };

  it('swaps a signed JWT for a token, and reuses it until it is about to expire', async () => {
    const assertions: string[] = [];
    let issued = 0;
    server.use(
      http.post(TOKEN_URL, async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        expect(form.get('grant_type')).toBe('client_credentials');
        expect(form.get('client_assertion_type')).toBe(
          'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        );
        assertions.push(form.get('client_assertion')!);
        issued += 1;
        return HttpResponse.json({
          access_token: `token-${issued}`,
          expires_in: '599',
          token_type: 'Bearer',
        });
      }),
      http.get(`${BASE}/metadata`, ({ request }) =>
        request.headers.get('authorization') === `Bearer token-${issued}`
          ? HttpResponse.json(statement)
          : HttpResponse.json({}, { status: 401 }),
      ),
    );
    const credentials = apimCredentialsFromConfig(apim, now, () => pem);
    expect(credentials.kind).toBe('signed JWT (key id test-1)');
    const proxy = client(credentials);
    expect((await Promise.all([proxy.lookup('1'), proxy.lookup('2')])).map((a) => a.kind)).toEqual([
      'live',
      'live',
    ]);
    expect(issued).toBe(1);

    const [header, claims, signature] = assertions[0]!.split('.') as [string, string, string];
    const decode = (part: string): unknown =>
      JSON.parse(Buffer.from(part, 'base64url').toString()) as unknown;
    expect(decode(header)).toEqual({ alg: 'RS512', typ: 'JWT', kid: 'test-1' });
    expect(decode(claims)).toMatchObject({
      iss: 'the-api-key',
      sub: 'the-api-key',
      aud: TOKEN_URL,
      jti: expect.stringMatching(UUID) as unknown,
      exp: clock.getTime() / 1000 + 240,
    });
    expect(
      verify(
        'sha512',
        Buffer.from(`${header}.${claims}`),
        publicKey,
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);

    clock = new Date(clock.getTime() + 9 * 60_000);
    await proxy.lookup('3');
    expect(issued).toBe(1);
    clock = new Date(clock.getTime() + 60_000);
    expect((await proxy.lookup('4')).kind).toBe('live');
    expect(issued).toBe(2);
  });

  it('turns a refused token request into "try later", without the assertion in the message', async () => {
    server.use(
      http.post(TOKEN_URL, () => HttpResponse.json({ error: 'invalid_client' }, { status: 401 })),
    );
    const answer = await client(apimCredentialsFromConfig(apim, now, () => pem)).lookup('1');
    expect(answer).toEqual({
      kind: 'unavailable',
      detail: 'the API-M token endpoint answered HTTP 401',
      reachable: false,
    });
  });

  it('stops the start, naming the variables, when the JWT flow is half configured', () => {
    expect(() => apimCredentialsFromConfig({ keyId: 'k1' }, now)).toThrow(ConfigError);
    expect(() => apimCredentialsFromConfig({ keyId: 'k1' }, now)).toThrow(
      /^APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_TOKEN_URL must be set too/,
    );
    expect(() => apimCredentialsFromConfig(apim, now, () => 'not a key')).toThrow(
      /^APIM_PRIVATE_KEY_FILE cannot be used/,
    );
    expect(apimCredentialsFromConfig({}, now).kind).toBe('none');
  });

  it('refuses an API key on its own: the BaRS proxy and DoS Search answer it 401', () => {
    expect(() => apimCredentialsFromConfig({ apiKey: 'k' }, now)).toThrow(ConfigError);
    expect(() => apimCredentialsFromConfig({ apiKey: 'k' }, now)).toThrow(
      /^APIM_API_KEY alone is refused by the DoS Search API and the BaRS proxy \(401\): the signed-JWT flow needs APIM_API_KEY, APIM_PRIVATE_KEY_FILE, APIM_KEY_ID and APIM_TOKEN_URL \(or set APIM_ACCESS_TOKEN instead\)$/,
    );
    // An access token makes the key irrelevant; the key with the other three is the JWT flow.
    expect(apimCredentialsFromConfig({ apiKey: 'k', accessToken: 't' }, now).kind).toBe(
      'access token',
    );
  });

  it('sends the proxy a bearer token and never an apikey header', async () => {
    const seen = statementAnswered();
    await client().lookup('2000072489');
    expect(seen[0]!.get('authorization')).toBe('Bearer secret-access-token');
    expect(seen[0]!.has('apikey')).toBe(false);
  });
});
