/** Azure tag names are case-insensitive (values are not): one lookup for every tag the app reads. */
export function tagValue(tags: Record<string, string> | undefined | null, name: string): string | undefined {
  if (typeof tags !== "object" || tags === null) return undefined;
  const wanted = name.trim().toLowerCase();
  const entry = Object.entries(tags).find(([k]) => k.trim().toLowerCase() === wanted);
  return entry === undefined ? undefined : String(entry[1]);
}
