// What the follow-up sweeps remember between runs, shared by every worker: one sweep at a time,
// and the catalogue check's pacing (when each request was last asked about, and an environment
// paused at the proxy's request). The Redis adapter (adapters/redis/follow-up-state.ts) keeps it.

export interface FollowUpState {
  /** Runs `work` holding the sweep's lock, or answers undefined at once when another holds it. */
  withSweepLock<T>(sweep: string, ttlMs: number, work: () => Promise<T>): Promise<T | undefined>;
  /** Request id → when the BaRS proxy was last asked about it (ISO instant). */
  catalogueCheckTimes(): Promise<Record<string, string>>;
  markCatalogueChecked(requestId: string, at: Date): Promise<void>;
  forgetCatalogueChecks(requestIds: readonly string[]): Promise<void>;
  /** Whether the proxy of this environment asked us to wait (429 Retry-After) and the wait runs. */
  isCataloguePaused(environment: string): Promise<boolean>;
  pauseCatalogue(environment: string, forMs: number): Promise<void>;
}
