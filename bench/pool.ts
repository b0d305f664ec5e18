/**
 * Spreads benchmark tasks over worker processes (child_process.fork). Each worker runs `bench/worker.ts` under
 * ts-node (transpile-only) or, when the benchmark itself runs compiled, the compiled `worker.js`. A worker takes one
 * task at a time; a worker that dies mid-task reports that task as failed and is replaced.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { WorkerReply, WorkerTask } from './worker';

export interface PoolOptions {
  /** Number of worker processes (>= 1). */
  readonly workers: number;
  /** Start a new process for every task (used by the speed benchmark so that peak RSS is per task). */
  readonly freshProcessPerTask?: boolean;
}

export interface TaskFailure {
  readonly task: WorkerTask;
  readonly message: string;
}

function startWorker(): ChildProcess {
  const ts = __filename.endsWith('.ts');
  const script = path.join(__dirname, ts ? 'worker.ts' : 'worker.js');
  return fork(script, [], {
    execArgv: ts ? ['-r', 'ts-node/register/transpile-only'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/**
 * Runs every task; `onResult` receives each reply as it arrives (in completion order). Resolves with the tasks
 * that failed (an exception in the task, or a worker that exited mid-task).
 */
export async function runPool(
  tasks: readonly WorkerTask[],
  options: PoolOptions,
  onResult: (reply: WorkerReply, task: WorkerTask) => void,
): Promise<TaskFailure[]> {
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    throw new Error(`--workers: must be an integer >= 1; got ${options.workers}`);
  }
  const queue = [...tasks];
  const failures: TaskFailure[] = [];

  const runWorker = (): Promise<void> =>
    new Promise((resolve) => {
      let child: ChildProcess | undefined;
      let current: WorkerTask | undefined;
      const next = (): void => {
        current = queue.shift();
        if (!current) {
          child?.send({ type: 'exit' });
          child = undefined;
          resolve();
          return;
        }
        if (!child) child = spawn();
        child.send({ type: 'task', task: current });
      };
      const spawn = (): ChildProcess => {
        const c = startWorker();
        c.on('message', (reply: WorkerReply) => {
          const task = current as WorkerTask;
          current = undefined;
          if (reply.type === 'error') failures.push({ task, message: reply.message });
          else onResult(reply, task);
          if (options.freshProcessPerTask) {
            c.removeAllListeners('exit');
            c.send({ type: 'exit' });
            child = undefined;
          }
          next();
        });
        c.on('exit', (code, signal) => {
          if (c !== child) return;
          child = undefined;
          if (current) {
            failures.push({ task: current, message: `worker exited (code ${code}, signal ${signal}) during the task` });
            next();
          }
        });
        return c;
      };
      next();
    });

  await Promise.all(Array.from({ length: Math.min(options.workers, Math.max(1, tasks.length)) }, runWorker));
  return failures;
}
