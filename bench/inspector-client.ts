/**
 * A child process's V8 seen through its inspector (started with --inspect=<host:port>): its
 * memory figures as it reports them, a forced full GC, and heap snapshots written to a file.
 * Speaks the Chrome DevTools Protocol over the inspector's WebSocket (ws).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import WebSocket from 'ws';

/** process.memoryUsage() of the child, in bytes. */
export interface ChildMemoryUsage {
  readonly rss: number;
  readonly heapTotal: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface InspectorClient {
  /** The JSON value of `expression` evaluated in the child's main context. */
  evaluate<T>(expression: string): Promise<T>;
  memoryUsage(): Promise<ChildMemoryUsage>;
  /** A full, compacting garbage collection in the child. */
  collectGarbage(): Promise<void>;
  /** Writes a heap snapshot (.heapsnapshot JSON, as DevTools saves it) to `file`; V8 collects garbage first. */
  heapSnapshot(file: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects to the inspector listening on `hostPort`, waiting up to `timeoutMs` for it to come up. */
export async function connectInspector(hostPort: string, timeoutMs = 30_000): Promise<InspectorClient> {
  const deadline = Date.now() + timeoutMs;
  let target: string | undefined;
  while (target === undefined) {
    try {
      const list = await (await fetch(`http://${hostPort}/json/list`)).json() as { webSocketDebuggerUrl: string }[];
      target = list[0]?.webSocketDebuggerUrl;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`no inspector at ${hostPort}: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const socket = new WebSocket(target, { maxPayload: 0 });
  await once(socket, 'open');
  let nextId = 0;
  const calls = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  const listeners = new Map<string, (params: Record<string, unknown>) => void>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
    if (message.id !== undefined) {
      const call = calls.get(message.id);
      calls.delete(message.id);
      if (message.error) call?.reject(new Error(message.error.message));
      else call?.resolve(message.result);
    } else if (message.method) {
      listeners.get(message.method)?.(message.params ?? {});
    }
  });
  socket.on('close', () => { for (const call of calls.values()) call.reject(new Error('inspector closed')); calls.clear(); });
  const send = (method: string, params: Record<string, unknown> = {}): Promise<unknown> => new Promise((resolve, reject) => {
    const id = ++nextId;
    calls.set(id, { resolve, reject });
    socket.send(JSON.stringify({ id, method, params }));
  });

  const evaluate = async <T>(expression: string): Promise<T> => {
    const result = await send('Runtime.evaluate', { expression: `JSON.stringify(${expression})`, returnByValue: true }) as
      { result: { value: string }; exceptionDetails?: { text: string } };
    if (result.exceptionDetails) throw new Error(`${expression} failed in the child: ${result.exceptionDetails.text}`);
    return JSON.parse(result.result.value) as T;
  };

  return {
    evaluate,
    memoryUsage: () => evaluate<ChildMemoryUsage>('process.memoryUsage()'),
    async collectGarbage() {
      await send('HeapProfiler.collectGarbage');
    },
    async heapSnapshot(file) {
      const out = createWriteStream(file);
      listeners.set('HeapProfiler.addHeapSnapshotChunk', (params) => { out.write(params.chunk as string); });
      try {
        await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      } finally {
        listeners.delete('HeapProfiler.addHeapSnapshotChunk');
        out.end();
        await once(out, 'close');
      }
    },
    async close() {
      socket.close();
      if (socket.readyState !== WebSocket.CLOSED) await once(socket, 'close');
    },
  };
}
