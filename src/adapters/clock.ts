/**
 * The app's clock. In Azure it is the system clock; in the local world with compressed time it follows the
 * simulator's clock, so deadlines, rates and the timestamps Azure reports all live on one time line.
 */
import type { Clock } from "../engine/ports";

export function appClock(localTime?: { scale: number; simAnchorMs: number; realAnchorMs: number }): Clock {
  const scale = localTime?.scale ?? 1;
  const realSeconds = (appSeconds: number) => appSeconds / scale;
  return {
    now: localTime ? () => new Date(localTime.simAnchorMs + (Date.now() - localTime.realAnchorMs) * scale) : () => new Date(),
    sleep: (seconds) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, realSeconds(seconds) * 1000))),
    appSeconds: (real) => real * scale,
    realSeconds,
  };
}

/** A clock whose seconds are real seconds (no compression): for callers outside the app's time line. */
export const REAL_TIME: Pick<Clock, "appSeconds" | "realSeconds"> = { appSeconds: (s) => s, realSeconds: (s) => s };
