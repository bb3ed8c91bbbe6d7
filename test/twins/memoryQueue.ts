/** A message queue's in-memory twin: keeps what was sent (with its delay) so a test delivers it when, and as often as, it likes. */
import type { MessageQueue } from "../../src/engine/ports";

export class MemoryQueue<T> implements MessageQueue<T> {
  readonly sent: { message: T; delaySeconds: number }[] = [];

  async send(message: T, delaySeconds = 0): Promise<void> {
    this.sent.push({ message: structuredClone(message), delaySeconds });
  }

  async sendMany(messages: T[], delaySeconds: number | ((message: T) => number) = 0): Promise<void> {
    for (const m of messages) await this.send(m, typeof delaySeconds === "number" ? delaySeconds : delaySeconds(m));
  }

  /** Removes and returns everything sent so far. */
  take(): T[] {
    return this.sent.splice(0).map((s) => s.message);
  }
}
