/**
 * What the eviction watcher remembers per VM: the last time it found the VM deallocated although it should run, what
 * Azure said about it, and the restart it asked for (adapter: src/adapters/tableEvictionStore.ts; in-memory twin in
 * test/twins/).
 */
import type { EvictionVerdict } from "./evictionVerdict";

export interface EvictionRecord {
  vmKey: string;
  subscriptionId: string;
  /** The request whose "running" the VM lost; a later start makes a new record. */
  desiredRequestId: string;
  detectedAt: Date;
  verdict: EvictionVerdict["kind"];
  /** When Azure took the VM back, or when the caller stopped it. */
  at?: Date;
  /** Resource Health's reason, the caller who stopped it, or why nothing could be told. */
  detail: string;
  source?: string;
  /** The start request that restarts the VM (only for evictions, when asked to). */
  restartRequestId?: string;
  recoveredAt?: Date;
}

export interface EvictionStore {
  get(vmKey: string): Promise<EvictionRecord | undefined>;
  save(record: EvictionRecord): Promise<void>;
  /** Evictions whose restart was asked for and not seen running yet. */
  listAwaitingRecovery(): Promise<EvictionRecord[]>;
}
