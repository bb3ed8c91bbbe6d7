/**
 * Microsoft.Insights/autoscalesettings in the simulator: stored resources with the shapes of autoscale_API.json
 * (2015-04-01, the version @azure/arm-monitor 7.0.0 sends): list by subscription and resource group, get, create or
 * update (PUT), update (PATCH: the given tags and properties replace theirs), delete. The simulator scales nothing:
 * a setting is only read, enabled and disabled (docs/local-world.md "Autoscale settings").
 */
import type { SimResponse } from "./http-util";
import type { AutoscaleRoute } from "./route-table";
import { armErrorBody } from "./errors";

export const AUTOSCALE_TYPE = "Microsoft.Insights/autoscaleSettings";

export interface AutoscaleSetting {
  id: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  /** Whatever the body carried, with `name`, `enabled` and `targetResourceUri` always present. */
  properties: Record<string, unknown> & { enabled: boolean; targetResourceUri: string };
}

export function autoscaleSettingId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Insights/autoscalesettings/${name}`;
}

export class AutoscaleSettings {
  private readonly settings = new Map<string, AutoscaleSetting>();

  clear(): void {
    this.settings.clear();
  }

  list(): AutoscaleSetting[] {
    return [...this.settings.values()];
  }

  put(setting: AutoscaleSetting): { created: boolean } {
    const key = setting.id.toLowerCase();
    const created = !this.settings.has(key);
    this.settings.set(key, setting);
    return { created };
  }

  /** The serving half: `body` is the raw request body; `page` pages a list the way every simulated list pages. */
  serve(route: AutoscaleRoute, rawBody: string, headers: Record<string, string>, page: (all: AutoscaleSetting[], toJson: (s: AutoscaleSetting) => unknown) => unknown): SimResponse {
    switch (route.op) {
      case "autoscaleList": {
        const prefix = `/subscriptions/${route.sub}/${route.rg ? `resourcegroups/${route.rg}/` : ""}`.toLowerCase();
        return { status: 200, headers, body: page(this.list().filter((s) => s.id.toLowerCase().startsWith(prefix)), settingJson) };
      }
      case "autoscaleGet": {
        const found = this.settings.get(idOf(route).toLowerCase());
        return found ? { status: 200, headers, body: settingJson(found) } : notFound(headers, route);
      }
      case "autoscaleDelete":
        return { status: this.settings.delete(idOf(route).toLowerCase()) ? 200 : 204, headers };
      case "autoscalePut": {
        const body = parse(rawBody);
        if ("error" in body) return bad(headers, body.code, body.error);
        const problem = putProblem(body.value);
        if (problem) return bad(headers, "BadRequest", problem);
        const p = body.value.properties as Record<string, unknown>;
        const setting: AutoscaleSetting = {
          id: idOf(route),
          name: route.name!,
          location: String(body.value.location),
          tags: (body.value.tags as Record<string, string> | undefined) ?? {},
          // The spec's default for `enabled` is true.
          properties: { ...p, name: typeof p.name === "string" ? p.name : route.name!, enabled: p.enabled !== false, targetResourceUri: String(p.targetResourceUri) },
        };
        const { created } = this.put(setting);
        return { status: created ? 201 : 200, headers, body: settingJson(setting) };
      }
      case "autoscalePatch": {
        const found = this.settings.get(idOf(route).toLowerCase());
        if (!found) return notFound(headers, route);
        const body = parse(rawBody);
        if ("error" in body) return bad(headers, body.code, body.error);
        const problem = patchProblem(body.value);
        if (problem) return bad(headers, "BadRequest", problem);
        const patch = (body.value.properties as Record<string, unknown> | undefined) ?? {};
        const updated: AutoscaleSetting = {
          ...found,
          tags: body.value.tags !== undefined ? { ...(body.value.tags as Record<string, string>) } : found.tags,
          properties: { ...found.properties, ...patch } as AutoscaleSetting["properties"],
        };
        this.put(updated);
        return { status: 200, headers, body: settingJson(updated) };
      }
    }
  }
}

function idOf(route: AutoscaleRoute): string {
  return autoscaleSettingId(route.sub, route.rg!, route.name!);
}

function settingJson(s: AutoscaleSetting): unknown {
  return { id: s.id, name: s.name, type: AUTOSCALE_TYPE, location: s.location, tags: s.tags, properties: s.properties };
}

function parse(raw: string): { value: Record<string, unknown> } | { code: string; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw || "{}");
  } catch {
    return { code: "InvalidRequestContent", error: "The request content was invalid and could not be deserialized." };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { code: "InvalidRequestContent", error: "The request body must be a JSON object." };
  return { value: value as Record<string, unknown> };
}

function tagsProblem(tags: unknown): string | undefined {
  if (tags === undefined) return undefined;
  if (tags === null || typeof tags !== "object" || Array.isArray(tags) || Object.values(tags).some((v) => typeof v !== "string")) return "Property 'tags' must be an object of string values.";
  return undefined;
}

/** What a PUT must carry (autoscale_API.json: a tracked resource with `properties.profiles`, 1 to 20 of them). */
function putProblem(body: Record<string, unknown>): string | undefined {
  if (typeof body.location !== "string" || !body.location) return "Property 'location' is required.";
  const p = body.properties as Record<string, unknown> | undefined;
  if (!p || typeof p !== "object") return "Property 'properties' is required.";
  if (!Array.isArray(p.profiles) || p.profiles.length < 1 || p.profiles.length > 20) return "Property 'properties.profiles' must be an array of 1 to 20 profiles.";
  if (typeof p.targetResourceUri !== "string" || !p.targetResourceUri) return "Property 'properties.targetResourceUri' is required.";
  if (p.enabled !== undefined && typeof p.enabled !== "boolean") return "Property 'properties.enabled' must be true or false.";
  return tagsProblem(body.tags);
}

function patchProblem(body: Record<string, unknown>): string | undefined {
  const p = body.properties as Record<string, unknown> | undefined;
  if (p !== undefined && (p === null || typeof p !== "object" || Array.isArray(p))) return "Property 'properties' must be an object.";
  if (p?.enabled !== undefined && typeof p.enabled !== "boolean") return "Property 'properties.enabled' must be true or false.";
  if (p?.profiles !== undefined && (!Array.isArray(p.profiles) || p.profiles.length < 1 || p.profiles.length > 20)) return "Property 'properties.profiles' must be an array of 1 to 20 profiles.";
  if (p?.targetResourceUri !== undefined && (typeof p.targetResourceUri !== "string" || !p.targetResourceUri)) return "Property 'properties.targetResourceUri' must be a resource id.";
  return tagsProblem(body.tags);
}

function notFound(headers: Record<string, string>, route: AutoscaleRoute): SimResponse {
  return {
    status: 404,
    headers,
    body: armErrorBody("ResourceNotFound", `The Resource '${AUTOSCALE_TYPE}/${route.name}' under resource group '${route.rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  };
}

function bad(headers: Record<string, string>, code: string, message: string): SimResponse {
  return { status: 400, headers, body: armErrorBody(code, message) };
}
