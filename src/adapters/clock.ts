/**
 * The app's clock. In Azure it is the system clock; in the local world with compressed time it follows the
 * simulator's clock, so deadlines, rates and the timestamps Azure reports all live on one time line.
 */
import type { Clock } from "../engine/ports";

export function appClock(localTime?: { scale: number; simAnchorMs: number; realAnchorMs: number }): Clock {
  const sleepFor = (scale: number) => (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, (seconds * 1000) / scale)));
  if (!localTime) return { now: () => new Date(), sleep: sleepFor(1) };
  const { scale, simAnchorMs, realAnchorMs } = localTime;
  return { now: () => new Date(simAnchorMs + (Date.now() - realAnchorMs) * scale), sleep: sleepFor(scale) };
}
