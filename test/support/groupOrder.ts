/** Checks on sequenced runs, computed from the simulator's own request log and VM histories. */
import type { SimRequest, SimVm } from "../../src/local/world";

/**
 * For each pair of consecutive groups: the first power call to a VM of group k+1 must come after the
 * last VM of group k reached the target state. Returns the gaps in simulated milliseconds.
 */
export function gapsBetweenGroups(groups: string[][], vms: SimVm[], log: SimRequest[], operation: "start" | "deallocate"): number[] {
  const target = operation === "start" ? "running" : "deallocated";
  const byName = new Map(vms.map((v) => [v.name, v]));
  const calls = log.filter((r) => r.operation === operation && r.status < 300);
  const gaps: number[] = [];
  for (let k = 0; k + 1 < groups.length; k++) {
    const reached = groups[k]!.map((name) => {
      const entries = byName.get(name)!.history.filter((h) => h.powerState === target);
      if (entries.length === 0) throw new Error(`${name} never reached ${target}`);
      return Date.parse(entries[entries.length - 1]!.time);
    });
    const nextIds = new Set(groups[k + 1]!.map((name) => byName.get(name)!.id.toLowerCase()));
    const nextCalls = calls.filter((c) => nextIds.has(c.vmId!.toLowerCase()));
    // No call at all would make the gap infinite and the check pass vacuously.
    if (nextCalls.length === 0) throw new Error(`no ${operation} call reached group ${k + 1} (${groups[k + 1]![0]}, …)`);
    const firstCall = Math.min(...nextCalls.map((c) => Date.parse(c.time)));
    gaps.push(firstCall - Math.max(...reached));
  }
  return gaps;
}

export function callsPerVm(log: SimRequest[], operation: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of log) if (r.operation === operation && r.status < 300) counts.set(r.vmId!.toLowerCase(), (counts.get(r.vmId!.toLowerCase()) ?? 0) + 1);
  return counts;
}
