/** Append-only log of ARM requests (control API requests are not logged). */

export interface RequestLogEntry {
  seq: number;
  /** Simulated ISO time. */
  time: string;
  method: string;
  path: string;
  query: string;
  status: number;
  principal: string | null;
  subscriptionId: string | null;
  region: string | null;
  vmId: string | null;
  /** The scale set a scale-set request addressed (its own routes and its instances'), else null. */
  scaleSetId: string | null;
  /** The instance ids a batched scale-set action carried (every instance when its body named none), else null. */
  instanceIds: string[] | null;
  operation: string | null;
  /** Bucket name that rejected the request with 429, else null. */
  throttledBy: string | null;
  /** Fault rule that answered or failed the request, else null. */
  faultId: string | null;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  append(entry: Omit<RequestLogEntry, "seq">): RequestLogEntry {
    const full = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    return full;
  }

  /** Entries with seq > since; seqs are dense from the last clear, so this is a slice, not a scan. */
  since(since = 0): { requests: RequestLogEntry[]; lastSeq: number } {
    const first = this.entries.length ? this.entries[0].seq : this.seq + 1;
    const start = Math.max(0, since + 1 - first);
    return { requests: this.entries.slice(start), lastSeq: this.seq };
  }

  /** Keeps numbering going so a client's `since` stays meaningful after a clear. */
  clear(): void {
    this.entries = [];
  }
}
