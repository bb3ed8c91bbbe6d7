/**
 * Microsoft.Resources in the simulator: listing a subscription's resource groups (with their tags), and the Tags
 * API at a resource group's or a VM's scope, as the REST spec (resources, api-version 2021-04-01) describes them:
 *
 *   GET    /subscriptions/{sub}/resourcegroups                                   {value: [{id, name, type, location, tags, properties}], nextLink?}
 *   GET    /subscriptions/{sub}/resourcegroups/{rg}                              one of those
 *   GET    {scope}/providers/Microsoft.Resources/tags/default                    {id, name: "default", type: "Microsoft.Resources/tags", properties: {tags}}
 *   PUT    {scope}/providers/Microsoft.Resources/tags/default  {properties: {tags}}               replaces every tag
 *   PATCH  {scope}/providers/Microsoft.Resources/tags/default  {operation, properties: {tags}}    Merge | Replace | Delete (the named keys)
 *   DELETE {scope}/providers/Microsoft.Resources/tags/default                    removes every tag
 *
 * Sources: https://learn.microsoft.com/rest/api/resources/resource-groups/list and
 * https://learn.microsoft.com/rest/api/resources/tags (create-or-update-at-scope, update-at-scope, get-at-scope, delete-at-scope).
 * Reads go through the ARM read bucket like every GET; the control API can set tags without costing any.
 */
import { armErrorBody } from "./errors";
import type { SimResponse } from "./http-util";
import type { ArmSimulator, ResourceGroupEntry } from "./simulator";
import type { ResourcesRoute } from "./resource-routes";

function groupJson(subscriptionId: string, rg: ResourceGroupEntry) {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${rg.name}`, name: rg.name, type: "Microsoft.Resources/resourceGroups", location: rg.location,
    tags: { ...(rg.tags ?? {}) }, properties: { provisioningState: "Succeeded" },
  };
}

/** The tags object a scope holds (created on first write). */
function tagsHolder(sim: ArmSimulator, route: ResourcesRoute): { id: string; tags: Record<string, string>; set(tags: Record<string, string>): void } | undefined {
  const sub = sim.subscription(route.sub);
  const rg = sub?.resourceGroups.get((route.rg ?? "").toLowerCase());
  if (!sub || !rg) return undefined;
  if (route.vm) {
    const vm = sim.vmById(`/subscriptions/${sub.subscriptionId}/resourceGroups/${rg.name}/providers/Microsoft.Compute/virtualMachines/${route.vm}`);
    if (!vm) return undefined;
    return { id: vm.id, tags: vm.tags, set: (tags) => (vm.tags = tags) };
  }
  return { id: `/subscriptions/${sub.subscriptionId}/resourceGroups/${rg.name}`, tags: rg.tags ?? {}, set: (tags) => (rg.tags = tags) };
}

const TAG_LIMIT = 50;

function checkTags(tags: unknown): Record<string, string> | string {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) return "properties.tags must be an object of string values";
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > TAG_LIMIT) return `at most ${TAG_LIMIT} tags per resource`;
  for (const [k, v] of entries) {
    if (typeof v !== "string") return `tag '${k}' must have a string value`;
    if (k.length > 512 || v.length > 256) return `tag '${k}': names are at most 512 characters, values 256`;
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

export function serveResources(sim: ArmSimulator, route: ResourcesRoute, body: string, pageSize: number, headers: Record<string, string>, skip: number, nextLink: (skip: number) => string): SimResponse {
  const sub = sim.subscription(route.sub)!;
  if (route.op === "resourceGroupList") {
    const all = [...sub.resourceGroups.values()];
    const page: { value: unknown[]; nextLink?: string } = { value: all.slice(skip, skip + pageSize).map((rg) => groupJson(sub.subscriptionId, rg)) };
    if (skip + pageSize < all.length) page.nextLink = nextLink(skip + pageSize);
    return { status: 200, headers, body: page };
  }
  if (route.op === "resourceGroupGet") return { status: 200, headers, body: groupJson(sub.subscriptionId, sub.resourceGroups.get(route.rg!.toLowerCase())!) };
  const holder = tagsHolder(sim, route);
  if (!holder) return { status: 404, headers, body: armErrorBody("ResourceNotFound", "The resource was not found.") };
  const view = () => ({ id: `${holder.id}/providers/Microsoft.Resources/tags/default`, name: "default", type: "Microsoft.Resources/tags", properties: { tags: { ...holder.tags } } });
  if (route.op === "tagsGet") return { status: 200, headers, body: view() };
  if (route.op === "tagsDelete") {
    holder.set({});
    return { status: 200, headers };
  }
  let parsed: { operation?: string; properties?: { tags?: unknown } };
  try {
    parsed = body.trim() ? (JSON.parse(body) as typeof parsed) : {};
  } catch {
    return { status: 400, headers, body: armErrorBody("InvalidRequestContent", "The request content was invalid and could not be deserialized.") };
  }
  const tags = checkTags(parsed.properties?.tags);
  if (typeof tags === "string") return { status: 400, headers, body: armErrorBody("InvalidRequestContent", tags) };
  if (route.op === "tagsPut") holder.set(tags);
  else {
    const operation = (parsed.operation ?? "").toLowerCase();
    if (operation === "merge") holder.set({ ...holder.tags, ...tags });
    else if (operation === "replace") holder.set(tags);
    else if (operation === "delete") holder.set(Object.fromEntries(Object.entries(holder.tags).filter(([k, v]) => !(k in tags) || (tags[k] !== "" && tags[k] !== v))));
    else return { status: 400, headers, body: armErrorBody("InvalidRequestContent", "operation must be Merge, Replace or Delete") };
  }
  return { status: 200, headers, body: view() };
}

/** The control API's way to set tags at a scope (a resource group's or a VM's id) without an ARM call. */
export function setTagsAtScope(sim: ArmSimulator, scope: string, tags: Record<string, string>): boolean {
  const segs = scope.split("/").filter(Boolean);
  const low = segs.map((s) => s.toLowerCase());
  if (low[0] !== "subscriptions" || low[2] !== "resourcegroups" || !segs[3]) return false;
  const route: ResourcesRoute = { op: "tagsPut", sub: segs[1]!, rg: segs[3], vm: low[6] === "virtualmachines" ? segs[7] : undefined };
  const holder = tagsHolder(sim, route);
  if (!holder) return false;
  holder.set({ ...tags });
  return true;
}
