/**
 * The app's clock. In Azure it is the system clock; in the local world with compressed time it follows the
 * simulator's clock, so deadlines, rates and the timestamps Azure reports all live on one time line.
 */
import type { Clock } from "../engine/ports";

export function appClock(localTime?: { scale: number; simAnchorMs: number; realAnchorMs: number }): Clock {
  if (!localTime) return { now: () => new Date() };
  const { scale, simAnchorMs, realAnchorMs } = localTime;
  return { now: () => new Date(simAnchorMs + (Date.now() - realAnchorMs) * scale) };
}
