// The CareConnect finding: what DoS says about the service's booking (scheduling) endpoints.
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
  /**
   * The scheduling endpoint's address as found in DoS (`ASID:…` or `ODS:…`), when there is one;
   * with several, the first in DoS's order (the detail lists them all).
   */
  address?: string;
  /** One sentence a DoS lead or a BaRS engineer can act on. */
  detail: string;
  /**
   * Only on `unverified`: asking the directory again cannot change it (CONTRACT.md: "it cannot
   * answer for this request … then final, with no re-check"), so the worker sends without asking.
   */
  final?: true;
}

/** Findings that refuse a request unless the requester gives a `careConnectWaiver`. */
export function isRefusingFinding(finding: CareConnectFinding): boolean {
  return finding.status === 'missing' || finding.status === 'malformed';
}

/** An `unverified` finding the worker checks again before it emails (the directory was down). */
export function needsRecheck(finding: CareConnectFinding): boolean {
  return finding.status === 'unverified' && finding.final !== true;
}
