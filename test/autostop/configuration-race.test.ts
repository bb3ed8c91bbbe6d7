/**
 * AutoStop's configuration row is read-modify-written by two writers: POST /api/AutoStop (a new body) and a sync run
 * (remembering a resource group it put an alert in). Interleaved at the save, neither change is lost.
 */
import { describe, expect, it } from "vitest";
import { updateConfiguration } from "../../src/autostop/configurationUpdate";
import type { AutoStopConfiguration } from "../../src/autostop/autoStopStore";
import { MemoryAutoStopStore } from "../twins/memoryAutoStopStore";

const base: AutoStopConfiguration = {
  name: "default", enabled: true, scopes: { subscriptions: [], resourceGroups: [{ subscriptionId: "s", resourceGroup: "rg-a" }], vms: [], exclusions: [] },
  condition: { metricName: "Percentage CPU", operator: "LessThan", threshold: 5, timeAggregation: "Average", windowSize: "PT30M", evaluationFrequency: "PT5M", severity: 4, description: "idle" },
  alertResourceGroups: ["s/rg-a"], updatedAt: new Date("2026-11-23T19:00:00Z"),
};

const rememberGroup = (store: MemoryAutoStopStore, group: string) =>
  updateConfiguration(store, "default", (current) => current && { ...current, alertResourceGroups: [...new Set([...current.alertResourceGroups, group])].sort() });

describe("AutoStop configuration, etag-checked", () => {
  it("a resource group a sync run remembers while a new AutoStop body is saved is not lost (so its alert can still be deleted)", async () => {
    const store = new MemoryAutoStopStore();
    await updateConfiguration(store, "default", () => base);
    // The POST read the row; before its save lands, a running sync remembers rg-b.
    store.interleaveBeforeSave = async () => void (await rememberGroup(store, "s/rg-b"));
    await updateConfiguration(store, "default", (previous) => ({ ...base, enabled: false, alertResourceGroups: previous?.alertResourceGroups ?? [] }));
    const saved = (await store.getConfiguration("default"))!;
    expect(saved.enabled).toBe(false);
    expect(saved.alertResourceGroups).toEqual(["s/rg-a", "s/rg-b"]);
  });

  it("a save without the etag it read is refused, never a blind overwrite", async () => {
    const store = new MemoryAutoStopStore();
    expect(await store.saveConfiguration(base)).toBe(true);
    expect(await store.saveConfiguration({ ...base, enabled: false })).toBe(false);
    const read = (await store.getConfiguration("default"))!;
    expect(await store.saveConfiguration({ ...read, enabled: false })).toBe(true);
    expect(await store.saveConfiguration({ ...read, enabled: true })).toBe(false); // stale etag
  });
});
