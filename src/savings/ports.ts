/** What the savings service needs from the outside world; adapters in src/adapters implement them. */
import type { VmRef } from "../domain/resourceId";
import type { HistoryEvent, PackedHistory } from "./history";
import type { PriceItem } from "./rates";

export interface SavingsHistoryStore {
  /** Stores one finished run's events (idempotent: a second write of the same run replaces the first). */
  append(run: { requestId: string; createdAt: Date }, events: HistoryEvent[]): Promise<void>;
  /** Each VM's events of the runs created in [from, to), how many there are, and how many storage requests reading them took. */
  read(from: Date, to: Date, onSubscription?: (subscriptionId: string) => void): Promise<{ history: PackedHistory; events: number; storageReads: number }>;
}

/** The Azure Retail Prices API: every VM Consumption row of one region and size, in `currency`. Throws when unavailable. */
export interface PriceSource {
  vmPrices(region: string, size: string, currency: string): Promise<PriceItem[]>;
}

export interface CachedPrices {
  items: PriceItem[];
  fetchedAt: Date;
}

export interface PriceCache {
  get(region: string, size: string, currency: string): Promise<CachedPrices | undefined>;
  put(region: string, size: string, currency: string, prices: CachedPrices): Promise<void>;
}

/** When the VM was started between two times, by anyone (the Activity Log); undefined if no start is recorded. */
export interface StartLookup {
  firstStart(vm: VmRef, from: Date, to: Date): Promise<Date | undefined>;
}
