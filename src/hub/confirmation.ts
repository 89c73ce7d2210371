/**
 * A topic's confirmation: a promise that settles once, confirmed (the source
 * answered the subscribe) or refused (the source failed the topic first).
 * Joins of the topic hand it out as `TopicHandle.confirmed`.
 */
export class Confirmation {
  readonly promise: Promise<void>;
  settled = false;
  #resolve!: () => void;
  #reject!: (error: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => undefined);
  }

  confirm(): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve();
  }

  refuse(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#reject(error);
  }
}
