// A request by what a person or program has in hand: its id (req-…), or the short reference
// people quote (ECAT-7K2QX9, typed in any case). The pages, the API and the search box use it.
import { normaliseReference } from '../domain/request/reference.ts';
import type { RequestRecord } from '../domain/request/record.ts';
import type { RequestStore } from '../ports/request-store.ts';

const REQUEST_ID = /^req-[0-9a-f-]{36}$/;

export async function findRequest(
  store: RequestStore,
  idOrReference: string,
): Promise<RequestRecord | undefined> {
  const reference = normaliseReference(idOrReference);
  if (reference) return store.findByReference(reference);
  return REQUEST_ID.test(idOrReference) ? store.get(idOrReference) : undefined;
}
