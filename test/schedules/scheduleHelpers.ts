import { parseSchedule, type Schedule } from "../../src/schedules/schedule";

/** A valid schedule from a body, or the test fails with the problems. */
export function schedule(body: Record<string, unknown>): Schedule {
  const parsed = parseSchedule({ name: "test-schedule", timezone: "UTC", ...body });
  if (!parsed.ok) throw new Error(`schedule refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.schedule;
}

/** One-period schedule, as AWS's tests' simple_schedule(). */
export function simple(period: Record<string, unknown>, options: Record<string, unknown> = {}): Schedule {
  return schedule({ periods: [period], ...options });
}

/** AWS's quick_time(h, m, s): that time on 2023-05-31 (a Wednesday), UTC. */
export function quickTime(h: number, m: number, s = 0): Date {
  return new Date(Date.UTC(2023, 4, 31, h, m, s));
}
