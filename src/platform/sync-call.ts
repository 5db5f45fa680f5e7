/**
 * Synchronous calls into a worker thread that does asynchronous work.
 *
 * The ledger's store interface is synchronous (its rules read the registry inside the writer's
 * critical section; the trace queries call the store directly), but a network database driver is
 * asynchronous. The caller blocks on a SharedArrayBuffer with `Atomics.wait` while the worker runs
 * the request on its own event loop; the worker posts the answer on a MessageChannel port, then
 * flips the shared word and `Atomics.notify`s; the caller wakes and takes the answer off its port
 * with `receiveMessageOnPort`, which needs no event loop. This is the technique of the synckit and
 * make-synchronous packages (Node's own `Atomics.wait` is allowed on the main thread, unlike in a
 * browser). One request is in flight at a time: the caller is blocked until it is answered.
 *
 * Errors cross the thread boundary as plain data (`SyncCallError`): structured cloning drops an
 * Error's own properties such as `code`, so the worker sends what the caller needs explicitly.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort, parentPort, workerData } from 'node:worker_threads';

/** What a failed call carries back to the caller: enough to rebuild a typed error there. */
export interface SyncCallError {
  readonly name: string;
  readonly message: string;
  /** A LedgerError code, a PostgreSQL SQLSTATE, a Node errno code: whatever the handler attached. */
  readonly code?: string | undefined;
}

type Answer = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: SyncCallError };

interface Request {
  readonly op: string;
  readonly args: readonly unknown[];
}

/** The data a worker started by `startSyncWorker` finds under `workerData.syncCall`. */
interface ChannelData {
  readonly state: SharedArrayBuffer;
  readonly port: MessagePort;
}

/** Thrown by `call` when the worker does not answer in time (it died, or its work hangs). */
export class SyncCallTimeout extends Error {
  override readonly name = 'SyncCallTimeout';
}

/** Thrown by `call` with the worker's error when its handler failed. */
export class SyncCallFailed extends Error {
  override readonly name = 'SyncCallFailed';
  constructor(readonly error: SyncCallError) {
    super(error.message);
  }
}

export interface SyncWorker {
  /**
   * Run `op` in the worker and wait for its answer.
   * @throws SyncCallFailed when the worker's handler threw; SyncCallTimeout when no answer came in time;
   *   TypeError when the channel is closed
   */
  call(op: string, args?: readonly unknown[]): unknown;
  /** Stop the worker (after a last call, if the caller wants one). */
  terminate(): Promise<void>;
}

// Word 0: the answer flag of the call in flight. Word 1: set once the worker serves calls, so that
// its start (loading modules can take seconds on a busy machine) is not counted against a call.
const ANSWER = 0;
const READY = 1;
const IDLE = 0;
const ANSWERED = 1;

export interface SyncWorkerOptions {
  /** Passed to the worker as `workerData.data`. */
  readonly data?: unknown;
  /** How long one call may take before `SyncCallTimeout` (default 60 s). */
  readonly timeoutMs?: number;
  /** How long the worker may take to start serving, before the first call's own timeout (default 120 s). */
  readonly startTimeoutMs?: number;
}

/**
 * Start `url` (a module that calls `serveSyncCalls`) on a worker thread.
 * @throws RangeError when timeoutMs is not a positive number
 */
export function startSyncWorker(url: URL, options: SyncWorkerOptions = {}): SyncWorker {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  if (!(startTimeoutMs > 0)) throw new RangeError(`startTimeoutMs must be positive, got ${startTimeoutMs}`);
  const state = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const channel: ChannelData = { state: state.buffer as SharedArrayBuffer, port: port2 };
  const worker = new Worker(url, { workerData: { syncCall: channel, data: options.data }, transferList: [port2] });
  // Neither keeps the process alive: the owner closes the store, and a forgotten one must not hang the process.
  worker.unref();
  port1.unref();
  let closed = false;
  // An 'error' event only arrives while the caller is not blocked; its cause reaches the next call as a timeout.
  worker.on('error', () => undefined);

  /** Wait until word `at` is no longer 0; false when `ms` passed first. */
  const waitFor = (at: number, ms: number): boolean => {
    const deadline = Date.now() + ms;
    // Atomics.wait returns 'not-equal' at once if the word changed before we started waiting.
    while (Atomics.load(state, at) === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(state, at, 0, left) === 'timed-out') return Atomics.load(state, at) !== 0;
    }
    return true;
  };
  const giveUp = (message: string): never => {
    closed = true; // the worker's state is unknown now: it may still answer later
    void worker.terminate();
    throw new SyncCallTimeout(message);
  };

  return {
    call(op, args = []) {
      if (closed) throw new TypeError(`sync call ${op} after the worker was stopped`);
      if (!waitFor(READY, startTimeoutMs)) giveUp(`the worker did not start within ${startTimeoutMs} ms`);
      Atomics.store(state, ANSWER, IDLE);
      port1.postMessage({ op, args } satisfies Request);
      if (!waitFor(ANSWER, timeoutMs)) giveUp(`${op} got no answer from the worker within ${timeoutMs} ms`);
      const received = receiveMessageOnPort(port1);
      if (received === undefined) throw new TypeError(`${op}: the worker signalled an answer but sent none`);
      const answer = received.message as Answer;
      if (!answer.ok) throw new SyncCallFailed(answer.error);
      return answer.value;
    },
    async terminate() {
      if (!closed) {
        closed = true;
        port1.close();
      }
      await worker.terminate();
    },
  };
}

/**
 * In a worker started by `startSyncWorker`: answer every call with `handle(op, args)`, one at a
 * time. `toError` turns what the handler threw into the data sent back.
 */
export function serveSyncCalls(
  handle: (op: string, args: readonly unknown[]) => Promise<unknown>,
  toError: (e: unknown) => SyncCallError = defaultError,
): unknown {
  const channel = (workerData as { syncCall?: ChannelData } | undefined)?.syncCall;
  if (parentPort === null || channel === undefined) throw new TypeError('serveSyncCalls must run in a worker started by startSyncWorker');
  const state = new Int32Array(channel.state);
  channel.port.on('message', (request: Request) => {
    const answer = (a: Answer) => {
      try {
        channel.port.postMessage(a);
      } catch (e) {
        // A value that cannot be cloned (our bug): say so rather than leave the caller waiting.
        channel.port.postMessage({ ok: false, error: { name: 'TypeError', message: `answer of ${request.op} cannot be sent: ${(e as Error).message}` } } satisfies Answer);
      }
      Atomics.store(state, ANSWER, ANSWERED);
      Atomics.notify(state, ANSWER);
    };
    handle(request.op, request.args).then(
      (value) => answer({ ok: true, value }),
      (e: unknown) => answer({ ok: false, error: toError(e) }),
    );
  });
  Atomics.store(state, READY, 1);
  Atomics.notify(state, READY);
  return (workerData as { data?: unknown }).data;
}

function defaultError(e: unknown): SyncCallError {
  if (e instanceof Error) return { name: e.name, message: e.message, code: (e as { code?: unknown }).code === undefined ? undefined : String((e as { code?: unknown }).code) };
  return { name: 'Error', message: String(e) };
}
