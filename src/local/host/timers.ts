import type { CoreRegistry } from "./coreApi";
import { invoke } from "./invoke";
import { nextOccurrence, parseNcrontab, type CronSchedule } from "./ncrontab";
import { parseTimeSpan, resolveSettingExpression } from "./settings";
import type { RegisteredFunction } from "./types";

type Schedule = { kind: "cron"; cron: CronSchedule } | { kind: "interval"; ms: number };

export function parseSchedule(text: string): Schedule {
  const resolved = resolveSettingExpression(text).trim();
  if (/^(\d+\.)?\d{1,2}:\d{1,2}(:\d{1,2})?$/.test(resolved)) {
    const ms = parseTimeSpan(resolved, 0);
    if (ms <= 0) throw new Error(`Timer interval "${resolved}" must be positive`);
    return { kind: "interval", ms };
  }
  return { kind: "cron", cron: parseNcrontab(resolved) };
}

function next(schedule: Schedule, after: Date): Date {
  return schedule.kind === "cron" ? nextOccurrence(schedule.cron, after) : new Date(after.getTime() + schedule.ms);
}

/**
 * Runs one timerTrigger function on its schedule (UTC). Like the host, an occurrence never overlaps
 * the previous one: the next occurrence is computed when an invocation ends.
 */
export class TimerRunner {
  readonly #registry: CoreRegistry;
  readonly #fn: RegisteredFunction;
  readonly #schedule: Schedule;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #current: Promise<void> | undefined;
  #last: Date | undefined;

  constructor(registry: CoreRegistry, fn: RegisteredFunction) {
    this.#registry = registry;
    this.#fn = fn;
    this.#schedule = parseSchedule(String(fn.trigger.schedule ?? ""));
  }

  start(): void {
    if (this.#fn.trigger.runOnStartup === true || String(this.#fn.trigger.runOnStartup).toLowerCase() === "true") {
      this.#fire(new Date(), false);
    } else {
      this.#scheduleNext();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#current;
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    const now = new Date();
    const due = next(this.#schedule, now);
    const wait = Math.max(0, due.getTime() - Date.now());
    // setTimeout cannot wait longer than ~24.8 days; re-arm in steps.
    const step = Math.min(wait, 2 ** 31 - 1);
    this.#timer = setTimeout(() => {
      if (step < wait) return this.#scheduleNext();
      this.#fire(due, Date.now() - due.getTime() > 60_000);
    }, step);
  }

  #fire(due: Date, isPastDue: boolean): void {
    if (this.#stopped) return;
    const status = this.#last
      ? { Last: this.#last.toISOString(), Next: next(this.#schedule, due).toISOString(), LastUpdated: new Date().toISOString() }
      : null;
    this.#last = due;
    const timerInfo = { Schedule: { AdjustForDST: true }, ScheduleStatus: status, IsPastDue: isPastDue };
    this.#current = invoke(this.#registry, this.#fn, {
      inputData: [{ name: this.#fn.triggerName, data: { json: JSON.stringify(timerInfo) } }],
      triggerMetadata: {},
      reason: `Timer fired at ${new Date().toISOString()}`,
    })
      .then(() => undefined, () => undefined) // failures are logged by invoke
      .finally(() => {
        this.#current = undefined;
        this.#scheduleNext();
      });
  }
}
