import { PassThrough } from 'node:stream';
import { COLOR, PLAIN, ProgressDisplay, clockLabel, estimateRemainingSeconds, eventLine, fitWidth, statusBlock, stripAnsi } from '../../src/cli/progress';
import type { Study } from '../../src/study/types';
import { exampleStudy } from '../report/fixtures';

const T0 = Date.parse('2026-11-27T01:00:00.000Z');

/** A study in the middle of its run: 10 trials of 24 finished (20 s each after a 1 s start), 2 running. */
function runningStudy(): Study {
  const s = exampleStudy({ trials: 12 });
  s.status = 'InProgress';
  delete s.endedAt;
  delete s.statusReason;
  s.activeSince = s.createdAt;
  for (const t of s.trials) {
    t.startedAt = new Date(T0 + (t.number - 1) * 20_000).toISOString();
    t.endedAt = new Date(T0 + (t.number - 1) * 20_000 + 20_000).toISOString();
  }
  for (const t of s.trials.slice(10)) {
    t.status = 'InProgress';
    delete t.endedAt;
    delete t.objective;
    delete t.failureReason;
  }
  return s;
}

describe('time estimates', () => {
  it('estimates the time left from the mean trial duration and the parallel slots', () => {
    const s = runningStudy();
    // 12 of 24 trials exist; 12 to start at 20 s each, 2 at a time; the 2 running ones (started at 200 s and 220 s)
    // have run 30 s and 10 s at t = 230 s, past or near the mean: 0 s and 10 s left.
    const now = T0 + 230_000;
    expect(estimateRemainingSeconds(s, now)).toBeCloseTo((12 * 20 + 0 + 10) / 2, 6);
  });

  it('is capped by what is left of MaxRuntimeInSeconds, and unknown before a trial ends', () => {
    const s = runningStudy();
    (s.request.HyperParameterTuningJobConfig.ResourceLimits as Record<string, unknown>).MaxRuntimeInSeconds = 300;
    expect(estimateRemainingSeconds(s, T0 + 230_000)).toBeCloseTo(70, 6);
    const fresh = runningStudy();
    fresh.trials.forEach((t) => {
      t.status = 'InProgress';
      delete t.endedAt;
    });
    expect(estimateRemainingSeconds(fresh, T0 + 5000)).toBeUndefined();
  });

  it('labels the run clock', () => {
    expect(clockLabel(5)).toBe('0:05');
    expect(clockLabel(3725)).toBe('1:02:05');
  });
});

describe('status block and event lines', () => {
  it('shows bar and counts, best with its hyperparameters, elapsed and time left', () => {
    const s = runningStudy();
    const lines = statusBlock(s, T0 + 230_000, PLAIN, 200);
    expect(lines).toHaveLength(3);
    // 10 finished of 24 -> 10 of 24 cells; 2 running -> 2 cells.
    expect(lines[0]).toBe(`${'█'.repeat(10)}${'▒'.repeat(2)}${'░'.repeat(12)} 10/24 done · 2 running · 1 failed · 1 stopped`);
    expect(lines[1]).toMatch(/^best 0\.\d+ validation:logloss \(trial \d+\) {2}max_depth=\d+ eta=[\d.]+ booster=\w+$/);
    expect(lines[2]).toBe('elapsed 3m 50s · about 2m 05s left · Ctrl-C pauses (run again to resume)');
  });

  it('never lets a line wrap, styled or not', () => {
    const s = runningStudy();
    for (const line of statusBlock(s, T0 + 230_000, COLOR, 40)) expect(stripAnsi(line).length).toBeLessThanOrEqual(40);
    expect(stripAnsi(fitWidth(`\x1b[1m${'x'.repeat(50)}\x1b[22m`, 10))).toBe(`${'x'.repeat(9)}…`);
    expect(fitWidth('short', 10)).toBe('short');
  });

  it('writes one line per event with the trial, its values and the reason', () => {
    const s = runningStudy();
    const time = T0;
    expect(eventLine({ type: 'trial-launched', time, trial: 11, jobName: 'j', attempt: 0, hyperParameters: { eta: 0.01, max_depth: 3, booster: 'dart' }, adopted: false }, s, PLAIN)).toBe(
      'trial 11 started  max_depth=3 eta=0.01 booster=dart',
    );
    expect(eventLine({ type: 'trial-launched', time, trial: 11, jobName: 'j', attempt: 1, hyperParameters: {}, adopted: false }, s, PLAIN)).toMatch(/started \(attempt 2\)/);
    expect(eventLine({ type: 'trial-completed', time, trial: 3, jobName: 'j', objective: 0.123456789 }, s, PLAIN)).toBe(
      'trial 3 completed  validation:logloss = 0.123457   [10/24 done · 2 running · 1 failed · 1 stopped · about 2m 20s left]',
    );
    expect(eventLine({ type: 'trial-failed', time, trial: 4, jobName: 'j', reason: 'exit code 3:\n  boom', retrying: false }, s, PLAIN)).toBe('trial 4 failed: exit code 3: boom');
    expect(eventLine({ type: 'study-stopping', time, reason: 'target reached' }, s, PLAIN)).toBe('study stopping: target reached (waiting for 2 running trials)');
    expect(eventLine({ type: 'study-started', time, study: 'x', resumed: false }, s, PLAIN)).toBeUndefined();
  });
});

describe('ProgressDisplay', () => {
  function capture(isTTY: boolean) {
    const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
    let text = '';
    stream.on('data', (d) => (text += d));
    return { stream, text: () => text };
  }

  it('on a terminal: redraws the block in place under the event lines and restores the cursor', async () => {
    const out = capture(true);
    let now = T0 + 230_000;
    const display = new ProgressDisplay({ out: out.stream, color: false, now: () => now, refreshMs: 10_000 });
    display.update(runningStudy());
    await new Promise((r) => setTimeout(r, 80));
    now += 1000;
    display.print('hello');
    display.close();
    const text = out.text();
    expect(text.startsWith('\x1b[?25l')).toBe(true);
    expect(text.endsWith('\x1b[?25h')).toBe(true);
    // The block (3 lines) is erased before the event line is written, then drawn again below it.
    const erase = '\x1b[3A\x1b[1G\x1b[0J';
    const afterErase = text.split(erase);
    expect(afterErase.length).toBeGreaterThanOrEqual(3);
    expect(afterErase[1]).toMatch(/^\[ 0:01\] hello\n.*10\/24 done/s);
    expect(text.match(/10\/24 done/g)?.length).toBe(2);
  });

  it('elsewhere: a "still running" line when nothing was printed for a while', async () => {
    const out = capture(false);
    let now = T0 + 230_000;
    const display = new ProgressDisplay({ out: out.stream, now: () => now, heartbeatMs: 30 });
    display.update(runningStudy());
    now += 1000;
    await new Promise((r) => setTimeout(r, 120));
    display.close();
    expect(out.text()).toMatch(/^\[ 0:01\] still running: 10\/24 done · 2 running · 1 failed · 1 stopped · elapsed 3m 5\ds · about 2m 0\ds left\n/);
  });

  it('elsewhere: only the event lines, without control characters', () => {
    const out = capture(false);
    const display = new ProgressDisplay({ out: out.stream, now: () => T0 });
    display.update(runningStudy());
    display.event({ type: 'trial-completed', time: T0, trial: 3, jobName: 'j', objective: 0.5 });
    display.close();
    expect(out.text()).toBe('[ 0:00] trial 3 completed  validation:logloss = 0.5   [10/24 done · 2 running · 1 failed · 1 stopped · about 2m 20s left]\n');
  });
});
