// A request's answers kept between "Continue" and "Send request" (the NHS.UK check-answers
// pattern), under an unguessable id, for a short while: no session or JavaScript needed, and any
// instance of the server can serve the next step. The Redis adapter keeps them.

import type { AssessedRequest } from '../domain/request/record.ts';

/** Long enough to check the answers and fetch a missing detail; short enough to hold nothing. */
export const DRAFT_LIFETIME_MS = 60 * 60_000;

/** The form's fields as posted: name → value. */
export type DraftAnswers = Record<string, string>;

export type Draft =
  /** The answers, and what their assessment at Continue found (the check page shows it). */
  | { state: 'answers'; answers: DraftAnswers; assessed: AssessedRequest }
  /** Sent already: the check page then leads to the request (back and refresh are safe). */
  | { state: 'sent'; requestId: string };

export interface Drafts {
  /** Keeps the answers with their assessment, and answers the draft's id. */
  save(answers: DraftAnswers, assessed: AssessedRequest): Promise<string>;
  load(id: string): Promise<Draft | undefined>;
  /** The draft became this request: its answers are dropped, the link to the request kept. */
  markSent(id: string, requestId: string): Promise<void>;
}
