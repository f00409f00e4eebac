// Token counts off the event loop, for records nobody waits on (a request the client left:
// Envoy takes no more metadata, only the usage log, metrics and limits get the figure).
// tiktoken's first encoder takes hundreds of milliseconds to build and ~70 MiB to hold; on
// the main thread a burst of hang-ups would stall every open stream that long. The thread
// starts on first use and ends after a quiet spell, giving its memory back.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { encodingFor } from './estimate.js';

const IDLE_MS = 30_000;
/** How long a shutdown waits for the counts still owed. */
export const SHUTDOWN_ESTIMATES_MS = 2_000;

// A script, not a file: the same code runs from dist/ and from the TypeScript sources in tests.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { get_encoding } = require(workerData.tiktoken);
const encoders = new Map();
parentPort.on('message', ({ id, encoding, texts }) => {
  try {
    let enc = encoders.get(encoding);
    if (!enc) encoders.set(encoding, (enc = get_encoding(encoding)));
    parentPort.postMessage({ id, counts: texts.map((t) => (t === '' ? 0 : enc.encode_ordinary(t).length)) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  }
});
`;

interface Pending {
  resolve(counts: number[]): void;
  reject(err: Error): void;
}

let thread: Worker | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function start(): Worker {
  const w = new Worker(THREAD_SOURCE, { eval: true, workerData: { tiktoken: createRequire(import.meta.url).resolve('tiktoken') } });
  w.unref();
  w.on('message', (m: { id: number; counts?: number[]; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.counts) p.resolve(m.counts);
    else p.reject(new Error(m.error ?? 'token counting failed'));
    if (pending.size === 0) scheduleIdleStop();
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', () => {
    if (thread === w) thread = undefined;
    failAll(new Error('the token counting thread stopped'));
  });
  return w;
}

function scheduleIdleStop(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void stopTokenizerThread(), IDLE_MS);
  idleTimer.unref();
}

/** Counts each text with the encoding of the model's family, in the tokenizer thread. */
export function countTokensOffThread(texts: string[], model: string | undefined): Promise<number[]> {
  clearTimeout(idleTimer);
  thread ??= start();
  const id = nextId++;
  const w = thread;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.postMessage({ id, encoding: encodingFor(model), texts });
  });
}

/** Ends the thread: at once after a quiet spell; at shutdown after the counts still owed (up to drainMs). */
export async function stopTokenizerThread(drainMs = 0): Promise<void> {
  clearTimeout(idleTimer);
  const deadline = Date.now() + drainMs;
  while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const w = thread;
  thread = undefined;
  if (w) await w.terminate();
}

/** Whether the thread is running (for tests of the idle stop). */
export function tokenizerThreadRunning(): boolean {
  return thread !== undefined;
}
