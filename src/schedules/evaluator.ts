/**
 * The ScheduleEvaluator's work step, one tick: find the VMs that name a schedule by tag in the configured scopes,
 * decide for each with the pure model (decision.ts), and submit the actions through the engine's one power path —
 * one request per subscription, schedule and action. The timer function (src/functions/ScheduleEvaluator.ts) is thin.
 *
 * - Tags: the VM's `startstop-schedule` tag, else its resource group's; the override tag `startstop-override`.
 * - Reads: the inventory (each subscription's paged statusOnly VM list, which carries tags and power states, and its
 *   resource group list) is kept in memory and refreshed when older than `inventoryMinutes`, a share of the
 *   subscriptions per tick, so a steady tick costs about 2 × subscriptions × interval / inventoryMinutes reads.
 * - Memory: the stored state per VM (schedulestatestoretable) is loaded once per process and written through, only
 *   when something changed and only after the request that carries the change was accepted.
 * - Catch-up: when the last tick is older than 2.5 intervals (the app was down), an action owed to a transition is
 *   taken only if that transition is younger than `catchUpMinutes`; either way the VM's reason says so.
 */
import { parseResourceGroupId, parseSubscriptionId, vmId } from "../domain/resourceId";
import type { ScheduledRequest } from "../domain/scheduledRequest";
import { tagValue } from "../domain/tags";
import type { VmInfo } from "../engine/ports";
import { decide, type Action, type VmPower } from "./decision";
import { lastTransitionBefore, scheduleStateAt, transitionsBetween, type StateAt } from "./evaluate";
import { stopNotice, type StopNotice } from "./postpone";
import { activeOverride, overrideFromTag } from "./override";
import { parseSchedule, type Schedule } from "./schedule";
import type { ScheduleStateStore, VmScheduleState } from "./scheduleStateStore";
import type { ScheduleStore } from "./scheduleStore";

export interface EvaluatorInventory {
  /** Every VM of a subscription with tags and power state (one paged list). */
  listVms(subscriptionId: string): Promise<VmInfo[]>;
  /** Each resource group's tags, by lower-cased name. */
  resourceGroupTags(subscriptionId: string): Promise<Map<string, Record<string, string>>>;
  /** For a resource-group scope (the identity may hold no role on the whole subscription): its VMs, and its tags. */
  listVmsInGroup(subscriptionId: string, resourceGroup: string): Promise<VmInfo[]>;
  groupTags(subscriptionId: string, resourceGroup: string): Promise<Record<string, string>>;
}

export interface EvaluatorSettings {
  /** `/subscriptions/<id>` and/or `/subscriptions/<id>/resourceGroups/<name>` (TARGET_SCOPES). */
  scopes: string[];
  tagName: string;
  overrideTagName: string;
  catchUpMinutes: number;
  intervalMinutes: number;
  inventoryMinutes: number;
}

export interface EvaluatorDeps {
  schedules: ScheduleStore;
  states: ScheduleStateStore;
  inventory: EvaluatorInventory;
  /** Submits through the engine (submitRequest); returns the request id. */
  submit(request: ScheduledRequest, idempotencyIdentity: string): Promise<string>;
  settings: EvaluatorSettings;
  log(message: string): void;
  /** Notices before a stop (schedules with notifyBeforeMinutes); without it none are sent. */
  notices?: { key: string; baseUrl: string; send(notice: StopNotice): Promise<void> };
}

export interface SubmittedRequest {
  requestId: string;
  subscriptionId: string;
  schedule: string;
  action: "start" | "stop";
  vms: number;
}

export interface TickReport {
  at: string;
  vmsInScope: number;
  vmsScheduled: number;
  inventoryRefreshed: string[];
  requests: SubmittedRequest[];
  catchUp: boolean;
  unknownSchedules: string[];
  failed: string[];
  notices: string[];
  /** Milliseconds per phase of the tick (where its time goes). */
  phases: Record<"read" | "inventory" | "decide" | "submit" | "save", number>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 1440 * MINUTE_MS;

function power(vm: VmInfo): VmPower {
  switch (vm.powerState) {
    case "running":
    case "starting":
      return "running";
    case "stopped":
    case "stopping":
    case "deallocated":
    case "deallocating":
      return "stopped";
    default:
      return "unknown";
  }
}

interface Scope {
  subscriptionId: string;
  /** Lower-cased resource group names; undefined = the whole subscription. */
  groups?: Set<string>;
}

function scopesOf(list: string[]): Scope[] {
  const bySub = new Map<string, Scope>();
  for (const s of list) {
    const rg = parseResourceGroupId(s);
    const sub = rg?.subscriptionId ?? parseSubscriptionId(s);
    if (!sub) continue;
    const key = sub.toLowerCase();
    const scope = bySub.get(key) ?? { subscriptionId: key, groups: new Set<string>() };
    if (!rg) scope.groups = undefined;
    else scope.groups?.add(rg.resourceGroup.toLowerCase());
    bySub.set(key, scope);
  }
  return [...bySub.values()];
}

interface Inventory {
  readAt: number;
  vms: VmInfo[];
  groups: Map<string, Record<string, string>>;
}

export class ScheduleEvaluator {
  private readonly inventory = new Map<string, Inventory>();
  private states: Map<string, VmScheduleState> | undefined;

  constructor(private readonly deps: EvaluatorDeps) {}

  async tick(now: Date): Promise<TickReport> {
    const { settings } = this.deps;
    const report: TickReport = { at: now.toISOString(), vmsInScope: 0, vmsScheduled: 0, inventoryRefreshed: [], requests: [], catchUp: false, unknownSchedules: [], failed: [], notices: [], phases: { read: 0, inventory: 0, decide: 0, submit: 0, save: 0 } };
    let mark = Date.now();
    const phase = (name: keyof TickReport["phases"]) => {
      const t = Date.now();
      report.phases[name] += t - mark;
      mark = t;
    };
    const schedules = new Map<string, Schedule>();
    for (const stored of await this.deps.schedules.list()) {
      const parsed = parseSchedule(stored.input, stored.input.name);
      if (parsed.ok) schedules.set(parsed.schedule.name, parsed.schedule);
      else this.deps.log(`ScheduleEvaluator: stored schedule "${stored.input.name}" does not validate; its VMs are left alone`);
    }
    this.states ??= new Map((await this.deps.states.loadAll()).map((s) => [s.vmKey, s]));
    const lastTick = await this.deps.states.lastTick();
    const downtime = lastTick !== undefined && now.getTime() - lastTick.getTime() > 2.5 * settings.intervalMinutes * MINUTE_MS;
    report.catchUp = downtime;
    const overrides = await this.deps.states.overrides();

    const scopes = scopesOf(settings.scopes);
    phase("read");
    await this.refreshInventory(scopes, now, report);
    phase("inventory");

    const changed = new Map<string, VmScheduleState>();
    const groups = new Map<string, { subscriptionId: string; schedule: string; action: "start" | "stop"; vms: VmInfo[] }>();
    const unknown = new Set<string>();
    const runningBySchedule = new Map<string, { key: string; id: string }[]>();
    const stateOf = new Map<string, StateAt>();
    for (const scope of scopes) {
      const inv = this.inventory.get(scope.subscriptionId);
      if (!inv) continue;
      for (const vm of inv.vms) {
        const rgTags = inv.groups.get(vm.ref.resourceGroup.toLowerCase());
        if (scope.groups && !scope.groups.has(vm.ref.resourceGroup.toLowerCase())) continue;
        report.vmsInScope++;
        const name = tagValue(vm.tags, settings.tagName)?.trim() || tagValue(rgTags, settings.tagName)?.trim();
        if (!name) continue;
        const schedule = schedules.get(name);
        if (!schedule) {
          unknown.add(name);
          continue;
        }
        report.vmsScheduled++;
        const prev = this.states.get(vm.key);
        const stored = prev && prev.schedule === name ? prev.stored : undefined;
        const candidates = [overrideFromTag(tagValue(vm.tags, settings.overrideTagName), settings.overrideTagName), overrides.get(vm.key)];
        const override = activeOverride(now, ...candidates);
        const seen = power(vm);
        // A cached power state may be minutes old: it decides only where AWS needs it (a VM seen the first time,
        // enforced, retainRunning); otherwise the engine finds out whether the VM is already there.
        const vmPower = stored === undefined || schedule.enforced || schedule.retainRunning || override ? seen : "unknown";
        let state = stateOf.get(name);
        if (!state) stateOf.set(name, (state = scheduleStateAt(schedule, now)));
        const d = decide({ schedule, at: now, vm: vmPower, stored, override, state });
        let action: Action = d.action;
        let reason = d.reason;
        if (action !== "none" && downtime && stored !== undefined && !schedule.enforced && !override) {
          const lookBack = Math.min(8 * DAY_MS, now.getTime() - lastTick!.getTime() + settings.catchUpMinutes * MINUTE_MS);
          const transition = lastTransitionBefore(schedule, now, lookBack);
          // An override that ran out while the app was down is as much a transition as the schedule's own.
          const lapsed = candidates.filter((o) => o && o.until.getTime() <= now.getTime() && o.until.getTime() > lastTick!.getTime()).sort((a, b) => b!.until.getTime() - a!.until.getTime())[0];
          const t = lapsed && (!transition || lapsed.until.getTime() > transition.at.getTime())
            ? { at: lapsed.until, local: `the end of the override (${lapsed.source}) at ${lapsed.until.toISOString()}` }
            : transition;
          const age = t ? Math.round((now.getTime() - t.at.getTime()) / MINUTE_MS) : undefined;
          const since = `no tick from ${lastTick!.toISOString()} to ${now.toISOString()}`;
          if (!t || age! > settings.catchUpMinutes) {
            action = "none";
            reason = `missed while the app was down (${since}): the last transition${t ? ` (${t.local}, ${age} min ago)` : ""} is older than catchUpMinutes (${settings.catchUpMinutes}), so it is left as it is until the next one`;
          } else {
            reason = `catch-up after downtime (${since}): applying the transition at ${t.local} (${age} min ago); ${d.reason}`;
          }
        }
        const heldBefore = prev?.reason.startsWith("held ") ?? false;
        if (!prev || prev.schedule !== name || prev.stored !== d.stored || action !== "none" || heldBefore !== Boolean(override)) {
          changed.set(vm.key, { vmKey: vm.key, vmId: vmId(vm.ref), subscriptionId: vm.ref.subscriptionId, schedule: name, stored: d.stored, decidedAt: now, action, reason });
        }
        if (d.stored === "running" && !override && action !== "stop") runningBySchedule.set(name, [...(runningBySchedule.get(name) ?? []), { key: vm.key, id: vmId(vm.ref) }]);
        if (action !== "none") {
          const key = `${scope.subscriptionId}|${name}|${action}`;
          const group = groups.get(key) ?? { subscriptionId: vm.ref.subscriptionId, schedule: name, action, vms: [] };
          group.vms.push(vm);
          groups.set(key, group);
        }
      }
    }
    report.unknownSchedules = [...unknown].sort();
    if (unknown.size > 0) this.deps.log(`ScheduleEvaluator: VMs are tagged with schedules that do not exist: ${report.unknownSchedules.join(", ")}`);

    phase("decide");
    const minute = now.toISOString().slice(0, 16);
    await Promise.all([...groups.values()].map(async (g) => {
      const request: ScheduledRequest = {
        action: g.action, sequenced: false, whatIf: false, continueOnError: true, sequenceDelaySeconds: 0,
        scopes: { subscriptions: [], resourceGroups: [], vms: g.vms.map((v) => v.ref), exclusions: [] },
      };
      try {
        const requestId = await this.deps.submit(request, `schedule|${g.schedule}|${g.action}|${g.subscriptionId.toLowerCase()}|${minute}`);
        for (const vm of g.vms) changed.get(vm.key)!.requestId = requestId;
        report.requests.push({ requestId, subscriptionId: g.subscriptionId, schedule: g.schedule, action: g.action, vms: g.vms.length });
      } catch (error) {
        // Not remembered: the next tick decides these VMs again.
        for (const vm of g.vms) changed.delete(vm.key);
        report.failed.push(`${g.schedule}/${g.action}/${g.subscriptionId}: ${(error as Error).message.slice(0, 300)}`);
        this.deps.log(`ScheduleEvaluator: submitting ${g.action} for ${g.vms.length} VMs of schedule ${g.schedule} in ${g.subscriptionId} failed; the next tick tries again`);
      }
    }));
    report.requests.sort((a, b) => `${a.subscriptionId}|${a.schedule}|${a.action}`.localeCompare(`${b.subscriptionId}|${b.schedule}|${b.action}`));
    phase("submit");
    const toSave = [...changed.values()];
    if (toSave.length > 0) {
      await this.deps.states.save(toSave);
      for (const s of toSave) this.states.set(s.vmKey, s);
    }
    await this.sendNotices(schedules, runningBySchedule, now, report);
    await this.deps.states.saveTick(now);
    phase("save");
    return report;
  }

  /** One notice per coming stop of a schedule with notifyBeforeMinutes, naming its VMs that run now. */
  private async sendNotices(schedules: Map<string, Schedule>, running: Map<string, { key: string; id: string }[]>, now: Date, report: TickReport): Promise<void> {
    const notices = this.deps.notices;
    if (!notices) return;
    for (const schedule of schedules.values()) {
      const vms = running.get(schedule.name);
      if (!schedule.notifyBeforeMinutes || !vms || vms.length === 0) continue;
      const stop = transitionsBetween(schedule, now, new Date(now.getTime() + schedule.notifyBeforeMinutes * MINUTE_MS + 1)).find((t) => t.state === "stopped");
      if (!stop) continue;
      const notice = stopNotice(notices.key, notices.baseUrl, schedule.name, stop.at, stop.local, vms);
      if (!(await this.deps.states.once("notice", notice.id, now))) continue;
      try {
        await notices.send(notice);
        report.notices.push(notice.id);
      } catch (error) {
        report.failed.push(`notice ${notice.id}: ${(error as Error).message.slice(0, 200)}`);
      }
    }
  }

  /** Reads every subscription never read, and the stalest of the others, a share per tick. */
  private async refreshInventory(scopes: Scope[], now: Date, report: TickReport): Promise<void> {
    const { inventoryMinutes, intervalMinutes } = this.deps.settings;
    const maxAge = inventoryMinutes * MINUTE_MS;
    const missing = scopes.filter((s) => !this.inventory.has(s.subscriptionId));
    const stale = scopes
      .filter((s) => this.inventory.has(s.subscriptionId) && now.getTime() - this.inventory.get(s.subscriptionId)!.readAt >= maxAge)
      .sort((a, b) => this.inventory.get(a.subscriptionId)!.readAt - this.inventory.get(b.subscriptionId)!.readAt);
    const share = Math.max(1, Math.ceil((scopes.length * intervalMinutes) / Math.max(intervalMinutes, inventoryMinutes)));
    for (const scope of [...missing, ...stale.slice(0, share)]) {
      try {
        const inv = this.deps.inventory;
        let vms: VmInfo[];
        let groups: Map<string, Record<string, string>>;
        if (scope.groups) {
          const names = [...scope.groups];
          const read = await Promise.all(names.map(async (rg) => [rg, ...(await Promise.all([inv.listVmsInGroup(scope.subscriptionId, rg), inv.groupTags(scope.subscriptionId, rg)]))] as const));
          vms = read.flatMap(([, list]) => list);
          groups = new Map(read.map(([rg, , tags]) => [rg, tags]));
        } else {
          [vms, groups] = await Promise.all([inv.listVms(scope.subscriptionId), inv.resourceGroupTags(scope.subscriptionId)]);
        }
        this.inventory.set(scope.subscriptionId, { readAt: now.getTime(), vms, groups });
        report.inventoryRefreshed.push(scope.subscriptionId);
      } catch (error) {
        report.failed.push(`inventory ${scope.subscriptionId}: ${(error as Error).message.slice(0, 300)}`);
        this.deps.log(`ScheduleEvaluator: reading the VMs of ${scope.subscriptionId} failed (${(error as Error).message.slice(0, 200)}); the last list is used`);
      }
    }
  }

  /** Forget the inventory of every subscription (the next tick reads them all again). */
  forgetInventory(): void {
    this.inventory.clear();
  }
}
