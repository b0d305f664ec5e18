/**
 * Following a study this process does not run (a deployed one, or one another process runs) with the live display
 * of `run`: `status --watch` and `start --wait`. Ctrl-C stops following; the study goes on.
 */
import type { StudyHandle } from '../sdk/types';
import type { Study } from '../study/types';
import { EXIT } from './errors';
import type { CliIo } from './io';
import { ProgressDisplay } from './progress';

/** Follows a study to its end; returns the exit code (0, 1 for a failed study, 130 when Ctrl-C stopped following). */
export async function followStudy(handle: StudyHandle, io: CliIo, options: { progress: 'auto' | 'on' | 'off'; deployed: boolean; pollSeconds?: number }): Promise<number> {
  const live = options.progress === 'on' ? true : options.progress === 'off' ? false : io.stdout.isTTY === true;
  const display = new ProgressDisplay({ out: io.stdout, live, color: live && !io.env.NO_COLOR, now: io.now });
  const controller = new AbortController();
  const remove = io.onSignal('SIGINT', () => controller.abort(new Error('interrupted')));
  let latest: Study | undefined;
  try {
    const final = await handle.wait({
      onStudy: (study) => {
        latest = study;
        display.update(study);
      },
      onEvent: (event) => display.event(event),
      signal: controller.signal,
      ...(options.pollSeconds !== undefined ? { pollSeconds: options.pollSeconds } : {}),
    });
    display.close();
    const best = final.bestTrial;
    io.stdout.write(
      `\nStudy ${final.name} ${final.status}${final.statusReason ? `: ${final.statusReason}` : ''}\n` +
        (best ? `Best trial ${best.trialNumber}: ${final.objective.metricName} = ${best.objective} (job ${best.trainingJobName})\n` : '') +
        `Results: ${final.location}\n`,
    );
    return final.status === 'Failed' ? EXIT.failure : EXIT.ok;
  } catch (error) {
    display.close();
    if (controller.signal.aborted) {
      io.stdout.write(`\nStopped following ${latest?.name ?? handle.name}; it goes on${options.deployed ? ' on the stack' : ''}.\n`);
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    remove();
  }
}
