/**
 * A local study is woken by its trials (LocalBackend.waitForChange), not only by its poll interval: with a poll of
 * 30 s, trials that end and trials that report are seen at once. Real processes, real store, real runner.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalBackend } from '../../../src/backends/local';
import { RUNG_CUT_REASON } from '../../../src/core/hyperband';
import { parseTuningRequest } from '../../../src/study/request';
import { runStudy } from '../../../src/study/runner';
import { FileStudyStore } from '../../../src/study/store/file-store';
import { makeWorkspace } from './helpers';

// loss = tuned / epoch, one epoch every 150 ms: trials with a small `tuned` are better at every rung.
const SCRIPT = `
const args = process.argv.slice(2);
const arg = (n) => Number(args[args.indexOf('--' + n) + 1]);
let epoch = 0;
const timer = setInterval(() => {
  epoch += 1;
  console.log('epoch=' + epoch + ' loss=' + (arg('tuned') / epoch).toFixed(4));
  if (epoch >= arg('epochs')) { clearInterval(timer); process.exit(0); }
}, 150);
`;

function request(config: Record<string, unknown>, jobs: number) {
  return parseTuningRequest({
    HyperParameterTuningJobName: 'woken',
    HyperParameterTuningJobConfig: {
      Strategy: 'Random',
      RandomSeed: 7,
      HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
      ResourceLimits: { MaxNumberOfTrainingJobs: jobs, MaxParallelTrainingJobs: 1 },
      ParameterRanges: { IntegerParameterRanges: [{ Name: 'tuned', MinValue: '1', MaxValue: '100' }] },
      ...config,
    },
    TrainingJobDefinition: {
      AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.]+)' }] },
      StaticHyperParameters: { epochs: '9' },
      StoppingCondition: { MaxRuntimeInSeconds: 120 },
    },
    Sagetune: { Local: { Command: [process.execPath, 'train.js'] }, PollIntervalSeconds: 30 },
  });
}

async function run(config: Record<string, unknown>, jobs: number) {
  const ws = makeWorkspace();
  try {
    fs.writeFileSync(path.join(ws.dir, 'train.js'), SCRIPT);
    const t0 = Date.now();
    const { study } = await runStudy({
      request: request(config, jobs),
      store: new FileStudyStore({ root: ws.studiesDir }),
      backend: new LocalBackend({ baseDir: ws.dir, studiesDir: ws.studiesDir }),
    });
    return { study, seconds: (Date.now() - t0) / 1000 };
  } finally {
    ws.cleanup();
  }
}

describe('a local study with a 30 s poll interval', () => {
  it('launches the next trial when one ends, not at the next poll', async () => {
    // Three trials of 9 epochs (about 1.5 s each) one at a time: polling alone would take over 60 s.
    const { study, seconds } = await run({}, 3);
    expect(study.status).toBe('Completed');
    expect(study.trials.map((t) => t.status)).toEqual(['Completed', 'Completed', 'Completed']);
    expect(seconds).toBeLessThan(45);
  });

  it('judges Hyperband rungs as the epochs come in, so jobs are stopped at rungs rather than running to the end', async () => {
    // Each job ends by itself 1.4 s after it starts; a tick only every 30 s would see every job completed.
    const { study } = await run({ Strategy: 'Hyperband', StrategyConfig: { HyperbandStrategyConfig: { MinResource: 1, MaxResource: 9 } } }, 8);
    expect(study.status).toBe('Completed');
    const stopped = study.trials.filter((t) => t.status === 'Stopped' && (t.stopReason ?? '').startsWith(RUNG_CUT_REASON));
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) expect((t.objectiveSeries ?? []).length).toBeLessThan(9);
  });
});
