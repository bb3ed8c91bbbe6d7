/**
 * Simulated clock: simNow = simStart + realElapsed × timeScale + manual advances.
 * Rebased whenever the scale changes so past simulated time never jumps.
 */
export class Clock {
  private simBase: number;
  private realBase: number;
  private scale: number;

  constructor(
    timeScale = 1,
    simStartMs: number = Date.now(),
    private readonly realNow: () => number = () => performance.now(),
  ) {
    assertScale(timeScale);
    this.simBase = simStartMs;
    this.realBase = this.realNow();
    this.scale = timeScale;
  }

  /** Simulated epoch milliseconds. */
  now(): number {
    return this.simBase + (this.realNow() - this.realBase) * this.scale;
  }

  get timeScale(): number {
    return this.scale;
  }

  setTimeScale(timeScale: number): void {
    assertScale(timeScale);
    this.simBase = this.now();
    this.realBase = this.realNow();
    this.scale = timeScale;
  }

  /** Jumps simulated time forward (never backward: buckets and operations assume monotonic time). */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError("seconds must be a non-negative number");
    this.simBase += seconds * 1000;
  }

  /** Converts a simulated waiting time into the real seconds told to clients (ceil, at least 1). */
  toRealSeconds(simMs: number): number {
    return Math.max(1, Math.ceil(simMs / 1000 / this.scale));
  }

  /** Back to scale 1 without moving simulated time backwards. */
  reset(): void {
    this.setTimeScale(1);
  }
}

function assertScale(s: number): void {
  if (!Number.isFinite(s) || s <= 0) throw new RangeError("timeScale must be a positive number");
}
