/**
 * HTTP route templates as the Functions host understands them (ASP.NET style, simplified):
 * literal segments (case-insensitive), `{name}`, `{name?}`, `{name:constraint}`, `{*rest}`.
 */

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
  catchAll?: boolean;
  constraint?: string;
}

export interface CompiledRoute {
  template: string;
  segments: Segment[];
}

export function compileRoute(template: string): CompiledRoute {
  const parts = template.replace(/^\/+|\/+$/g, "").split("/").filter((p) => p !== "");
  const segments = parts.map((part): Segment => {
    const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::([^}?=]+))?(\?)?\}$/.exec(part);
    if (!m) {
      if (/[{}]/.test(part)) throw new Error(`Unsupported route segment "${part}" in route "${template}"`);
      return { literal: part.toLowerCase() };
    }
    return { param: m[2], catchAll: Boolean(m[1]), constraint: m[3]?.toLowerCase(), optional: Boolean(m[4]) || Boolean(m[1]) };
  });
  return { template, segments };
}

function satisfies(value: string, constraint: string | undefined): boolean {
  switch (constraint) {
    case undefined: return true;
    case "int": case "long": return /^-?\d+$/.test(value);
    case "guid": return /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(value);
    case "bool": return /^(true|false)$/i.test(value);
    case "alpha": return /^[a-z]+$/i.test(value);
    default: return true;
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Matches a raw (still percent-encoded) path (without prefix) against a route; returns its params or undefined. */
export function matchRoute(route: CompiledRoute, rawPath: string): Record<string, string> | undefined {
  const parts = rawPath.replace(/^\/+|\/+$/g, "").split("/").filter((p) => p !== "").map(safeDecode);
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.segments) {
    if (segment.catchAll) {
      if (i < parts.length) params[segment.param as string] = parts.slice(i).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) {
      if (segment.param && segment.optional) continue;
      return undefined;
    }
    if (segment.literal !== undefined) {
      if (part.toLowerCase() !== segment.literal) return undefined;
    } else {
      if (!satisfies(part, segment.constraint)) return undefined;
      params[segment.param as string] = part;
    }
    i++;
  }
  return i === parts.length ? params : undefined;
}
