/**
 * Fair share of one bucket between the requests drawing from it: the least-served request goes first.
 *
 * Without it the ledger grants tokens to whichever act message happens to be due. A large run keeps hundreds of VMs
 * due one token apart, so a small ad hoc request posted meanwhile is refused almost every time it asks and finishes
 * about when the large one does: stuck behind it in all but name. With it, each bucket remembers, per request, how
 * many tokens it was granted while it has been asking, and how many it is still waiting for. A request may not take the
 * tokens that another active request, served less than it, is waiting for (up to what it is behind): those are held
 * back for it. So a small request gets the refill until it is done, and two large ones alternate, whatever order
 * their messages arrive in (messages carry batches of VMs and arrive seconds apart, so holding one token would not do).
 *
 * A request that stops asking (done, or past its deadline) is forgotten after `ACTIVE_WINDOW_MS`; until then what it
 * was waiting for stays held. That bounds the cost of a request that disappears while waiting: the others pause for at
 * most the window, once.
 */

/** Per request id: tokens granted while active, the tokens it is still waiting for, and when it last asked (epoch ms). */
export type RequestShares = Record<string, { served: number; waiting: number; seenAt: number }>;

/**
 * A request that has not asked for this long is no longer waiting for tokens. Its VMs come back at most a few
 * seconds apart (one token apart, or at the next token after a refusal), so a minute of silence means it is done.
 */
export const ACTIVE_WINDOW_MS = 60_000;

/** Pure: the requests still active at `nowMs`. */
export function activeShares(shares: RequestShares | undefined, nowMs: number): RequestShares {
  const active: RequestShares = {};
  for (const [id, share] of Object.entries(shares ?? {})) if (nowMs - share.seenAt < ACTIVE_WINDOW_MS) active[id] = share;
  return active;
}

/**
 * Pure: the tokens `requestId` must leave in the bucket: for each other active request served less than it, what that
 * one waits for, up to the tokens it is behind (its deficit). Not more: between requests of equal size the deficit is a
 * batch or so, and holding back everything the others wait for would make each refused request wait for all of it,
 * though the lead changes hands after every batch (measured: 4 requests of 2,500 VMs took 1.18 x the bound instead of
 * 1.06). A small request beside a large one is behind by far more than it waits for, so it still gets all it asks.
 */
export function heldBack(shares: RequestShares, requestId: string): number {
  const served = shares[requestId]?.served ?? 0;
  return Object.entries(shares)
    .filter(([id, share]) => id !== requestId && share.served < served)
    .reduce((sum, [, share]) => sum + Math.min(share.waiting, served - share.served), 0);
}

/**
 * Pure: the shares after `requestId` asked for `want` at `nowMs` and was granted `granted`, and whether they changed
 * enough to be worth a write when nothing was granted (a refused request must be seen as waiting, but re-registering
 * it on every identical refusal would cost a storage write each time; refreshing at half the window keeps it active
 * as long as it asks).
 */
export function recordAsk(shares: RequestShares, requestId: string, want: number, granted: number, nowMs: number): { shares: RequestShares; changed: boolean } {
  const before = shares[requestId];
  // Its refused VMs come back in several messages: one granted in full does not mean the others are served, so what it
  // waits for goes down only by what it is granted (and up when a message is refused more than that).
  const waiting = Math.max((before?.waiting ?? 0) - granted, want - granted);
  const changed = granted > 0 || !before || before.waiting !== waiting || nowMs - before.seenAt >= ACTIVE_WINDOW_MS / 2;
  if (!changed) return { shares, changed };
  return { shares: { ...shares, [requestId]: { served: (before?.served ?? 0) + granted, waiting, seenAt: nowMs } }, changed };
}
