/**
 * Benchmark worker process (started by bench/pool.ts): runs one task at a time and replies over IPC.
 * The optimizer core is loaded here, not in the parent, so that each worker times only its own work.
 */
import { runQualityJob, type QualityJob, type QualityRecord } from './quality';
import { runSpeedTask, type SpeedRecord } from './speed';

export type WorkerTask =
  | { readonly kind: 'quality'; readonly job: QualityJob; readonly runId: string }
  | { readonly kind: 'speed'; readonly n: number; readonly reps: number; readonly runId: string };

export type WorkerReply =
  | { readonly type: 'quality'; readonly record: QualityRecord }
  | { readonly type: 'speed'; readonly records: SpeedRecord[] }
  | { readonly type: 'error'; readonly message: string };

type Request = { type: 'task'; task: WorkerTask } | { type: 'exit' };

async function handle(task: WorkerTask): Promise<WorkerReply> {
  // Loaded lazily so that a worker that only prints an error does not pay for the core.
  const { createOptimizer } = await import('../src/core');
  if (task.kind === 'quality') return { type: 'quality', record: await runQualityJob(task.job, createOptimizer, task.runId) };
  return { type: 'speed', records: await runSpeedTask(task.n, task.reps, createOptimizer, task.runId) };
}

if (require.main === module) {
  process.on('message', (msg: Request) => {
    if (msg.type === 'exit') {
      process.disconnect();
      return;
    }
    handle(msg.task).then(
      (reply) => process.send?.(reply),
      (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}
