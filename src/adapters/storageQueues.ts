/**
 * Sending work to the app's queues. Messages are base64-encoded JSON, which is what the Functions host's
 * queue trigger expects by default (host.json messageEncoding), and a delay is a visibility timeout:
 * the queue is the app's timer, so no function ever sleeps.
 */
import type { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import { mapWithConcurrency } from "../engine/concurrency";
import type { Clock, MessageQueue } from "../engine/ports";
import { REAL_TIME } from "./clock";

const SEND_CONCURRENCY = 32;
/**
 * A message's visibility timeout may not exceed 7 days (Put Message: "visibilitytimeout … cannot be larger than 7 days"),
 * or the queue refuses the message (400) and the sender's work fails. Longer waits are clamped: the message arrives early,
 * and the step it wakes finds its row still waiting and sends it on again.
 */
export const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 60;

export class StorageMessageQueue<T> implements MessageQueue<T> {
  private readonly client: QueueClient;
  private ready?: Promise<unknown>;

  /** Delays are in the app's seconds; the clock turns them into the queue's real ones. */
  constructor(service: QueueServiceClient, queueName: string, private readonly clock: Pick<Clock, "realSeconds"> = REAL_TIME) {
    this.client = service.getQueueClient(queueName);
  }

  async send(message: T, delaySeconds = 0): Promise<void> {
    this.ready ??= this.client.createIfNotExists().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    await this.client.sendMessage(Buffer.from(JSON.stringify(message), "utf8").toString("base64"), {
      // Never earlier than asked (a Retry-After must be honoured), so round up to the queue's whole seconds.
      visibilityTimeout: delaySeconds > 0 ? Math.min(Math.ceil(this.clock.realSeconds(delaySeconds)), MAX_VISIBILITY_SECONDS) : undefined,
    });
  }

  async sendMany(messages: T[], delaySeconds: number | ((message: T) => number) = 0): Promise<void> {
    await mapWithConcurrency(messages, SEND_CONCURRENCY, (m) => this.send(m, typeof delaySeconds === "number" ? delaySeconds : delaySeconds(m)));
  }
}
