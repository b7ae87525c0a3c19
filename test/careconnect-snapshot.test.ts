// The snapshot directory on the shipped config/directory.json, and how it refuses a broken file.
import type { Bundle } from 'fhir/r4.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCareConnect } from '../src/use-cases/check-careconnect.ts';
import type { Directory } from '../src/ports/directory.ts';
import {
  createSnapshotDirectory,
  loadSnapshotDirectory,
} from '../src/adapters/dos-search/snapshot-directory.ts';

const SNAPSHOT = 'config/directory.json';

describe('the DoS snapshot (config/directory.json)', () => {
  let directory: Directory;
  beforeAll(async () => {
    directory = await loadSnapshotDirectory(SNAPSHOT);
  });

  it.each([
    ['2000072489', 'Y02494', 'careconnect', 'ASID:918999198993'],
    ['2000011147', 'A20047', 'gpconnect', 'ODS:A20047'],
    ['1374839566', 'RR8', 'missing', undefined],
    ['2000099001', 'Y09001', 'malformed', '918999198994'],
    ['2000099002', 'Y09002', 'malformed', 'ASID:918999198995'],
    ['2000099003', 'Y09003', 'malformed', 'ASID:918999198996'],
    ['2000099004', 'Y09004', 'careconnect', 'ASID:918999198997'],
    ['2000099005', 'Y09005', 'malformed', '918999198999'],
  ])('finds service %s (%s) %s %s', async (dosServiceId, odsCode, status, address) => {
    for (const environment of ['INT', 'PROD'] as const) {
      const finding = await checkCareConnect(directory, { dosServiceId, odsCode, environment });
      expect(finding.status).toBe(status);
      expect(finding.address).toBe(address);
      expect(finding.detail).toContain(`(DoS snapshot)`);
    }
  });

  it('says why each malformed service is malformed', async () => {
    const detail = async (dosServiceId: string, odsCode: string) =>
      (await checkCareConnect(directory, { dosServiceId, odsCode, environment: 'INT' })).detail;
    expect(await detail('2000099001', 'Y09001')).toMatch(/without the ASID: or ODS: prefix/);
    expect(await detail('2000099002', 'Y09002')).toMatch(/with status 'off', not active/);
    expect(await detail('2000099003', 'Y09003')).toMatch(/as a copy recipient/);
    expect(await detail('2000099005', 'Y09005')).toMatch(
      /2 scheduling endpoints and none would work: '918999198999' without the ASID: or ODS: prefix; 'ASID:918999199000' as a copy recipient/,
    );
  });

  it('lists every CareConnect endpoint of a service with two', async () => {
    const finding = await checkCareConnect(directory, {
      dosServiceId: '2000099004',
      odsCode: 'Y09004',
      environment: 'INT',
    });
    expect(finding.detail).toBe(
      `DoS has 2 CareConnect scheduling endpoints, ASID:918999198997 and ASID:918999198998 (DoS snapshot).`,
    );
  });

  it('falls back to the organisation’s endpoints when the service is not in the snapshot', async () => {
    const finding = await checkCareConnect(directory, {
      dosServiceId: '2000000001',
      odsCode: 'Y02494',
      environment: 'INT',
    });
    expect(finding).toMatchObject({ status: 'careconnect', address: 'ASID:918999198993' });
    // The organisation's referral (ITK) endpoint is not a booking one.
    expect(finding.detail).toBe(
      `DoS has a CareConnect scheduling endpoint ASID:918999198993 for organisation Y02494 (DoS snapshot).`,
    );
  });

  it('calls a service and organisation it does not know missing', async () => {
    const finding = await checkCareConnect(directory, {
      dosServiceId: '2000000002',
      odsCode: 'ZZZ99',
      environment: 'INT',
    });
    expect(finding.status).toBe('missing');
  });

  it('waives a missing configuration with a reason, as for the live directory', async () => {
    const finding = await checkCareConnect(
      directory,
      { dosServiceId: '1374839566', odsCode: 'RR8', environment: 'PROD' },
      'ED does not take direct bookings',
    );
    expect(finding.status).toBe('waived');
    expect(finding.detail).toMatch(/Waived by the requester: "ED does not take direct bookings"/);
  });

  it('is a FHIR R4 collection Bundle of DoS resources, its Endpoints as DoS Search writes them', async () => {
    const bundle = JSON.parse(await readFile(SNAPSHOT, 'utf8')) as Bundle;
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    const types = new Set(bundle.entry?.map((entry) => entry.resource?.resourceType));
    expect([...types].sort()).toEqual(['Endpoint', 'HealthcareService', 'Organization']);
    const endpoints = (bundle.entry ?? []).flatMap((entry) =>
      entry.resource?.resourceType === 'Endpoint' ? [entry.resource] : [],
    );
    expect(endpoints.filter((endpoint) => endpoint.connectionType.code === 'itk')).toHaveLength(1);
    for (const endpoint of endpoints) {
      // endpoint_mapper.py: one system for every payloadType; DoS's format "FHIR" is application/fhir.
      expect(endpoint.payloadType[0]?.coding?.[0]?.system).toBe(
        'http://hl7.org/fhir/ValueSet/endpoint-payload-type',
      );
      expect(endpoint.connectionType.system).toBe(
        'https://fhir.nhs.uk/England/CodeSystem/England-EndpointConnection',
      );
      expect(endpoint.managingOrganization?.reference).toMatch(/^Organization\//);
      const extensions = (endpoint.extension ?? []).map((ext) => ext.url.split('/').pop());
      expect(extensions.sort()).toEqual([
        'Extension-England-EndpointBusinessScenario',
        'Extension-England-EndpointCompression',
        'Extension-England-OrganizationEndpointOrder',
      ]);
      if (endpoint.connectionType.code === 'itk') continue;
      expect(endpoint).toMatchObject({
        connectionType: { code: 'http' },
        payloadType: [{ coding: [{ code: 'scheduling' }] }],
        payloadMimeType: ['application/fhir'],
      });
    }
  });
});

describe('a snapshot that is not a DoS Bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecat-snapshot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses another resource type, naming the problem', () => {
    expect(() => createSnapshotDirectory({ resourceType: 'Patient', id: 'p1' })).toThrow(
      /^the DoS snapshot is not a FHIR Bundle of DoS resources \(resourceType: .*"Bundle"/,
    );
  });

  it('refuses values that are not resources at all', () => {
    for (const value of [null, [], 'Bundle', 42]) {
      expect(() => createSnapshotDirectory(value)).toThrow(/not a FHIR Bundle/);
    }
  });

  it('refuses an Endpoint without an address, saying where', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: { resourceType: 'Endpoint', id: 'e1', status: 'active' } }],
    };
    expect(() => createSnapshotDirectory(bundle, 'test snapshot')).toThrow(
      /^test snapshot is not a FHIR Bundle of DoS resources \(entry\[0\]\.resource\.address: /,
    );
  });

  it('refuses a service whose endpoint reference does not resolve in the bundle', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        {
          resource: {
            resourceType: 'HealthcareService',
            id: 'hs-1',
            endpoint: [{ reference: 'Endpoint/absent' }],
          },
        },
      ],
    };
    expect(() => createSnapshotDirectory(bundle)).toThrow(
      /HealthcareService\/hs-1 references Endpoint\/absent, which is not in the bundle/,
    );
  });

  it('names the file when it is not JSON, or not there', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{"resourceType": "Bundle",');
    await expect(loadSnapshotDirectory(file)).rejects.toThrow(
      `the DoS snapshot ${file} is not JSON`,
    );
    await expect(loadSnapshotDirectory(join(dir, 'absent.json'))).rejects.toThrow(
      /cannot read the DoS snapshot .*absent\.json/,
    );
  });

  it('names the file when it holds JSON that is not a Bundle', async () => {
    const file = join(dir, 'patient.json');
    await writeFile(file, JSON.stringify({ resourceType: 'Patient' }));
    await expect(loadSnapshotDirectory(file)).rejects.toThrow(
      `the DoS snapshot ${file} is not a FHIR Bundle`,
    );
  });
});
