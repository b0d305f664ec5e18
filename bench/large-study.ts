/**
 * `npm run bench:large`: a study of 1,000 trials. Runs one through the real tick (Random strategy, 10 trials in
 * parallel, the median stopping rule on, each job reporting 20 intermediate values) with the simulated backend on a
 * fake clock and the file store on tmpfs, and reports, as the study grows: the tick's wall time (median and max over
 * the ticks in each window), the study document's size (JSON as stored, and gzipped as a measure of what S3 moves),
 * the time to parse and to serialize it, and the process's heap after a GC. Then one Bayesian tick at 1,000 trials
 * (the same study with its strategy switched, launching the 10 next trials: the ask dominates).
 * Writes bench/results/large-study.md.
 *
 * Run with `node --expose-gc` (the npm script does) so that the heap figures are after a collection.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FakeClock, SimulatedBackend, type SimulatedTrainer } from '../src/backends/simulated';
import { parseTuningRequest } from '../src/study/request';
import { FileStudyStore } from '../src/study/store/file-store';
import { openStudy } from '../src/study/study';
import { tick } from '../src/study/tick';
import type { Study } from '../src/study/types';

const ROOT = path.resolve(__dirname, '..');
const TRIALS = 1000;
const MARKS = [100, 250, 500, 750, 1000];

const request = parseTuningRequest({
  HyperParameterTuningJobName: 'large',
  HyperParameterTuningJobConfig: {
    Strategy: 'Random',
    HyperParameterTuningJobObjective: { Type: 'Minimize', MetricName: 'loss' },
    ResourceLimits: { MaxNumberOfTrainingJobs: TRIALS, MaxParallelTrainingJobs: 10 },
    ParameterRanges: {
      ContinuousParameterRanges: [
        { Name: 'lr', MinValue: '0.0001', MaxValue: '1', ScalingType: 'Logarithmic' },
        { Name: 'dropout', MinValue: '0', MaxValue: '0.8' },
        { Name: 'momentum', MinValue: '0.5', MaxValue: '0.99' },
      ],
      IntegerParameterRanges: [{ Name: 'layers', MinValue: '1', MaxValue: '8' }],
      CategoricalParameterRanges: [{ Name: 'optimizer', Values: ['sgd', 'adam', 'rmsprop'] }],
    },
    TrainingJobEarlyStoppingType: 'Auto',
    RandomSeed: 1,
  },
  TrainingJobDefinition: {
    AlgorithmSpecification: { TrainingInputMode: 'File', MetricDefinitions: [{ Name: 'loss', Regex: 'loss=([0-9.eE+-]+)' }] },
    StaticHyperParameters: { epochs: '20' },
  },
  Sagetune: { Local: { Command: ['python3', 'train.py'] }, PollIntervalSeconds: 30 },
});

/** 20 values over 200 s; its level depends on the hyperparameters (so the median rule stops some). */
const trainer: SimulatedTrainer = (hp) => {
  const level = Math.abs(Math.log10(Number(hp.lr)) + 2) * 0.3 + Number(hp.dropout) * 0.2 + (hp.optimizer === 'sgd' ? 0.2 : 0);
  return { durationSeconds: 200, series: Array.from({ length: 20 }, (_, i) => level + 1 / (i + 1)) };
};

const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
function timed<T>(fn: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const value = fn();
  return [value, Number(process.hrtime.bigint() - t) / 1e6];
}

interface Row {
  trials: number;
  tickMedianMs: number;
  tickMaxMs: number;
  ticks: number;
  bytes: number;
  gzipBytes: number;
  parseMs: number;
  stringifyMs: number;
  heapMb: number;
}

async function main(): Promise<void> {
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(base, 'sagetune-large-'));
  try {
    const clock = new FakeClock();
    const store = new FileStudyStore({ root: dir });
    const backend = new SimulatedBackend({ clock, trainer });
    await openStudy(request, store, clock);
    const rows: Row[] = [];
    let window: number[] = [];
    let next = 0;
    let study: Study | undefined;
    const heapAtStart = heapMb();
    for (;;) {
      const t = process.hrtime.bigint();
      const result = await tick('large', { store, backend, clock });
      window.push(Number(process.hrtime.bigint() - t) / 1e6);
      study = result.study;
      const ended = study.trials.filter((x) => x.status !== 'InProgress').length;
      if (next < MARKS.length && (ended >= MARKS[next] || result.done)) {
        const text = fs.readFileSync(path.join(dir, 'large', 'study.json'), 'utf8');
        const [parsed, parseMs] = timed(() => JSON.parse(text) as unknown);
        const [, stringifyMs] = timed(() => JSON.stringify(parsed));
        rows.push({
          trials: ended,
          tickMedianMs: median(window),
          tickMaxMs: Math.max(...window),
          ticks: window.length,
          bytes: Buffer.byteLength(text),
          gzipBytes: gzipSync(text).length,
          parseMs,
          stringifyMs,
          heapMb: heapMb(),
        });
        console.log(rows[rows.length - 1]);
        window = [];
        next++;
      }
      if (result.done) break;
      clock.advance(30_000);
    }

    // One Bayesian tick at 1,000 trials: the study's strategy switched in place, its budget raised by 10.
    const read = (await store.read('large'))!;
    const bayes = structuredClone(read.value);
    bayes.status = 'InProgress';
    delete bayes.endedAt;
    delete bayes.statusReason;
    bayes.request.HyperParameterTuningJobConfig.Strategy = 'Bayesian';
    bayes.request.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs = TRIALS + 10;
    await store.write(bayes, read.version);
    const t = process.hrtime.bigint();
    const result = await tick('large', { store, backend, clock });
    const bayesMs = Number(process.hrtime.bigint() - t) / 1e6;
    const launched = result.study.trials.length - TRIALS;

    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const kb = (b: number): string => `${(b / 1024).toFixed(0)} kB`;
    const md = `# A study of 1,000 trials

\`npm run bench:large\` at ${rev}, ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)} at the end. Random strategy, 10 trials in parallel, the median stopping rule on, 20 intermediate values per job (the objective series kept in the study); simulated backend on a fake clock (30 s between ticks), file store on tmpfs (each write fsynced and renamed). Heap after a GC; ${heapAtStart.toFixed(0)} MB before the study.

| trials ended | ticks in window | tick median | tick max | study.json | gzipped | JSON.parse | JSON.stringify | heap |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.trials} | ${r.ticks} | ${r.tickMedianMs.toFixed(1)} ms | ${r.tickMaxMs.toFixed(1)} ms | ${kb(r.bytes)} | ${kb(r.gzipBytes)} | ${r.parseMs.toFixed(1)} ms | ${r.stringifyMs.toFixed(1)} ms | ${r.heapMb.toFixed(0)} MB |`).join('\n')}

One Bayesian tick at 1,000 trials (strategy switched, ${launched} trials launched, each ask with the earlier ones pending): ${bayesMs.toFixed(0)} ms. The asks dominate (a GP over 1,000 observations; BENCHMARKS.md's speed table has ask(1)); a deployed tick that nears the Lambda's timeout records what it launched and returns early, so this bounds the step, not the study.

The document grows linearly with the trials (one record per trial with its series); nothing else grows with time. A Lambda tick reads and writes it once each (the S3 store stores it as JSON, uncompressed): the sizes above are what it moves.
`;
    console.log(md);
    fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'large-study.md'), md);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
