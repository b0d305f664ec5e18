/**
 * Load: 20 studies ticking at once against one store, two drivers per study (a duplicated execution, or the CLI
 * and a deployed execution), with stop requests racing the ticks. On the S3 store (the stateful S3 fake: If-Match and
 * If-None-Match as S3 does them) and on the file store. Nothing may be lost or counted twice: every job a backend
 * started belongs to a recorded trial, no job starts twice, trial numbers run 1..n, every stop request that was
 * accepted ends its study Stopped with nothing left running, and the other studies complete their budget.
 *
 * The measured figures (ticks, lost races, time) are printed for the record.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { rm } from 'node:fs/promises';
import { FakeClock, SimulatedBackend } from '../../src/backends/simulated';
import { StudyConflictError } from '../../src/study/errors';
import { FileStudyStore } from '../../src/study/store/file-store';
import { S3StudyStore } from '../../src/study/store/s3-store';
import { openStudy, requestStop } from '../../src/study/study';
import { tick } from '../../src/study/tick';
import type { Study, StudyStore } from '../../src/study/types';
import { FakeS3 } from '../support/fake-s3';
import { fastTempDir, quadratic, request } from './helpers';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const STUDIES = 20;
const TRIALS = 12;
/** Studies 0, 3, 6, ... get a stop request, at round 4 + (i mod 5): while their trials run. */
const stoppedAt = (i: number): number | undefined => (i % 3 === 0 ? 4 + (i % 5) : undefined);

/** A store that counts the writes that lost a race. */
function counting(inner: StudyStore): StudyStore & { conflicts: number; writes: number } {
  const counted = {
    conflicts: 0,
    writes: 0,
    read: (name: string) => inner.read(name),
    list: () => inner.list(),
    write: async (study: Study, version?: string) => {
      counted.writes++;
      try {
        return await inner.write(study, version);
      } catch (error) {
        if (error instanceof StudyConflictError) counted.conflicts++;
        throw error;
      }
    },
  };
  return counted;
}

async function load(store: StudyStore & { conflicts: number; writes: number }): Promise<{ ticks: number; rounds: number; ms: number }> {
  const started = Date.now();
  const clock = new FakeClock();
  const names = Array.from({ length: STUDIES }, (_, i) => `load-${String(i).padStart(2, '0')}`);
  const backends = names.map(() => new SimulatedBackend({ clock, trainer: quadratic }));
  for (const [i, name] of names.entries()) {
    await openStudy(
      request({
        HyperParameterTuningJobName: name,
        HyperParameterTuningJobConfig: { Strategy: 'Random', RandomSeed: i, ResourceLimits: { MaxNumberOfTrainingJobs: TRIALS, MaxParallelTrainingJobs: 3 } },
      }),
      store,
      clock,
    );
  }
  const accepted = new Set<string>();
  const done = new Set<string>();
  let ticks = 0;
  // One driver's tick: a lost race is run again, as the runner and the deployed tick do.
  const drive = async (i: number): Promise<void> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        ticks++;
        const result = await tick(names[i], { store, backend: backends[i], clock });
        if (result.done) done.add(names[i]);
        return;
      } catch (error) {
        if (!(error instanceof StudyConflictError)) throw error;
      }
    }
    throw new Error(`${names[i]}: 20 lost races in a row`);
  };
  let round = 0;
  for (; done.size < STUDIES; round++) {
    if (round > 400) throw new Error('the studies did not end');
    const work: Promise<void>[] = [];
    for (let i = 0; i < STUDIES; i++) {
      if (done.has(names[i])) continue;
      work.push(drive(i), drive(i)); // two drivers per study
      if (stoppedAt(i) === round) {
        work.push(
          requestStop(store, names[i], 'Stopped by a racing request').then((s) => {
            if (s?.status === 'Stopping') accepted.add(names[i]);
          }),
        );
      }
    }
    await Promise.all(work);
    clock.advance(5_000);
  }

  for (const [i, name] of names.entries()) {
    const study = (await store.read(name))!.value;
    const launches = backends[i].launches;
    const label = { study: name };
    // No job started twice; every job started is a recorded trial's; trial numbers 1..n without gaps.
    expect({ ...label, duplicates: launches.length - new Set(launches).size }).toEqual({ ...label, duplicates: 0 });
    const jobs = new Set(study.trials.map((t) => t.jobName));
    expect({ ...label, unrecorded: launches.filter((j) => !jobs.has(j)) }).toEqual({ ...label, unrecorded: [] });
    expect(study.trials.map((t) => t.number)).toEqual(study.trials.map((_, k) => k + 1));
    expect({ ...label, running: study.trials.filter((t) => t.status === 'InProgress').length }).toEqual({ ...label, running: 0 });
    if (accepted.has(name)) {
      expect({ ...label, status: study.status, reason: study.statusReason }).toEqual({ ...label, status: 'Stopped', reason: 'Stopped by a racing request' });
      expect(study.trials.length).toBeLessThan(TRIALS);
    } else {
      expect({ ...label, status: study.status, trials: study.trials.length }).toEqual({ ...label, status: 'Completed', trials: TRIALS });
      expect(study.trials.every((t) => t.status === 'Completed')).toBe(true);
    }
    // Each completed trial's result is what its job reported (counted once).
    for (const t of study.trials.filter((x) => x.status === 'Completed')) {
      const series = quadratic(t.hyperParameters, { study: name, jobName: t.jobName, trial: t.number, attempt: 0 }).series ?? [];
      expect({ ...label, trial: t.number, objective: t.objective }).toEqual({ ...label, trial: t.number, objective: series[series.length - 1] });
    }
  }
  // Every study meant to be stopped was (their stop requests raced in-flight ticks and were not lost).
  expect([...accepted].sort()).toEqual(names.filter((_, i) => stoppedAt(i) !== undefined));
  return { ticks, rounds: round, ms: Date.now() - started };
}

describe('20 studies ticking at once against one store, two drivers each, stop requests racing', () => {
  test('S3 store (stateful S3 fake)', async () => {
    const s3 = new FakeS3();
    try {
      const store = counting(new S3StudyStore({ bucket: 'b', client: new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), retry: { sleep: async () => {} } }));
      const figures = await load(store);
      expect(store.conflicts).toBeGreaterThan(0); // the drivers did race
      console.log(`S3 store: ${figures.ticks} ticks in ${figures.rounds} rounds, ${store.writes} writes, ${store.conflicts} lost races, ${figures.ms} ms`);
    } finally {
      s3.restore();
    }
  }, 120_000);

  test('file store', async () => {
    const dir = await fastTempDir('sagetune-load-');
    try {
      const store = counting(new FileStudyStore({ root: dir }));
      const figures = await load(store);
      expect(store.conflicts).toBeGreaterThan(0);
      console.log(`file store: ${figures.ticks} ticks in ${figures.rounds} rounds, ${store.writes} writes, ${store.conflicts} lost races, ${figures.ms} ms`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
