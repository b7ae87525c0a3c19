// The CareConnect finding: what DoS says about the service's booking (scheduling) endpoint.
// Status names are fixed by CONTRACT.md ("The CareConnect finding").

export const CARECONNECT_STATUSES = [
  'careconnect',
  'gpconnect',
  'missing',
  'malformed',
  'unverified',
  'waived',
] as const;
export type CareConnectStatus = (typeof CARECONNECT_STATUSES)[number];

export interface CareConnectFinding {
  status: CareConnectStatus;
  /** The scheduling endpoint's address as found in DoS (`ASID:…` or `ODS:…`), when there is one. */
  address?: string;
  /** One sentence a DoS lead or a BaRS engineer can act on. */
  detail: string;
}

/** Findings that refuse a request unless the requester gives a `careConnectWaiver`. */
export function isRefusingFinding(finding: CareConnectFinding): boolean {
  return finding.status === 'missing' || finding.status === 'malformed';
}
