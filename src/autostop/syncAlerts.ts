/**
 * One AutoStop sync run: read the VMs in scope and this configuration's alerts, then create, update and delete alerts
 * until they match, each write paced to ARM's write bucket and retried while transient. A run is idempotent: a
 * redelivered message lists again and finds nothing left to do, so a crash never leaves a half-done sync behind.
 */
import { updateConfiguration } from "./configurationUpdate";
import { randomUUID } from "node:crypto";
import { isArmRequestError, type ArmFailure } from "../domain/armError";
import { decideRetry } from "../domain/retryPolicy";
import { isTerminalRunState } from "./runStates";
import { expandScopes, type Expansion } from "../engine/expandScopes";
import { mapWithConcurrency } from "../engine/concurrency";
import { alertId, isManagedBy, type MetricAlert } from "./alertRule";
import { planAlertSync, type AlertChange } from "./syncPlan";
import type { AlertOutcome, AlertOutcomeKind, AutoStopConfiguration, AutoStopRun } from "./autoStopStore";
import type { AutoStopDeps } from "./autoStopDeps";

const WRITE_CONCURRENCY = 8;
const LIST_CONCURRENCY = 4;

/** Stores the run and asks the executor to do it; the caller answers with where to follow it. */
export async function startSync(deps: AutoStopDeps, configuration: AutoStopConfiguration, trigger: AutoStopRun["trigger"]): Promise<AutoStopRun> {
  const now = deps.clock.now();
  const run: AutoStopRun = {
    runId: randomUUID(), configuration, trigger, state: "Accepted", createdAt: now,
    deadline: new Date(now.getTime() + deps.settings.runDeadlineMinutes * 60_000),
  };
  await deps.store.createRun(run);
  await deps.queue.send({ runId: run.runId });
  return run;
}

/** The executor's work for one message. Throws only when storage fails (the queue retries the message). */
export async function runSync(deps: AutoStopDeps, runId: string): Promise<void> {
  let run = await deps.store.getRun(runId);
  if (!run || isTerminalRunState(run.state)) return;
  if (run.state === "Accepted") {
    await deps.store.updateRun(run, { state: "Running" });
    run = (await deps.store.getRun(runId))!;
  }
  const config = run.configuration;
  if (config.enabled) {
    const problem = await actionGroupProblem(deps, run);
    if (problem) return finish(deps, run, [], problem);
  }

  const plan = await planSync(deps, run);
  if ("failure" in plan) return finish(deps, run, [], plan.failure);
  if ("retryAfterSeconds" in plan) {
    // Per-VM reads ran into ARM's read bucket: come back when it has refilled (the work done is cheap to repeat).
    await deps.queue.send({ runId }, plan.retryAfterSeconds);
    return;
  }
  const { changes, found, blind, stored } = plan;

  // Remember every group an alert is about to land in before writing it: a crash must not hide an alert from later syncs.
  const landing = changes.filter((c) => c.kind === "create").map((c) => groupKey((c as { alert: MetricAlert }).alert));
  await rememberGroups(deps, config.name, [...stored.alertResourceGroups, ...landing]);

  const outcomes = await mapWithConcurrency(changes, WRITE_CONCURRENCY, (change) => apply(deps, run, change));
  for (const u of found.unreadable) {
    outcomes.push({ vmId: `/subscriptions/${u.ref.subscriptionId}/resourceGroups/${u.ref.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${u.ref.name}`, outcome: u.code === "ResourceNotFound" || u.code === "NotFound" ? "Excluded" : "Failed", detail: `could not read the VM: ${u.code}: ${u.message}`, errorCode: u.code, attempts: 0, at: deps.clock.now() });
  }
  await deps.store.writeOutcomes(runId, outcomes);

  // Shrink the remembered groups to those still holding an alert of this configuration.
  const remaining = new Set<string>();
  for (const change of changes) {
    const outcome = outcomes.find((o) => o.vmId === change.vmId && o.alertName === ("alert" in change ? change.alert.name : undefined));
    if ("alert" in change && !(change.kind === "delete" && outcome?.outcome === "Deleted")) remaining.add(groupKey(change.alert));
  }
  await rememberGroups(deps, config.name, [...remaining], true);

  const scopeNote = blind.length > 0 ? ` Alerts outside what could be read were kept: ${blind.join("; ")}.` : "";
  return finish(deps, run, outcomes, undefined, scopeNote);
}

export interface SyncPlan {
  changes: AlertChange[];
  found: Expansion;
  /** Scopes that could not be read: alerts there are kept, not taken for leftovers. */
  blind: string[];
  stored: AutoStopConfiguration;
}

/** Reads the VMs in scope and this configuration's alerts, and decides every write (WhatIf shows exactly this). */
export async function planSync(deps: AutoStopDeps, run: Pick<AutoStopRun, "runId" | "configuration" | "deadline">): Promise<SyncPlan | { failure: string } | { retryAfterSeconds: number }> {
  const config = run.configuration;
  const expansion = await withRetries(deps, run, "listing the VMs in scope", () => expandScopes(deps.compute, config.scopes));
  if ("failure" in expansion) return { failure: expansion.failure };
  if ("incomplete" in expansion.value) return { retryAfterSeconds: Math.ceil(expansion.value.retryAfterSeconds) };
  const found: Expansion = expansion.value;
  const blind = blindSpots(found);

  const stored = (await deps.store.getConfiguration(config.name)) ?? config;
  const groups = new Set([...stored.alertResourceGroups, ...found.selected.map((v) => groupKey(v.ref)), ...found.excluded.map((e) => groupKey(e.vm.ref))]);
  const listed = await listManagedAlerts(deps, run, [...groups]);
  if ("failure" in listed) return { failure: listed.failure };

  const changes = planAlertSync({
    configuration: config.name, enabled: config.enabled, condition: config.condition, managedBy: deps.settings.managedBy,
    actionGroupId: deps.settings.actionGroupId ?? "", selected: found.selected, excluded: found.excluded, existing: listed.alerts,
  }).filter((change) => !(change.kind === "delete" && blind.length > 0 && change.reason.startsWith("the VM is no longer in scope")));
  return { changes, found, blind, stored };
}

/** A scope that could not be read hides VMs: their alerts must not be taken for leftovers. */
function blindSpots(found: Expansion): string[] {
  return [
    ...found.scopeErrors.map((e) => `${e.scope} (${e.code})`),
    ...found.unreadable.filter((u) => u.code !== "ResourceNotFound" && u.code !== "NotFound").map((u) => `${u.ref.resourceGroup}/${u.ref.name} (${u.code})`),
  ];
}

async function actionGroupProblem(deps: AutoStopDeps, run: AutoStopRun): Promise<string | undefined> {
  const id = deps.settings.actionGroupId;
  if (!id) return "AutoStop is not set up: the setting AUTOSTOP_ACTION_GROUP_ID (the action group whose webhook calls AutoStopVM) is empty.";
  const read = await withRetries(deps, run, `reading the action group ${id}`, () => deps.alerts.getActionGroup(id));
  if ("failure" in read) return `${read.failure}; no alert was written.`;
  const group = read.value;
  if (!group) return `The action group ${id} (AUTOSTOP_ACTION_GROUP_ID) does not exist; alerts would notify nobody, so none was written. Redeploy the infrastructure (azd up) or fix the setting.`;
  if (!group.enabled) return `The action group ${id} is disabled; alerts would notify nobody, so none was written. Enable it.`;
  if (!group.webhooks.some((w) => w.useCommonAlertSchema && /\/api\/AutoStopVM$/i.test(w.target))) {
    return `The action group ${id} has no webhook to /api/AutoStopVM with the common alert schema on; no alert was written.`;
  }
  return undefined;
}

async function listManagedAlerts(deps: AutoStopDeps, run: Pick<AutoStopRun, "runId" | "configuration" | "deadline">, groups: string[]): Promise<{ alerts: MetricAlert[] } | { failure: string }> {
  const lists = await mapWithConcurrency(groups, LIST_CONCURRENCY, (group) => {
    const [subscriptionId, resourceGroup] = group.split("/") as [string, string];
    return withRetries(deps, run, `listing the metric alerts of ${group}`, () => deps.alerts.listInResourceGroup(subscriptionId, resourceGroup));
  });
  const failed = lists.find((l) => "failure" in l);
  if (failed && "failure" in failed) return { failure: failed.failure };
  return { alerts: lists.flatMap((l) => ("value" in l ? l.value : [])).filter((a) => isManagedBy(a, deps.settings.managedBy, run.configuration.name)) };
}

const OUTCOME_OF: Record<AlertChange["kind"], AlertOutcomeKind> = { create: "Created", update: "Updated", unchanged: "Unchanged", delete: "Deleted", excluded: "Excluded" };

async function apply(deps: AutoStopDeps, run: AutoStopRun, change: AlertChange): Promise<AlertOutcome> {
  const base = { vmId: change.vmId, alertName: "alert" in change ? change.alert.name : undefined };
  const done = (detail: string, attempts: number): AlertOutcome => ({ ...base, outcome: OUTCOME_OF[change.kind], detail, attempts, at: deps.clock.now() });
  switch (change.kind) {
    case "unchanged":
      return done("the alert already matches; nothing written", 0);
    case "excluded":
      return done(`no alert: ${change.reason}`, 0);
    default: {
      const alert = change.alert;
      const result = await withRetries(deps, run, `${change.kind === "delete" ? "deleting" : "writing"} ${alertId(alert)}`, async () => {
        await paced(deps, alert.subscriptionId);
        if (change.kind === "delete") await deps.alerts.delete(alert);
        else await deps.alerts.put(alert);
      });
      if ("failure" in result) return { ...base, outcome: "Failed", detail: result.failure, errorCode: result.code, attempts: result.attempts, at: deps.clock.now() };
      const detail = change.kind === "create" ? "created" : change.kind === "update" ? `updated: ${change.changes.join("; ")}` : `deleted: ${change.reason}`;
      return done(detail, result.attempts);
    }
  }
}

/** Waits for a token of this subscription's ARM write bucket (this process's share of it). */
async function paced(deps: AutoStopDeps, subscriptionId: string): Promise<void> {
  const key = subscriptionId.toLowerCase();
  for (;;) {
    const wait = deps.writeBuckets.waitSeconds(key, deps.clock.now().getTime());
    if (wait <= 0) break;
    await deps.clock.sleep(wait);
  }
  deps.writeBuckets.take(key, deps.clock.now().getTime());
}

type Attempted<T> = { value: T; attempts: number } | { failure: string; code: string; attempts: number };

/** One call, retried as the app's retry policy decides (throttling after Retry-After, transient with backoff) until the run's deadline. */
async function withRetries<T>(deps: AutoStopDeps, run: Pick<AutoStopRun, "runId" | "deadline">, what: string, call: () => Promise<T>): Promise<Attempted<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await call(), attempts: attempt };
    } catch (error) {
      if (!isArmRequestError(error)) throw error;
      const failure: ArmFailure = error.failure;
      const decision = decideRetry(failure, attempt, deps.clock.now(), run.deadline, deps.retry, deps.random);
      if (!decision.retry) return { failure: `${what} failed: ${decision.reason}`, code: failure.code, attempts: attempt };
      deps.log(`AutoStop run ${run.runId}: ${what} answered ${failure.code}; retrying in ${decision.afterSeconds} s`, { requestId: run.runId });
      await deps.clock.sleep(decision.afterSeconds);
    }
  }
}

async function rememberGroups(deps: AutoStopDeps, name: string, groups: string[], replace = false): Promise<void> {
  await updateConfiguration(deps.store, name, (current) => {
    if (!current) return undefined;
    const next = [...new Set(replace ? groups : [...current.alertResourceGroups, ...groups])].sort();
    if (JSON.stringify(next) === JSON.stringify([...current.alertResourceGroups].sort())) return undefined;
    return { ...current, alertResourceGroups: next };
  });
}

function groupKey(ref: { subscriptionId: string; resourceGroup: string }): string {
  return `${ref.subscriptionId}/${ref.resourceGroup}`.toLowerCase();
}

async function finish(deps: AutoStopDeps, run: AutoStopRun, outcomes: AlertOutcome[], runFailure?: string, note = ""): Promise<void> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.outcome] = (counts[o.outcome] ?? 0) + 1;
  const failed = counts.Failed ?? 0;
  const state = runFailure ? "Failed" : failed === 0 ? "Succeeded" : failed === outcomes.length ? "Failed" : "PartiallySucceeded";
  const summary = Object.entries(counts).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(", ") || "no VM in scope";
  const message = (runFailure ?? `AutoStop configuration "${run.configuration.name}" ${run.configuration.enabled ? "synced" : "switched off"}: ${summary}.`) + note;
  const latest = (await deps.store.getRun(run.runId)) ?? run;
  if (isTerminalRunState(latest.state)) return;
  if (!(await deps.store.updateRun(latest, { state, counts, message, completedAt: deps.clock.now() }))) return;
  deps.telemetry.event("AutoStopAlertsSynced", { runId: run.runId, configuration: run.configuration.name, state, ...counts, message });
}
