/** Replays a token bucket over the simulator's timestamps of accepted calls: its lowest level (below zero = overdrawn). */
export function lowestTokens(callTimesMs: number[], bucket: { burst: number; perMinute: number }): number {
  const times = [...callTimesMs].sort((a, b) => a - b);
  let tokens = bucket.burst;
  let at = times[0] ?? 0;
  let lowest = Infinity;
  for (const t of times) {
    tokens = Math.min(bucket.burst, tokens + ((t - at) / 60_000) * bucket.perMinute) - 1;
    at = t;
    lowest = Math.min(lowest, tokens);
  }
  return lowest;
}
