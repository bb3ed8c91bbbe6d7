/**
 * Runs `work` over `items` with at most `limit` in flight, keeping the input order in the result. Once one item
 * throws, no further item is started (the others in flight finish) and the first error is rethrown: after a failure
 * the caller's message is retried, and work started after the failure would only be repeated then.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
