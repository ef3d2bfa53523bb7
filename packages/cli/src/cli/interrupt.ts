/**
 * Ctrl-C handling. The first SIGINT aborts the command's signal: loops stop between units of work and
 * the store is closed normally (every write is atomic or an acknowledged append, so the store is
 * consistent). A second SIGINT exits at once with 130 — still safe for the same reason.
 */
export interface Interrupt {
  signal: AbortSignal;
  /** The signal that aborted it (SIGINT is Ctrl-C; SIGTERM a request to stop). */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

export function installInterrupt(stderr: NodeJS.WriteStream, quiet: boolean): Interrupt {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.exit(130);
    }
    received = name;
    controller.abort();
    if (!quiet && name === 'SIGINT') stderr.write('\nStopping… (press Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
