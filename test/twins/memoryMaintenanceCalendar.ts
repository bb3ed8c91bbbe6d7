/** The maintenance calendar's in-memory twin: the windows a test announces. */
import type { MaintenanceCalendar, MaintenanceWindow } from "../../src/engine/ports";

export class MemoryMaintenanceCalendar implements MaintenanceCalendar {
  readonly windows: MaintenanceWindow[] = [];

  async openWindows(now: Date): Promise<MaintenanceWindow[]> {
    return this.windows.filter((w) => w.end >= now);
  }
}
