// The CareConnect check: asks the directory, classifies, and applies what the request says about
// it (a waiver). "Could not ask" is `unverified`, never `missing` (DOMAIN.md); "cannot ask for
// this request" is `unverified` and final, so nobody holds the email back waiting for it.
import { classifySchedulingEndpoints } from '../domain/careconnect/classify.ts';
import {
  DirectoryCannotAnswerError,
  DirectoryUnavailableError,
  type Directory,
  type DirectoryQuery,
} from '../ports/directory.ts';
import { isRefusingFinding, type CareConnectFinding } from '../domain/careconnect/finding.ts';

const CHECKED_AGAIN = 'CareConnect will be checked again before the email is sent.';

function unverified(error: unknown): CareConnectFinding | undefined {
  if (error instanceof DirectoryCannotAnswerError) {
    return { status: 'unverified', final: true, detail: error.message };
  }
  if (!(error instanceof DirectoryUnavailableError)) return undefined;
  const detail =
    error.reason === 'credentials'
      ? `The directory refused ecat's API-M credentials (${error.message}); ${CHECKED_AGAIN} Whoever runs ecat should check its API-M application's access to DoS Search.`
      : `The directory could not be reached (${error.message}); ${CHECKED_AGAIN}`;
  return { status: 'unverified', detail };
}

export async function checkCareConnect(
  directory: Directory,
  query: DirectoryQuery,
  waiver?: string,
): Promise<CareConnectFinding> {
  let finding: CareConnectFinding;
  try {
    const lookup = await directory.schedulingEndpoints(query);
    finding = classifySchedulingEndpoints(lookup.endpoints, lookup.source, lookup.subject);
  } catch (error) {
    const notChecked = unverified(error);
    if (notChecked === undefined) throw error;
    return notChecked;
  }
  if (waiver !== undefined && isRefusingFinding(finding)) {
    return {
      status: 'waived',
      ...(finding.address === undefined ? {} : { address: finding.address }),
      detail: `${finding.detail} Waived by the requester: "${waiver}".`,
    };
  }
  return finding;
}
