/** The first start of a VM between two times, by anyone, read from its Activity Log records. */
import type { VmRef } from "../domain/resourceId";
import type { VmActivity } from "../platformEvents/evictionVerdict";
import type { StartLookup } from "./ports";

const START = /^microsoft\.compute\/virtualmachines\/start\/action$/i;

export class ActivityLogStartLookup implements StartLookup {
  constructor(private readonly activity: { vmActivity(ref: VmRef, from: Date, to: Date): Promise<VmActivity[]> }) {}

  async firstStart(vm: VmRef, from: Date, to: Date): Promise<Date | undefined> {
    const records = await this.activity.vmActivity(vm, from, to);
    const starts = records.filter((r) => r.category === "Administrative" && START.test(r.operationName) && r.status !== "Failed" && r.time >= from && r.time <= to);
    return starts.length === 0 ? undefined : new Date(Math.min(...starts.map((r) => r.time.getTime())));
  }
}
