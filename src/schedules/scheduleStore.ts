/** The port schedules are kept behind: one record per named schedule, as the user wrote it. */
import type { ScheduleInput } from "./schedule";

export interface StoredSchedule {
  input: ScheduleInput;
  updatedAt: Date;
}

export interface ScheduleStore {
  get(name: string): Promise<StoredSchedule | undefined>;
  list(): Promise<StoredSchedule[]>;
  /** Creates or replaces; says whether it was new. */
  put(input: ScheduleInput, at: Date): Promise<{ created: boolean }>;
  /** Says whether there was one to delete. */
  delete(name: string): Promise<boolean>;
}
