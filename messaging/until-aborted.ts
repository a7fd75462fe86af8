/**
 * Waits for `work`, but rejects with the signal's reason as soon as the signal aborts: a handler
 * that ignores its AbortSignal (a hung parser, a library without cancellation) cannot keep the
 * runtime waiting past the stage deadline. The abandoned promise's outcome is ignored.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return untilCalled(work, (abort) => {
    if (signal.aborted) {
      abort(signal.reason);
      return () => {};
    }
    const onAbort = () => abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  });
}

/**
 * The same for any source of an abort: `watch` gets the function to call with the reason (at once
 * if it is known already) and returns how to stop watching, called once `work` settles.
 */
export function untilCalled<T>(work: Promise<T>, watch: (abort: (reason: unknown) => void) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = watch((reason) => {
      work.catch(() => {});
      reject(reason);
    });
    work.then(
      (value) => { stop(); resolve(value); },
      (error) => { stop(); reject(error); },
    );
  });
}
