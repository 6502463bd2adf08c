/** An AbortController aborted when any of `signals` aborts; `unlink()` drops the listeners. */
export function linkedController(signals: (AbortSignal | undefined)[]): { controller: AbortController; unlink(): void } {
  const controller = new AbortController();
  const links: [AbortSignal, () => void][] = [];
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const abort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    links.push([signal, abort]);
  }
  return {
    controller,
    unlink: () => {
      for (const [signal, abort] of links) signal.removeEventListener('abort', abort);
      links.length = 0;
    },
  };
}
