// A request's answers kept between "Continue" and "Send request" (the NHS.UK check-answers
// pattern), under an unguessable id, for a short while: no session or JavaScript needed, and any
// instance of the server can serve the next step. The Redis adapter keeps them.

/** The form's fields as posted: name → value. */
export type DraftAnswers = Record<string, string>;

export type Draft =
  | { state: 'answers'; answers: DraftAnswers }
  /** Sent already: the check page then leads to the request (back and refresh are safe). */
  | { state: 'sent'; requestId: string };

export interface Drafts {
  /** Keeps the answers, and answers the draft's id. */
  save(answers: DraftAnswers): Promise<string>;
  load(id: string): Promise<Draft | undefined>;
  /** The draft became this request: its answers are dropped, the link to the request kept. */
  markSent(id: string, requestId: string): Promise<void>;
}
