// Validation of the Start/Stop VMs v2 "Scheduled" request body, which Logic
// Apps users post verbatim. Pure: never throws, collects every problem.
// Its field readers (keys, booleans, integers, RequestScopes) are shared with v2's AutoStop body.

import {
  ResourceGroupRef,
  ScaleSetRef,
  VmRef,
  isClassicVmId,
  isGuid,
  isVmName,
  isVmNamePrefix,
  isScaleSetInstanceId,
  parseResourceGroupId,
  parseScaleSetId,
  parseSubscriptionId,
  parseVmId,
  resourceGroupKey,
  scaleSetKey,
  vmKey,
} from "./resourceId";
import { readStopMode, type RequestAction, type StopMode } from "../targets/powerAction";

export type Exclusion =
  | { kind: "id"; key: string } // full VM id, compared by vmKey
  | { kind: "namePrefix"; prefix: string } // "Az*" -> names starting with "az", case-insensitive (stored as written)
  | { kind: "name"; name: string }; // plain VM name, case-insensitive exact (stored as written)

export interface RequestScopes {
  subscriptions: string[]; // lower-cased GUIDs, deduplicated
  resourceGroups: ResourceGroupRef[]; // deduplicated case-insensitively
  vms: VmRef[]; // deduplicated by vmKey
  /** Flexible scale sets named in VMLists: every member VM, explicitly (deduplicated by scaleSetKey). */
  scaleSets?: ScaleSetRef[];
  exclusions: Exclusion[];
}

export interface ScheduledRequest {
  action: RequestAction;
  /** How a stop stops (`StopMode`; absent = deallocate, as v2). A VM's tag `startstop-stopmode` overrides it. */
  stopMode?: StopMode;
  sequenced: boolean;
  whatIf: boolean;
  continueOnError: boolean;
  sequenceDelaySeconds: number;
  deadlineMinutes?: number;
  /** Spot VMs of this start that the platform evicts later are started again (the eviction watcher). */
  restartEvicted?: boolean;
  scopes: RequestScopes;
}

export interface FieldProblem {
  field: string;
  message: string;
}

export interface RequestLimits {
  maxScopeEntries: number; // total entries across all four lists
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Field name used for problems about the body as a whole. */
export const BODY_FIELD = "(body)";

export const SEQUENCE_DELAY_RANGE = { min: 0, max: 3600 } as const;
export const DEADLINE_MINUTES_RANGE = { min: 5, max: 1440 } as const;

/**
 * Entry-level problems reported per request before summarising the rest:
 * keeps the response bounded when someone posts a huge garbage list.
 */
export const MAX_ENTRY_PROBLEMS = 100;

export const CLASSIC_RETIRED_MESSAGE =
  "classic VMs (Azure Service Manager) were retired on 2023-09-06 and cannot be managed; remove this entry (EnableClassic itself is accepted and ignored)";

const TOP_KEYS = [
  "Action",
  "EnableClassic",
  "Sequenced",
  "WhatIf",
  "ContinueOnError",
  "SequenceDelaySeconds",
  "DeadlineMinutes",
  "RestartEvicted",
  "StopMode",
  "RequestScopes",
] as const;
export const SCOPE_KEYS = ["Subscriptions", "ResourceGroups", "VMLists", "ExcludedVMLists"] as const;
type ScopeKey = (typeof SCOPE_KEYS)[number];

const FORM_SUBSCRIPTION = "/subscriptions/<subscription-id>/";
const FORM_RESOURCE_GROUP = "/subscriptions/<subscription-id>/resourceGroups/<name>/";
const FORM_VM =
  "/subscriptions/<subscription-id>/resourceGroups/<name>/providers/Microsoft.Compute/virtualMachines/<vm-name>";

export function parseScheduledRequest(body: unknown, limits: RequestLimits): ParseResult<ScheduledRequest> {
  try {
    return parseUnsafe(body, limits);
  } catch {
    // Only reachable with exotic inputs (throwing getters, proxies); JSON.parse output never gets here.
    return { ok: false, problems: [{ field: BODY_FIELD, message: "the body could not be read as a JSON object" }] };
  }
}

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseUnsafe(body: unknown, limits: RequestLimits): ParseResult<ScheduledRequest> {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });

  if (!isObject(body)) {
    add(BODY_FIELD, `the body must be a JSON object like {"Action":"start","RequestScopes":{...}}, got ${describe(body)}`);
    return { ok: false, problems };
  }

  const top = readKeys(body, TOP_KEYS, SCOPE_KEYS, "", "RequestScopes.", add);

  // Action
  let action: RequestAction | undefined;
  const rawAction = top.get("Action");
  if (rawAction === undefined || rawAction === null) {
    add("Action", `Action is required: "start" or "stop"`);
  } else if (typeof rawAction === "string" && ["start", "stop"].includes(rawAction.trim().toLowerCase())) {
    action = rawAction.trim().toLowerCase() as RequestAction;
  } else {
    add("Action", `Action must be "start" or "stop", got ${describe(rawAction)}`);
  }

  // EnableClassic: v2's documented examples carry `true`, so migrated Logic Apps send it every day. It is
  // accepted and ignored (classic VMs no longer exist); a classic VM id in a list is still refused by name.
  readBool(top.get("EnableClassic"), "EnableClassic", add);

  const sequenced = readBool(top.get("Sequenced"), "Sequenced", add) ?? false;
  const whatIf = readBool(top.get("WhatIf"), "WhatIf", add) ?? false;
  const continueOnError = readBool(top.get("ContinueOnError"), "ContinueOnError", add) ?? false;
  const sequenceDelaySeconds =
    readInt(top.get("SequenceDelaySeconds"), "SequenceDelaySeconds", SEQUENCE_DELAY_RANGE, add) ?? 0;
  const deadlineMinutes = readInt(top.get("DeadlineMinutes"), "DeadlineMinutes", DEADLINE_MINUTES_RANGE, add);
  const restartEvicted = readBool(top.get("RestartEvicted"), "RestartEvicted", add);
  if (restartEvicted && action === "stop") add("RestartEvicted", "RestartEvicted applies to a start (VMs that should be running); remove it from a stop");

  const stopMode = readStopModeField(top.get("StopMode"), action, add);

  const scopes = readScopes(top.get("RequestScopes"), limits, add);

  if (problems.length > 0 || action === undefined || scopes === undefined) {
    return { ok: false, problems };
  }
  const value: ScheduledRequest = { action, sequenced, whatIf, continueOnError, sequenceDelaySeconds, scopes };
  if (deadlineMinutes !== undefined) value.deadlineMinutes = deadlineMinutes;
  if (restartEvicted !== undefined) value.restartEvicted = restartEvicted;
  if (stopMode !== undefined) value.stopMode = stopMode;
  return { ok: true, value };
}

/** `StopMode`: deallocate | hibernate | powerOff (any casing), only on a stop; null is absent. */
function readStopModeField(v: unknown, action: RequestAction | undefined, add: (f: string, m: string) => void): StopMode | undefined {
  if (v === undefined || v === null) return undefined;
  const mode = typeof v === "string" ? readStopMode(v) : undefined;
  if (mode === undefined) {
    add("StopMode", `StopMode must be "deallocate", "hibernate" or "powerOff", got ${describe(v)}`);
    return undefined;
  }
  if (action === "start") {
    add("StopMode", "StopMode applies to a stop (how the VMs stop); remove it from a start, which resumes a VM however it was stopped");
    return undefined;
  }
  return mode;
}

/**
 * Maps an object's keys to canonical names case-insensitively. Reports
 * unknown keys (with a suggestion), keys that belong one level up/down, and
 * keys repeated in different casings (ambiguous: which one wins?).
 */
export function readKeys<K extends string>(
  obj: Obj,
  known: readonly K[],
  otherLevel: readonly string[],
  prefix: string,
  otherPrefix: string,
  add: (field: string, message: string) => void,
): Map<K, unknown> {
  const out = new Map<K, unknown>();
  const seenAs = new Map<K, string>();
  for (const rawKey of Object.keys(obj)) {
    const canonical = known.find((k) => k.toLowerCase() === rawKey.toLowerCase());
    if (canonical !== undefined) {
      const earlier = seenAs.get(canonical);
      if (earlier !== undefined) {
        add(prefix + canonical, `key given twice, as ${describe(earlier)} and ${describe(rawKey)}; keys are case-insensitive, keep one`);
        continue;
      }
      seenAs.set(canonical, rawKey);
      out.set(canonical, obj[rawKey]);
      continue;
    }
    const misplaced = otherLevel.find((k) => k.toLowerCase() === rawKey.toLowerCase());
    if (misplaced !== undefined) {
      const where = otherPrefix === "" ? "at the top level of the body" : `inside ${otherPrefix.slice(0, -1)}`;
      add(prefix + rawKey, `${describe(rawKey)} is not allowed here; it belongs ${where} (${otherPrefix}${misplaced})`);
      continue;
    }
    const hint = suggest(rawKey, [...known.map((k) => prefix + k), ...otherLevel.map((k) => otherPrefix + k)]);
    add(
      prefix + rawKey,
      `unknown key ${describe(rawKey)}` +
        (hint ? `; did you mean "${hint}"?` : `; known keys are ${known.map((k) => `"${k}"`).join(", ")}`),
    );
  }
  return out;
}

/** Closest candidate by edit distance (on the last path segment, case-insensitive) when it is a near miss. */
function suggest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const k = key.toLowerCase();
  for (const c of candidates) {
    const name = c.slice(c.lastIndexOf(".") + 1).toLowerCase();
    const d = levenshtein(k, name);
    const threshold = Math.max(2, Math.floor(name.length / 4));
    if (d <= threshold && d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  if (a.length > 200 || b.length > 200) return Infinity; // absurd keys are never near misses
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// null is treated like an absent optional field: Logic Apps templates emit it for unset parameters.
export function readBool(v: unknown, field: string, add: (f: string, m: string) => void): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  add(field, `${field} must be true or false, got ${describe(v)}`);
  return undefined;
}

export function readInt(
  v: unknown,
  field: string,
  range: { min: number; max: number },
  add: (f: string, m: string) => void,
): number | undefined {
  if (v === undefined || v === null) return undefined;
  let n: number | undefined;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\s*[+-]?\d{1,15}\s*$/.test(v)) n = Number(v);
  if (n === undefined || !Number.isInteger(n) || n < range.min || n > range.max) {
    add(field, `${field} must be an integer from ${range.min} to ${range.max}, got ${describe(v)}`);
    return undefined;
  }
  return n;
}

export function readScopes(
  raw: unknown,
  limits: RequestLimits,
  add: (f: string, m: string) => void,
  topLevelKeys: readonly string[] = TOP_KEYS,
): RequestScopes | undefined {
  const F = "RequestScopes";
  if (raw === undefined || raw === null) {
    add(F, `RequestScopes is required: an object with Subscriptions, ResourceGroups, VMLists and/or ExcludedVMLists`);
    return undefined;
  }
  if (!isObject(raw)) {
    add(F, `RequestScopes must be an object with Subscriptions, ResourceGroups, VMLists and/or ExcludedVMLists, got ${describe(raw)}`);
    return undefined;
  }
  const keys = readKeys(raw, SCOPE_KEYS, topLevelKeys, `${F}.`, "", add);

  // Each list: absent/null → empty; otherwise an array (element checks below).
  const lists = new Map<ScopeKey, unknown[]>();
  let listsOk = true;
  for (const k of SCOPE_KEYS) {
    const v = keys.get(k);
    if (v === undefined || v === null) {
      lists.set(k, []);
    } else if (Array.isArray(v)) {
      lists.set(k, v);
    } else {
      listsOk = false;
      add(`${F}.${k}`, `${k} must be an array of strings, got ${describe(v)}`);
      lists.set(k, []);
    }
  }
  const list = (k: ScopeKey) => lists.get(k) ?? [];

  const total = SCOPE_KEYS.reduce((n, k) => n + list(k).length, 0);
  if (total > limits.maxScopeEntries) {
    add(F, `too many entries: ${total} across Subscriptions, ResourceGroups, VMLists and ExcludedVMLists; the limit is ${limits.maxScopeEntries}`);
  }
  if (listsOk && list("Subscriptions").length + list("ResourceGroups").length + list("VMLists").length === 0) {
    add(F, `at least one of Subscriptions, ResourceGroups or VMLists must be non-empty`);
  }

  // Entry problems are capped (MAX_ENTRY_PROBLEMS) then summarised.
  let entryProblems = 0;
  let suppressed = 0;
  const entryProblem = (field: string, message: string) => {
    if (entryProblems < MAX_ENTRY_PROBLEMS) {
      entryProblems++;
      add(field, message);
    } else {
      suppressed++;
    }
  };

  const subscriptions = new Set<string>();
  list("Subscriptions").forEach((e, i) => {
    const field = `${F}.Subscriptions[${i}]`;
    const sub = typeof e === "string" ? parseSubscriptionId(e) : undefined;
    if (sub !== undefined) subscriptions.add(sub);
    else entryProblem(field, malformed(e, FORM_SUBSCRIPTION, "Subscriptions"));
  });

  const resourceGroups = new Map<string, ResourceGroupRef>();
  list("ResourceGroups").forEach((e, i) => {
    const field = `${F}.ResourceGroups[${i}]`;
    const rg = typeof e === "string" ? parseResourceGroupId(e) : undefined;
    if (rg !== undefined) {
      const key = resourceGroupKey(rg);
      if (!resourceGroups.has(key)) resourceGroups.set(key, rg);
    } else entryProblem(field, malformed(e, FORM_RESOURCE_GROUP, "ResourceGroups"));
  });

  const vms = new Map<string, VmRef>();
  const scaleSets = new Map<string, ScaleSetRef>();
  list("VMLists").forEach((e, i) => {
    const field = `${F}.VMLists[${i}]`;
    const vm = typeof e === "string" ? parseVmId(e) : undefined;
    const set = typeof e === "string" && vm === undefined ? parseScaleSetId(e) : undefined;
    if (vm !== undefined) {
      const key = vmKey(vm);
      if (!vms.has(key)) vms.set(key, vm);
    } else if (set !== undefined) {
      const key = scaleSetKey(set);
      if (!scaleSets.has(key)) scaleSets.set(key, set);
    } else if (typeof e === "string" && isScaleSetInstanceId(e)) {
      entryProblem(field, `${describe(e)} is an instance of a Uniform scale set, which this app cannot act on yet (docs/targets.md); Flexible scale sets are named by the scale set's id, their members by their VM ids`);
    } else entryProblem(field, malformed(e, FORM_VM, "VMLists"));
  });

  const exclusions = new Map<string, Exclusion>();
  list("ExcludedVMLists").forEach((e, i) => {
    const field = `${F}.ExcludedVMLists[${i}]`;
    const r = parseExclusion(e);
    if ("exclusion" in r) {
      const x = r.exclusion;
      const dedupKey =
        x.kind === "id" ? `id:${x.key}` : x.kind === "name" ? `name:${x.name.toLowerCase()}` : `prefix:${x.prefix.toLowerCase()}`;
      if (!exclusions.has(dedupKey)) exclusions.set(dedupKey, x);
    } else entryProblem(field, r.problem);
  });

  if (suppressed > 0) {
    add(F, `${suppressed} more malformed entries not listed (only the first ${MAX_ENTRY_PROBLEMS} are reported)`);
  }

  return {
    subscriptions: [...subscriptions],
    resourceGroups: [...resourceGroups.values()],
    vms: [...vms.values()],
    ...(scaleSets.size > 0 ? { scaleSets: [...scaleSets.values()] } : {}),
    exclusions: [...exclusions.values()],
  };
}

/** Names the classic VM in full (not shortened like other entries): the user must find it in a long list. */
function classicVmProblem(id: string): string {
  return `${JSON.stringify(id.slice(0, 400))} is a classic VM (Microsoft.ClassicCompute): ${CLASSIC_RETIRED_MESSAGE}`;
}

/** Explains a rejected scope entry: expected form, plus a hint when it is a valid id of another kind. */
function malformed(e: unknown, form: string, list: ScopeKey): string {
  if (typeof e !== "string") return `expected a string of the form "${form}", got ${describe(e)}`;
  if (e.trim() === "") return `empty entry; expected "${form}"`;
  if (isClassicVmId(e)) return classicVmProblem(e);
  let hint = "";
  if (list !== "Subscriptions" && parseSubscriptionId(e)) hint = "; this is a subscription id, put it in Subscriptions";
  else if (list !== "ResourceGroups" && parseResourceGroupId(e)) hint = "; this is a resource group id, put it in ResourceGroups";
  else if (list !== "VMLists" && parseVmId(e)) hint = "; this is a VM id, put it in VMLists";
  else if (list === "Subscriptions" && isGuid(e.trim())) hint = `; a bare subscription id is not accepted, write "/subscriptions/${e.trim()}/"`;
  return `${describe(e)} is not of the form "${form}"${hint}`;
}

/**
 * ExcludedVMLists entry: a full VM id (starts with '/'), a VM name, or a name
 * prefix with a single trailing '*'.
 */
function parseExclusion(e: unknown): { exclusion: Exclusion } | { problem: string } {
  const expected = `a full VM id ("${FORM_VM}"), a VM name, or a name prefix ending with "*" (e.g. "Az*")`;
  if (typeof e !== "string") return { problem: `expected ${expected}, got ${describe(e)}` };
  const s = e.trim();
  if (s === "") return { problem: `empty entry; expected ${expected}` };
  if (s.startsWith("/")) {
    if (isClassicVmId(s)) return { problem: classicVmProblem(s) };
    const vm = parseVmId(s);
    if (vm) return { exclusion: { kind: "id", key: vmKey(vm) } };
    return { problem: `${describe(e)} is not a VM id; expected ${expected}` };
  }
  if (s === "*") {
    return { problem: `"*" alone would exclude every VM in scope; list a name prefix such as "Az*" or remove the scope instead` };
  }
  const star = s.indexOf("*");
  if (star !== -1) {
    if (star !== s.length - 1) {
      return { problem: `${describe(e)}: "*" is only allowed once, at the end of a name prefix (e.g. "Az*")` };
    }
    const prefix = s.slice(0, -1);
    if (isVmNamePrefix(prefix)) return { exclusion: { kind: "namePrefix", prefix } };
    return { problem: `${describe(e)}: ${describe(prefix)} cannot begin a VM name (letters, digits, "-", "_", "."; not starting with "_"); expected ${expected}` };
  }
  if (isVmName(s)) return { exclusion: { kind: "name", name: s } };
  return { problem: `${describe(e)} is not a valid VM name, id or prefix; expected ${expected}` };
}

/** Short, bounded description of a value for messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  switch (typeof v) {
    case "string": {
      const s = v.length > 80 ? `${v.slice(0, 77)}...` : v;
      return JSON.stringify(s);
    }
    case "number":
    case "boolean":
      return String(v);
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}
