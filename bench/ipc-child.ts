/**
 * A bench child process driven over IPC (the server and client processes of
 * bench/cluster.ts): forked through tsx, its stderr passed on with its name,
 * requests answered by `seq`. The fan-out bench (run.ts) passes its
 * profiling flags as extra exec arguments.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface IpcChild {
  readonly proc: ChildProcess;
  request<T = Record<string, unknown>>(body: object, timeoutMs?: number): Promise<T>;
  /** Asks it to stop, then kills it if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** Forks `bench/<script>` with `args` (and `--expose-gc`, then `extraExecArgv`); `name` prefixes its stderr lines. */
export function forkChild(script: string, args: readonly string[], name = script, extraExecArgv: readonly string[] = []): IpcChild {
  const proc = fork(join(HERE, script), [...args], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=2048', ...extraExecArgv],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  proc.on('error', (error) => process.stderr.write(`[${name}] ${error.message}\n`));
  proc.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  let seq = 0;
  const pending = new Map<number, (m: unknown) => void>();
  proc.on('message', (m: { seq: number }) => pending.get(m.seq)?.(m));
  return {
    proc,
    request<T>(body: object, timeoutMs = 10_000) {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${name}: no answer to ${JSON.stringify(body).slice(0, 60)} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, (m) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve(m as T);
        });
        proc.send({ ...body, seq: id }, (error) => {
          if (error === null) return;
          clearTimeout(timer);
          pending.delete(id);
          reject(error);
        });
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      if (proc.connected) proc.send({ cmd: 'stop', seq: -1 }, () => undefined);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with the first `{"port":N}` line the child prints (a server process listening). */
export function listeningPort(child: IpcChild, timeoutMs = 30_000): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`no port line within ${timeoutMs} ms`)), timeoutMs);
    child.proc.stdout?.on('data', (d: Buffer) => {
      buffer += String(d);
      const line = buffer.split('\n').find((l) => l.startsWith('{"port"'));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening`));
    });
  });
}
