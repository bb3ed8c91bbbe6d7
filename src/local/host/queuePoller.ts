import { randomUUID } from "node:crypto";
import type { DequeuedMessageItem, QueueClient } from "@azure/storage-queue";
import type { CoreRegistry } from "./coreApi";
import { invoke } from "./invoke";
import { errorText, hostLog } from "./log";
import { decodeMessage, ensureQueue } from "./queueConnection";
import type { QueueOptions } from "./settings";
import { jsonTypedData, textToTypedData } from "./typedData";
import type { RegisteredFunction, RpcTypedData } from "./types";

const MIN_POLL_MS = 100;

export interface QueuePollerOptions {
  registry: CoreRegistry;
  fn: RegisteredFunction;
  queue: QueueClient;
  poison: QueueClient;
  options: QueueOptions;
  /** Visibility timeout while a message is being processed (renewed at half of it). */
  leaseSeconds: number;
}

/** The trigger metadata the host sends for a queue message (the library camel-cases the keys). */
export function queueTriggerMetadata(message: DequeuedMessageItem, text: string, functionName: string): Record<string, RpcTypedData> {
  return {
    QueueTrigger: { string: text },
    Id: jsonTypedData(message.messageId),
    DequeueCount: jsonTypedData(message.dequeueCount),
    InsertionTime: jsonTypedData(message.insertedOn.toISOString()),
    ExpirationTime: jsonTypedData(message.expiresOn.toISOString()),
    NextVisibleTime: jsonTypedData(message.nextVisibleOn.toISOString()),
    PopReceipt: jsonTypedData(message.popReceipt),
    sys: jsonTypedData({ MethodName: functionName, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}

/**
 * Polls one queue for one queueTrigger function, like the WebJobs queue listener:
 * batches of up to batchSize, a new batch when in-flight ≤ newBatchThreshold, exponential poll back-off
 * up to maxPollingInterval while empty, lease renewal while running, delete on success,
 * release (visibilityTimeout) or move to `<queue>-poison` on failure.
 */
export class QueuePoller {
  readonly #o: QueuePollerOptions;
  #stopped = false;
  readonly #abort = new AbortController();
  #inFlight = 0;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  readonly #processing = new Set<Promise<void>>();

  constructor(options: QueuePollerOptions) {
    this.#o = options;
  }

  start(): void {
    this.#loop = this.#run().catch((error) => hostLog(`queue poller for ${this.#o.fn.name} stopped: ${errorText(error)}`, "error"));
  }

  /** Stops fetching; messages already being processed continue (wait with `drain`). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** Waits for the messages being processed. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.#processing]);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #run(): Promise<void> {
    const { queue, poison, options, fn } = this.#o;
    let delay = MIN_POLL_MS;
    while (!this.#stopped) {
      try {
        await ensureQueue(queue, this.#abort.signal);
        await ensureQueue(poison, this.#abort.signal);
        break;
      } catch (error) {
        if (this.#stopped) break;
        hostLog(`${fn.name}: cannot create queue ${queue.name}: ${errorText(error)}`, "warning");
        await this.#sleep(Math.min(options.maxPollingIntervalMs, 5000));
      }
    }
    while (!this.#stopped) {
      if (this.#inFlight > options.newBatchThreshold) {
        await this.#sleep(options.maxPollingIntervalMs);
        continue;
      }
      const wanted = Math.max(1, Math.min(32, options.batchSize - this.#inFlight));
      let messages: DequeuedMessageItem[];
      try {
        const response = await queue.receiveMessages({
          numberOfMessages: wanted, visibilityTimeout: this.#o.leaseSeconds, abortSignal: this.#abort.signal,
        });
        messages = response.receivedMessageItems;
      } catch (error) {
        if (this.#stopped) break;
        hostLog(`${fn.name}: receiving from ${queue.name} failed: ${errorText(error)}`, "warning");
        delay = Math.min(delay * 2, options.maxPollingIntervalMs);
        await this.#sleep(delay);
        continue;
      }
      if (this.#stopped) {
        // Received while stopping: hand the messages straight back.
        await Promise.allSettled(messages.map((m) => queue.updateMessage(m.messageId, m.popReceipt, m.messageText, 0)));
        break;
      }
      if (messages.length === 0) {
        await this.#sleep(delay);
        delay = Math.min(delay * 2, options.maxPollingIntervalMs);
        continue;
      }
      delay = MIN_POLL_MS;
      for (const message of messages) {
        this.#inFlight++;
        const p: Promise<void> = this.#process(message)
          .catch((error) => hostLog(`${fn.name}: message ${message.messageId} handling failed: ${errorText(error)}`, "error"))
          .finally(() => {
            this.#inFlight--;
            this.#processing.delete(p);
            if (this.#inFlight <= options.newBatchThreshold) this.#wake?.();
          });
        this.#processing.add(p);
      }
    }
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { queue, poison, options, fn, registry, leaseSeconds } = this.#o;
    let popReceipt = message.popReceipt;
    let leaseLost = false;
    // All storage operations on this message run one after the other (renewals change the pop receipt).
    let chain: Promise<unknown> = Promise.resolve();
    const serial = <T>(op: () => Promise<T>): Promise<T> => {
      const next = chain.then(op, op);
      chain = next.catch(() => undefined);
      return next;
    };
    const renewer = setInterval(() => {
      if (leaseLost) return;
      serial(async () => {
        const r = await queue.updateMessage(message.messageId, popReceipt, message.messageText, leaseSeconds);
        if (r.popReceipt) popReceipt = r.popReceipt;
      }).catch((error) => {
        leaseLost = true;
        hostLog(`${fn.name}: lost the lease on message ${message.messageId}; it will be processed again (${errorText(error)})`, "warning");
      });
    }, Math.max(500, (leaseSeconds * 1000) / 2));

    let failed: unknown;
    try {
      if (message.dequeueCount > options.maxDequeueCount) {
        failed = new Error(`dequeue count ${message.dequeueCount} exceeds maxDequeueCount ${options.maxDequeueCount}`);
      } else {
        const text = decodeMessage(message.messageText, options.messageEncoding);
        await invoke(registry, fn, {
          inputData: [{ name: fn.triggerName, data: textToTypedData(text) }],
          triggerMetadata: queueTriggerMetadata(message, text, fn.name),
          reason: `New queue message detected on '${queue.name}'.`,
        });
      }
    } catch (error) {
      failed = error ?? new Error("failed");
    } finally {
      clearInterval(renewer);
    }

    await serial(async () => {
      if (leaseLost) return;
      try {
        if (failed === undefined) {
          await queue.deleteMessage(message.messageId, popReceipt);
        } else if (message.dequeueCount >= options.maxDequeueCount) {
          hostLog(`${fn.name}: message ${message.messageId} has reached MaxDequeueCount of ${options.maxDequeueCount}. ` +
            `Moving message to queue '${poison.name}'.`, "warning");
          await poison.sendMessage(message.messageText);
          await queue.deleteMessage(message.messageId, popReceipt);
        } else {
          await queue.updateMessage(message.messageId, popReceipt, message.messageText,
            Math.round(options.visibilityTimeoutMs / 1000));
        }
      } catch (error) {
        hostLog(`${fn.name}: completing message ${message.messageId} failed (it will be processed again): ${errorText(error)}`, "warning");
      }
    });
  }
}
