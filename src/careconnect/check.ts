// The CareConnect check: asks the directory, classifies, and applies what the request says about
// it (a waiver). "Could not ask" is `unverified`, never `missing` (DOMAIN.md).
import { classifySchedulingEndpoints } from './classify.ts';
import { DirectoryUnavailableError, type Directory, type DirectoryQuery } from './directory.ts';
import { isRefusingFinding, type CareConnectFinding } from './finding.ts';

export async function checkCareConnect(
  directory: Directory,
  query: DirectoryQuery,
  waiver?: string,
): Promise<CareConnectFinding> {
  let finding: CareConnectFinding;
  try {
    const lookup = await directory.schedulingEndpoints(query);
    finding = classifySchedulingEndpoints(lookup.endpoints, lookup.source);
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    return {
      status: 'unverified',
      detail: `The directory could not be reached (${error.message}); CareConnect will be checked again before the email is sent.`,
    };
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
