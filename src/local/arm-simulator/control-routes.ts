/** Control API under /_sim (docs/local-world.md "Control API"): JSON, no auth, not logged. */
import { alertInstanceId } from "./insights-model";
import type { ArmSimulator } from "./simulator";
import type { SimResponse } from "./http-util";
import type { FleetSpec } from "./fleet";
import type { FaultRuleInput } from "./faults";
import type { LimitsInput } from "./buckets";
import type { RoleAssignmentInput } from "./rbac";
import { setTagsAtScope } from "./resource-tags";

export interface ControlRequest {
  method: string;
  path: string;
  query: string;
  body: string;
}

export function isControlPath(path: string): boolean {
  return /^\/_sim(\/|$)/i.test(path);
}

export function handleControlRequest(sim: ArmSimulator, req: ControlRequest): SimResponse {
  try {
    return route(sim, req);
  } catch (err) {
    return fail(400, "BadRequest", (err as Error).message);
  }
}

function route(sim: ArmSimulator, req: ControlRequest): SimResponse {
  const segs = req.path.split("/").filter(Boolean).slice(1);
  const head = (segs[0] ?? "").toLowerCase();
  const q = new URLSearchParams(req.query);
  const m = req.method;
  const json = <T>(): T => (req.body.trim() ? (JSON.parse(req.body) as T) : ({} as T));

  switch (head) {
    case "vms":
      if (m !== "GET") break;
      if (segs.length === 1) {
        const vms = sim.controlVms({
          subscriptionId: q.get("subscriptionId") ?? undefined,
          resourceGroup: q.get("resourceGroup") ?? undefined,
          powerState: q.get("powerState") ?? undefined,
        });
        return ok({ vms });
      }
      {
        // The id is one url-encoded segment; tolerate an unencoded id split over several segments.
        const id = segs.slice(1).map(decodeURIComponent).join("/");
        const vm = sim.vmById(id.startsWith("/") ? id : `/${id}`);
        return vm ? ok(sim.controlView(vm)) : fail(404, "ResourceNotFound", `No simulated VM '${id}'.`);
      }
    case "scalesets":
      // GET /_sim/scaleSets[?subscriptionId=&resourceGroup=] or /_sim/scaleSets/{url-encoded id}: sets with each instance's state and history.
      if (m !== "GET") break;
      if (segs.length === 1) {
        return ok({ scaleSets: sim.controlScaleSets({ subscriptionId: q.get("subscriptionId") ?? undefined, resourceGroup: q.get("resourceGroup") ?? undefined }) });
      }
      {
        const id = segs.slice(1).map(decodeURIComponent).join("/");
        const set = sim.scaleSetById(id.startsWith("/") ? id : `/${id}`);
        return set ? ok(sim.controlScaleSet(set)) : fail(404, "ResourceNotFound", `No simulated scale set '${id}'.`);
      }
    case "autoscalesettings":
      // Every autoscale setting as stored (enabled, targetResourceUri, profiles), without an ARM call.
      if (m === "GET" && segs.length === 1) return ok({ autoscaleSettings: sim.autoscale.list() });
      break;
    case "tags":
      // PUT /_sim/tags?scope=<resource group or VM id>  {"tags": {...}}: replaces the scope's tags.
      if (m !== "PUT" || segs.length !== 1) break;
      return setTagsAtScope(sim, q.get("scope") ?? "", json<{ tags?: Record<string, string> }>().tags ?? {})
        ? { status: 204 }
        : fail(404, "ResourceNotFound", `No simulated resource group or VM '${q.get("scope") ?? ""}'.`);
    case "fleet":
      if (m !== "POST" || segs.length !== 1) break;
      {
        const mode = (q.get("mode") ?? "replace").toLowerCase();
        if (mode !== "replace" && mode !== "add") return fail(400, "BadRequest", "mode must be replace or add");
        return ok(sim.loadFleet(json<FleetSpec>(), mode));
      }
    case "faults":
      if (m === "POST" && segs.length === 1) return ok({ id: sim.faults.add(json<FaultRuleInput>(), sim.now()).id });
      if (m === "GET" && segs.length === 1) return ok({ faults: sim.faults.list() });
      if (m === "DELETE" && segs.length <= 2) {
        const removed = sim.faults.remove(segs[1] ? decodeURIComponent(segs[1]) : undefined);
        return removed ? { status: 204 } : fail(404, "NotFound", `No fault rule '${segs[1]}'.`);
      }
      break;
    case "clock":
      if (m === "GET" && segs.length === 1) return ok(clockView(sim));
      if (m === "PUT" && segs.length === 1) {
        const { timeScale } = json<{ timeScale?: number }>();
        if (timeScale !== undefined) sim.clock.setTimeScale(Number(timeScale));
        return ok(clockView(sim));
      }
      if (m === "POST" && segs.length === 2 && segs[1].toLowerCase() === "advance") {
        sim.clock.advance(Number(json<{ seconds?: number }>().seconds ?? 0));
        return ok(clockView(sim));
      }
      break;
    case "requests":
      if (m === "GET" && segs.length === 1) return ok(sim.log.since(Number(q.get("since") ?? 0) || 0));
      if (m === "DELETE" && segs.length === 1) {
        sim.log.clear();
        return { status: 204 };
      }
      break;
    case "rbac":
      if (segs.length === 2 && segs[1].toLowerCase() === "principals" && m === "GET") return ok({ principals: sim.rbac.principals() });
      if (segs.length !== 1) break;
      if (m === "GET") return ok({ assignments: sim.rbac.list() });
      if (m === "PUT") {
        const input = json<RoleAssignmentInput | RoleAssignmentInput[]>();
        for (const a of Array.isArray(input) ? input : [input]) sim.rbac.assign(a);
        return ok({ assignments: sim.rbac.list() });
      }
      if (m === "DELETE") {
        sim.rbac.remove(q.get("principal") ?? undefined);
        return { status: 204 };
      }
      break;
    case "limits":
      if (m === "GET" && segs.length === 1) return ok(sim.throttler.config);
      if (m === "PUT" && segs.length === 1) {
        sim.setLimits(json<LimitsInput>());
        return ok(sim.throttler.config);
      }
      break;
    case "evictions":
      // A regional eviction storm: {region?, subscriptionId?, namePattern?, count?} → the Spot VMs taken back.
      if (m === "POST" && segs.length === 1) return ok({ evicted: sim.evict(json()) });
      break;
    case "cpu":
      // A VM's Percentage CPU from now on: {vmIds?, namePattern?, percent} (default 55 %, "busy").
      if (m === "POST" && segs.length === 1) return ok({ vms: sim.setCpu(json()) });
      if (m === "GET" && segs.length === 1) {
        const vm = sim.vmById(q.get("vmId") ?? "");
        if (!vm) return fail(404, "ResourceNotFound", `No simulated VM '${q.get("vmId")}'.`);
        return ok({ vmId: vm.id, now: sim.insights.cpuAt(vm.key, sim.now()), changes: sim.insights.cpuSeries(vm.key).map((c) => ({ at: new Date(c.at).toISOString(), percent: c.percent })) });
      }
      break;
    case "metricalerts":
      // Every metric alert rule with its evaluation state.
      if (m === "GET" && segs.length === 1) {
        return ok({
          alerts: [...sim.insights.alerts.entries()].map(([key, a]) => {
            const state = sim.insights.states.get(key);
            return {
              id: a.id, name: a.name, tags: a.tags, scopes: a.properties.scopes, enabled: a.properties.enabled, monitorCondition: state?.monitorCondition,
              firedCount: state?.firedCount ?? 0, lastValue: state?.lastValue, lastEvaluatedAt: state?.lastEvaluatedAt && new Date(state.lastEvaluatedAt).toISOString(),
            };
          }),
        });
      }
      break;
    case "webdeployments":
      // Every package deployed to a function app through one deploy.
      if (m === "GET" && segs.length === 1) return ok({ deployments: sim.webSites.deployments });
      break;
    case "alerts":
      // Microsoft.AlertsManagement alert instances (one per firing), as Alerts_GetById shows them.
      if (m === "GET" && segs.length === 1) return ok({ alerts: sim.alertsManagement.list() });
      break;
    case "webhooks":
      if (m === "GET" && segs.length === 1) return ok({ deliveries: sim.alertWebhooks.deliveries });
      break;
    case "alertnotifications":
      // Sends a rule's notification now through the same delivery path: {ruleId, monitorCondition, repeat?}.
      if (m === "POST" && segs.length === 1) {
        const body = json<{ ruleId?: string; monitorCondition?: "Fired" | "Resolved"; repeat?: number }>();
        const rule = sim.insights.alerts.get(String(body.ruleId ?? "").toLowerCase());
        if (!rule) return fail(404, "ResourceNotFound", `No metric alert '${body.ruleId}'.`);
        const condition = body.monitorCondition === "Resolved" ? "Resolved" : "Fired";
        // The rule changes state as if its condition had been met (or cleared): a new firing is a new alert instance.
        const state = sim.insights.states.get(rule.id.toLowerCase());
        if (state && condition === "Fired" && state.monitorCondition !== "Fired") {
          Object.assign(state, { monitorCondition: "Fired", firedAt: sim.now(), firedCount: state.firedCount + 1, alertInstanceId: alertInstanceId(rule.subscriptionId, rule.id, sim.now()) });
        } else if (state && condition === "Resolved" && state.monitorCondition === "Fired") {
          state.monitorCondition = "Resolved";
          if (state.alertInstanceId) sim.alertsManagement.resolved(state.alertInstanceId, sim.now());
        }
        let sent = 0;
        for (let i = 0; i < Math.min(Math.max(body.repeat ?? 1, 1), 100); i++) sent += sim.alertWebhooks.notify(rule, condition, sim.now());
        return ok({ sent });
      }
      break;
    case "reset":
      if (m === "POST" && segs.length === 1) {
        sim.reset();
        return { status: 204 };
      }
      break;
  }
  return fail(404, "NotFound", `No control route ${m} ${req.path}.`);
}

function clockView(sim: ArmSimulator): { now: string; nowMs: number; timeScale: number } {
  const nowMs = Math.floor(sim.now()); // whole ms, like the ISO timestamps everywhere else
  return { now: new Date(nowMs).toISOString(), nowMs, timeScale: sim.clock.timeScale };
}

function ok(body: unknown): SimResponse {
  return { status: 200, body };
}

function fail(status: number, code: string, message: string): SimResponse {
  return { status, body: { error: { code, message } } };
}
