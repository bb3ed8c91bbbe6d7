/**
 * Why is a VM that should be running deallocated? Read from what Azure recorded about it (Activity Log, Resource
 * Health): the platform took a Spot VM back (an eviction: restart it if asked to), or a person or pipeline stopped it
 * (leave it alone: they meant it), or nothing says (leave it alone and say so). Pure.
 */

/** One Activity Log record, as much of it as the verdict needs. */
export interface VmActivity {
  time: Date;
  category: "Administrative" | "ResourceHealth" | string;
  operationName: string;
  /** Administrative: who asked. */
  caller?: string;
  status?: string;
  /** ResourceHealth: `cause` (PlatformInitiated / UserInitiated), `title`, `details`. */
  properties?: Record<string, string>;
}

export type EvictionVerdict =
  | { kind: "evicted"; at: Date; reason: string; source: "ResourceHealth" }
  | { kind: "stoppedByCaller"; at: Date; caller: string; operation: string }
  | { kind: "unknown"; reason: string };

const STOPPING_OPERATIONS = /^microsoft\.compute\/virtualmachines\/(deallocate|poweroff)\/action$/i;

/** The latest record that explains the VM's stop, after `since` (when its desired state became "running"). */
export function explainStop(records: readonly VmActivity[], since: Date): EvictionVerdict {
  const relevant = records
    .filter((r) => r.time.getTime() >= since.getTime())
    .sort((a, b) => b.time.getTime() - a.time.getTime());
  for (const r of relevant) {
    if (r.category === "ResourceHealth" && r.properties?.cause?.toLowerCase() === "platforminitiated") {
      return { kind: "evicted", at: r.time, reason: r.properties.title || r.properties.details || "platform initiated", source: "ResourceHealth" };
    }
    if (r.category === "Administrative" && STOPPING_OPERATIONS.test(r.operationName) && r.status !== "Failed") {
      return { kind: "stoppedByCaller", at: r.time, caller: r.caller ?? "an unknown caller", operation: r.operationName };
    }
  }
  return { kind: "unknown", reason: `no eviction and no stop by a caller recorded since ${since.toISOString()}` };
}
