/**
 * Work on the event loop in slices: run a unit of work repeatedly for at most `sliceMs`, then
 * yield (setImmediate, or a pause on an unref'd timer), so requests are answered between slices.
 * Stopping cancels whatever is scheduled next and rejects it with `Stopped`.
 */

/** The work was stopped before it finished. */
export class Stopped extends Error {}

export interface Slicer {
  /**
   * Run `unit` (true when done) in slices, yielding `pause` ms (0: setImmediate) between them.
   * @throws Stopped, or what `unit` throws
   */
  inSlices(unit: () => boolean, pause: number): Promise<void>;
  /** Wait `ms` on a timer that never keeps the process alive. @throws Stopped */
  sleep(ms: number): Promise<void>;
  /** Stop: what is scheduled next is cancelled, and every later slice rejects with Stopped. */
  stop(): void;
}

export function createSlicer(sliceMs: number, now: () => number): Slicer {
  const state = {
    stopped: false,
    /** Cancels what is scheduled next (a slice or a sleep), rejecting it with Stopped. */
    cancelPending: undefined as (() => void) | undefined,
  };

  /** Schedule `next` after `pause` ms (0: setImmediate); stopping rejects with Stopped. */
  function schedule(next: () => void, pause: number, reject: (e: Error) => void): void {
    if (pause === 0) {
      const immediate = setImmediate(next);
      state.cancelPending = () => {
        clearImmediate(immediate);
        reject(new Stopped());
      };
    } else {
      const timeout = setTimeout(next, pause);
      timeout.unref(); // the verifier never keeps the process alive
      state.cancelPending = () => {
        clearTimeout(timeout);
        reject(new Stopped());
      };
    }
  }

  return {
    inSlices(unit, pause) {
      return new Promise<void>((resolve, reject) => {
        const slice = () => {
          state.cancelPending = undefined;
          if (state.stopped) return reject(new Stopped());
          try {
            const until = now() + sliceMs;
            let done = false;
            do done = unit();
            while (!done && now() < until);
            if (done) return resolve();
          } catch (e) {
            return reject(e);
          }
          schedule(slice, pause, reject);
        };
        slice();
      });
    },
    sleep(ms) {
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => {
          state.cancelPending = undefined;
          resolve();
        }, ms);
        timeout.unref();
        state.cancelPending = () => {
          clearTimeout(timeout);
          reject(new Stopped());
        };
      });
    },
    stop() {
      state.stopped = true;
      state.cancelPending?.();
    },
  };
}
