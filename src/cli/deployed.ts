/** `sagetune start <request.json> --stack <name>`: a study started on a deployed stack, followed with `--wait`. */
import { readJsonInput } from '../study/json';
import { EXIT } from './errors';
import { followStudy } from './follow';
import type { CliIo } from './io';
import { openTarget, type TargetOptions } from './target';

/** Starts a study on the deployed stack the options name; returns the exit code. */
export async function startDeployed(file: string, opts: TargetOptions & { wait?: boolean; fresh?: boolean; progress: 'auto' | 'on' | 'off'; pollSeconds?: number }, io: CliIo): Promise<number> {
  const request = await readJsonInput(file, io.stdin);
  const studies = await openTarget(opts);
  const handle = await studies.start(request, { ifExists: opts.fresh ? 'afresh' : 'resume' });
  const d = await handle.describe();
  const target = opts.stack ? `--stack ${opts.stack}` : `--state-machine ${opts.stateMachine}`;
  io.stdout.write(
    `sagetune: study ${d.name} started on the deployed stack (${d.strategy} search, ${d.maxTrials ?? 'unlimited'} trials, ${d.maxParallel ?? 1} in parallel)\n` +
      `Execution: ${d.execution?.arn ?? 'unknown'}\n` +
      `Results:   ${d.location}\n`,
  );
  if (!opts.wait) {
    io.stdout.write(`Follow it: sagetune status ${d.name} ${target} --watch; stop it: sagetune stop ${d.name} ${target}\n`);
    return EXIT.ok;
  }
  return followStudy(handle, io, { progress: opts.progress, deployed: true, ...(opts.pollSeconds ? { pollSeconds: opts.pollSeconds } : {}) });
}
