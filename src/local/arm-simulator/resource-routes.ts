/** Which Microsoft.Resources routes the simulator serves (resource groups, tags at scope) and the RBAC action each needs; served in resource-tags.ts. */
export type ResourcesOperation = "resourceGroupList" | "resourceGroupGet" | "tagsGet" | "tagsPut" | "tagsPatch" | "tagsDelete";

export interface ResourcesRoute {
  op: ResourcesOperation;
  sub: string;
  rg?: string;
  vm?: string;
}

const TAG_OPS: Record<string, ResourcesOperation> = { GET: "tagsGet", PUT: "tagsPut", PATCH: "tagsPatch", DELETE: "tagsDelete" };

export function isResourcesRoute(route: { op: string }): route is ResourcesRoute {
  return route.op === "resourceGroupList" || route.op === "resourceGroupGet" || route.op.startsWith("tags");
}

/** The Microsoft.Resources routes among `segs` (decoded) / `low` (lower-cased); undefined when it is none of them. */
export function parseResourcesRoute(method: string, segs: string[], low: string[]): ResourcesRoute | { op: "unknown"; sub: string; badMethod: true } | undefined {
  const sub = segs[1]!;
  if (low.length === 3 && low[2] === "resourcegroups") return method === "GET" ? { op: "resourceGroupList", sub } : { op: "unknown", sub, badMethod: true };
  if (low.length === 4 && low[2] === "resourcegroups") return method === "GET" ? { op: "resourceGroupGet", sub, rg: segs[3] } : { op: "unknown", sub, badMethod: true };
  const n = low.length;
  if (n >= 8 && low[n - 4] === "providers" && low[n - 3] === "microsoft.resources" && low[n - 2] === "tags" && low[n - 1] === "default" && low[2] === "resourcegroups") {
    const op = TAG_OPS[method];
    if (!op) return { op: "unknown", sub, badMethod: true };
    if (n === 8) return { op, sub, rg: segs[3] };
    if (n === 11 && low[4] === "providers" && low[5] === "microsoft.compute" && low[6] === "virtualmachines") return { op, sub, rg: segs[3], vm: segs[7] };
  }
  return undefined;
}

/** The RBAC action each route needs, at its scope. */
export function resourcesAction(route: ResourcesRoute): { action: string; scope: string } {
  const sub = `/subscriptions/${route.sub}`;
  if (route.op === "resourceGroupList") return { action: "Microsoft.Resources/subscriptions/resourceGroups/read", scope: sub };
  if (route.op === "resourceGroupGet") return { action: "Microsoft.Resources/subscriptions/resourceGroups/read", scope: `${sub}/resourceGroups/${route.rg}` };
  const scope = route.vm ? `${sub}/resourceGroups/${route.rg}/providers/Microsoft.Compute/virtualMachines/${route.vm}` : `${sub}/resourceGroups/${route.rg}`;
  return { action: route.op === "tagsGet" ? "Microsoft.Resources/tags/read" : route.op === "tagsDelete" ? "Microsoft.Resources/tags/delete" : "Microsoft.Resources/tags/write", scope };
}
