// Parsing and canonical forms of the ARM resource ids that Start/Stop VMs v2
// payloads carry. Pure functions, no I/O.
//
// ARM treats the literal segments and names of ids case-insensitively, so every
// literal segment ("subscriptions", "resourceGroups", "providers",
// "Microsoft.Compute", "virtualMachines") is matched in any casing. Names are
// kept as written (VmRef) and compared through vmKey().

/** A VM as the user or ARM wrote it (casing preserved). */
export interface VmRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export interface ResourceGroupRef {
  subscriptionId: string;
  resourceGroup: string;
}

const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

// Resource group: 1-90 of letters, digits, _ - . ( ), not ending in '.'.
// Azure allows Unicode letters/digits here, so \p{L}/\p{Nd} rather than ASCII only.
const RG_NAME_RE = /^[\p{L}\p{Nd}_\-.()]{1,90}$/u;

// VM: 1-64 of letters, digits, - _ . ; not starting with '_', not ending with '.' or '-'.
// Linux rules (Windows computer names are shorter, but the resource name may be longer).
const VM_NAME_RE = /^[\p{L}\p{Nd}\-_.]{1,64}$/u;
const VM_NAME_CHAR_RE = /^[\p{L}\p{Nd}\-_.]*$/u;

export function isGuid(s: string): boolean {
  return typeof s === "string" && GUID_RE.test(s);
}

export function isResourceGroupName(s: string): boolean {
  return typeof s === "string" && RG_NAME_RE.test(s) && !s.endsWith(".");
}

export function isVmName(s: string): boolean {
  return (
    typeof s === "string" &&
    VM_NAME_RE.test(s) &&
    !s.startsWith("_") &&
    !s.endsWith(".") &&
    !s.endsWith("-")
  );
}

/**
 * True when `s` could be the beginning of a valid VM name (used for "Az*"
 * exclusion prefixes): allowed characters only, not starting with '_', at most
 * 64 chars. Its end is unconstrained because the full name continues after it.
 */
export function isVmNamePrefix(s: string): boolean {
  return (
    typeof s === "string" &&
    s.length >= 1 &&
    s.length <= 64 &&
    VM_NAME_CHAR_RE.test(s) &&
    !s.startsWith("_")
  );
}

/**
 * Splits "/a/b/c/" into ["a","b","c"]. Surrounding whitespace is ignored
 * (copy/paste into Logic Apps often adds it); the leading '/' is required; one
 * trailing '/' is allowed; any empty segment ("//") rejects the id.
 */
function segments(id: unknown): string[] | undefined {
  if (typeof id !== "string") return undefined;
  let s = id.trim();
  if (!s.startsWith("/")) return undefined;
  s = s.slice(1);
  if (s.endsWith("/")) s = s.slice(0, -1);
  if (s === "") return undefined;
  const parts = s.split("/");
  return parts.some((p) => p === "") ? undefined : parts;
}

function eqi(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Checks the "/subscriptions/<guid>/resourceGroups/<rg>" prefix of an id. */
function rgPrefix(parts: string[]): ResourceGroupRef | undefined {
  if (parts.length < 4) return undefined;
  const [subs, sub, rgs, rg] = parts as [string, string, string, string];
  if (!eqi(subs, "subscriptions") || !isGuid(sub)) return undefined;
  if (!eqi(rgs, "resourceGroups") || !isResourceGroupName(rg)) return undefined;
  return { subscriptionId: sub, resourceGroup: rg };
}

function vmLike(id: string, provider: string): VmRef | undefined {
  const parts = segments(id);
  if (!parts || parts.length !== 8) return undefined;
  const rg = rgPrefix(parts);
  if (!rg) return undefined;
  const [, , , , providers, ns, type, name] = parts as string[] as [
    string, string, string, string, string, string, string, string,
  ];
  if (!eqi(providers, "providers") || !eqi(ns, provider) || !eqi(type, "virtualMachines")) {
    return undefined;
  }
  if (!isVmName(name)) return undefined;
  return { ...rg, name };
}

/** ARM VM id → VmRef; undefined for classic VMs and anything else. */
export function parseVmId(id: string): VmRef | undefined {
  return vmLike(id, "Microsoft.Compute");
}

/** "/subscriptions/<guid>/resourceGroups/<rg>" with optional trailing '/'. */
export function parseResourceGroupId(id: string): ResourceGroupRef | undefined {
  const parts = segments(id);
  if (!parts || parts.length !== 4) return undefined;
  return rgPrefix(parts);
}

/** "/subscriptions/<guid>" with optional trailing '/' → lower-cased GUID. A bare GUID is not accepted. */
export function parseSubscriptionId(id: string): string | undefined {
  const parts = segments(id);
  if (!parts || parts.length !== 2) return undefined;
  const [subs, sub] = parts as [string, string];
  if (!eqi(subs, "subscriptions") || !isGuid(sub)) return undefined;
  return sub.toLowerCase();
}

/** ".../providers/Microsoft.ClassicCompute/virtualMachines/<name>": retired ASM VMs. */
export function isClassicVmId(id: string): boolean {
  return vmLike(id, "Microsoft.ClassicCompute") !== undefined;
}

/** Canonical ARM id, parts as written in `ref`. */
export function vmId(ref: VmRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${ref.name}`;
}

/** Lower-cased vmId: the identity used for equality and dedup everywhere. */
export function vmKey(ref: VmRef): string {
  return vmId(ref).toLowerCase();
}

/** Case-insensitive identity of a resource group. */
export function resourceGroupKey(ref: ResourceGroupRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourcegroups/${ref.resourceGroup}`.toLowerCase();
}

/** A scale set, named by `/subscriptions/<guid>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>`. */
export interface ScaleSetRef extends ResourceGroupRef {
  name: string;
}

/** ARM scale-set id → ScaleSetRef (optional trailing '/'); undefined for anything else. */
export function parseScaleSetId(id: string): ScaleSetRef | undefined {
  const parts = segments(id);
  if (!parts || parts.length !== 8) return undefined;
  const rg = rgPrefix(parts);
  if (!rg) return undefined;
  const [, , , , providers, ns, type, name] = parts as [string, string, string, string, string, string, string, string];
  if (!eqi(providers, "providers") || !eqi(ns, "Microsoft.Compute") || !eqi(type, "virtualMachineScaleSets") || !isVmName(name)) return undefined;
  return { ...rg, name };
}

/** `…/virtualMachineScaleSets/<name>/virtualMachines/<instanceId>`: one instance of a Uniform scale set. */
export function isScaleSetInstanceId(id: string): boolean {
  const parts = segments(id);
  if (!parts || parts.length !== 10) return false;
  return parseScaleSetId(`/${parts.slice(0, 8).join("/")}`) !== undefined && eqi(parts[8]!, "virtualMachines") && /^\d{1,10}$/.test(parts[9]!);
}

export function scaleSetId(ref: ScaleSetRef): string {
  return `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${ref.name}`;
}

/** Lower-cased scaleSetId: compared with a VM's `virtualMachineScaleSet.id` the same way. */
export function scaleSetKey(ref: ScaleSetRef): string {
  return scaleSetId(ref).toLowerCase();
}
