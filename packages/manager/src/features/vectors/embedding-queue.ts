/**
 * Embeds stored messages off the request path: the addMessage hook only enqueues; a drain scheduled a
 * few milliseconds later embeds the queued messages in batches and upserts them. Searches over messages
 * first wait for the queue of their user, so a stored message is visible to them right away.
 */
import type { Logger } from '@ffdb/core-types';

export interface QueuedMessage {
  userId: string;
  sessionId: string;
  messageId: string;
  seq: number;
  role: string;
  content: string;
  timestamp: string;
}

export class EmbeddingQueue {
  private pending: QueuedMessage[] = [];
  private draining: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(
    private readonly process: (batch: QueuedMessage[]) => Promise<void>,
    private readonly logger: Logger,
    private readonly delayMs = 25,
  ) {}

  enqueue(items: QueuedMessage[]): void {
    if (!items.length) return;
    this.pending.push(...items);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      void this.drain();
    }, this.delayMs).unref?.();
  }

  /** Processes everything queued so far; resolves when it is indexed (errors are logged, never thrown). */
  drain(): Promise<void> {
    this.draining = this.draining.then(async () => {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.process(batch);
        } catch (err) {
          this.logger.warn(
            { count: batch.length, code: (err as { code?: unknown })?.code, err: (err as Error)?.message },
            'embedding stored messages failed',
          );
        }
      }
    });
    return this.draining;
  }

  get size(): number {
    return this.pending.length;
  }
}
