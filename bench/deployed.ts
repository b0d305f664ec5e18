/**
 * `npm run bench:deployed`: what the deployed service costs to orchestrate a study, and how fast it refills a slot.
 *
 * The stack is synthesized with bundling, as `cdk deploy` uploads it. The bundles are measured (size, module init
 * time in a fresh `node` process, median of 10). Then a study runs through the synthesized state machine (see
 * test/support/deployed/harness.ts): aws-local-stepfunctions executes the definition, every Lambda task is the real
 * handler, SageMaker, CloudWatch and S3 are stateful fakes over simulated time, job events reach the wake function
 * through the template's EventBridge rules.
 *
 * Simulated time models what the local run cannot measure (all assumptions are printed with the results):
 * - every AWS API call takes 40 ms; an event takes 2 s from the job's end to the wake function; a state transition
 *   takes 50 ms;
 * - a handler's computation takes its measured time here scaled by Lambda's CPU share at the function's memory
 *   (`1769 MB / memory`, at most 1 vCPU), and every invocation pays its bundle's measured init time, scaled alike
 *   (every invocation a cold start: an upper bound for cost and delay).
 * Prices (us-east-1, Standard workflows, arm64 Lambda): $0.025 per 1,000 state transitions, $0.20 per million
 * requests, $0.0000133334 per GB-second.
 *
 *   npm run bench:deployed                      # 100 trials of 1-hour jobs, 4 in parallel, early stopping on
 *   npm run bench:deployed -- --trials 20 --parallel 2 --minutes 30 --early-stopping off
 *
 * Results: bench/results/deployed.json (appended) and bench/results/deployed.md (the latest run's tables).
 */
import '../test/support/setup-node20';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SagetuneStack } from '../lib';
import type { FakeTrainer } from '../test/backends/sagemaker/fake-aws';
import { DeployedHarness } from '../test/support/deployed/harness';
import { synthesizeService } from '../test/support/deployed/template';
import type { Study } from '../src/study/types';

const ROOT = path.resolve(__dirname, '..');
const PRICE = { transition: 0.025 / 1000, request: 0.2 / 1e6, gbSecond: 0.0000133334, s3Put: 0.005 / 1000, s3Get: 0.0004 / 1000, metric: 0.01 / 1000 };
const FULL_CPU_MB = 1769;

interface Options {
  trials: number;
  parallel: number;
  minutes: number;
  earlyStopping: 'on' | 'off';
  seed: number;
}

/** A deterministic pseudo-random number in [0, 1) from a string. */
function hash01(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return ((h >>> 0) % 1_000_000) / 1_000_000;
}

/**
 * XGBoost-like training: the final AUC depends smoothly on the hyperparameters (best near eta 0.1, depth 6,
 * subsample 0.8, small alpha), the validation curve rises over the job's minutes with a little noise.
 */
function trainer(minutes: number): FakeTrainer {
  return (hp, jobName) => {
    const auc =
      0.975 - 0.035 * Math.abs(Math.log10(Number(hp.eta)) + 1) - 0.006 * Math.abs(Number(hp.max_depth) - 6) - 0.02 * Math.abs(Number(hp.subsample) - 0.8) - 0.004 * Number(hp.alpha);
    const speed = 6 + 10 * hash01(`${jobName}:speed`);
    const curve = Array.from({ length: minutes }, (_, i) => Number((auc - (auc - 0.5) * Math.exp(-(i + 1) / speed) + 0.002 * (hash01(`${jobName}:${i}`) - 0.5)).toFixed(5)));
    return { startupSeconds: 120, trainingSeconds: minutes * 60, curve, otherMetrics: { 'train:auc': Math.min(0.999, auc + 0.02) } };
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** Synthesizes with bundling; measures each bundle's size and module init time (median of 10 fresh processes). */
function measureBundles(): Map<string, { bytes: number; initMs: number }> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sagetune-bench-cdk-'));
  const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'sagetune-bench-bundles-'));
  try {
    const app = new App({ outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new SagetuneStack(app, 'Sagetune', { env: { account: '111122223333', region: 'us-east-1' } });
    app.synth();
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    const steps = new Map(Object.entries(stack.service.functions).map(([step, fn]) => [stack.resolve(stack.getLogicalId(fn.node.defaultChild as never)) as string, step]));
    const out = new Map<string, { bytes: number; initMs: number }>();
    const probe = path.join(isolated, 'probe.js');
    fs.writeFileSync(probe, "const t=process.hrtime.bigint();require(process.argv[2]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));");
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const step = steps.get(id)!;
      const file = path.join(isolated, `${step}.js`);
      fs.copyFileSync(path.join(outdir, `asset.${String((r.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '')}`, 'index.js'), file);
      const times = Array.from({ length: 10 }, () => Number(execFileSync(process.execPath, [probe, file], { cwd: isolated, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' })));
      out.set(step, { bytes: fs.statSync(file).size, initMs: median(times) });
    }
    return out;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.rmSync(isolated, { recursive: true, force: true });
  }
}

function gitRev(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'lib'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${rev}+dirty` : rev;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const program = new Command('bench:deployed')
    .description('Orchestration cost and slot-refill delay of the deployed service, from a simulated study')
    .option('--trials <n>', 'training jobs of the study', (v) => Number(v), 100)
    .option('--parallel <n>', 'jobs at a time', (v) => Number(v), 4)
    .option('--minutes <n>', 'minutes of training per job', (v) => Number(v), 60)
    .addOption(new Option('--early-stopping <on|off>', 'the median stopping rule').choices(['on', 'off']).default('on'))
    .option('--seed <n>', 'RandomSeed of the study', (v) => Number(v), 7)
    .option('--no-write', 'print only; do not append to bench/results');
  program.parse();
  const opts = program.opts<Options & { write: boolean }>();

  process.stderr.write('Synthesizing with bundling and measuring the bundles...\n');
  const bundles = measureBundles();

  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const service = synthesizeService();
  const cpuScale = (memoryMb: number): number => Math.max(1, FULL_CPU_MB / memoryMb);
  const memoryOf = (step: string): number => [...service.functions.values()].find((f) => f.id === step)!.memoryMb;
  const h = new DeployedHarness({
    service,
    trainer: trainer(opts.minutes),
    latency: { apiMs: 40, eventMs: 2000, transitionMs: 50 },
    computeScale: cpuScale,
    coldStartMs: (step) => (bundles.get(step)?.initMs ?? 0) * cpuScale(memoryOf(step)),
  });
  const request = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/deployed/xgboost.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  request.HyperParameterTuningJobName = 'sagetune-bench-cost' as never;
  request.HyperParameterTuningJobConfig.ResourceLimits = { MaxNumberOfTrainingJobs: opts.trials, MaxParallelTrainingJobs: opts.parallel };
  request.HyperParameterTuningJobConfig.TrainingJobEarlyStoppingType = opts.earlyStopping === 'on' ? 'Auto' : 'Off';
  request.HyperParameterTuningJobConfig.RandomSeed = opts.seed;
  delete request.HyperParameterTuningJobConfig.TuningJobCompletionCriteria;
  const wall = Date.now.call(Date);
  const started = h.time;
  process.stderr.write(`Running ${opts.trials} trials of ${opts.minutes}-minute jobs, ${opts.parallel} in parallel, early stopping ${opts.earlyStopping}...\n`);
  h.start(request);
  try {
    await h.drive();
  } finally {
    h.dispose();
  }
  const wallSeconds = (Date.now() - wall) / 1000;
  const outcomes = await Promise.all([...h.executions.values()].map((e) => e.outcome));
  const study = h.s3.json<Study>(service.bucketName, 'studies/sagetune-bench-cost/study.json')!;

  // Slot refills: from each job's end (the event) to the next job created after it.
  const creations = [...h.sagemaker.jobs.values()].map((j) => j.createdMs).sort((a, b) => a - b);
  const ends = [...h.sagemaker.jobs.keys()].map((n) => h.sagemaker.endOf(n)!.at).sort((a, b) => a - b);
  const delays = ends.map((end) => creations.find((c) => c >= end)).map((c, i) => (c === undefined ? undefined : (c - ends[i]) / 1000)).filter((d): d is number => d !== undefined);

  const functions = [...h.stats.byFunction.entries()].sort(([a], [b]) => a.localeCompare(b));
  const invocations = functions.reduce((s, [, f]) => s + f.invocations, 0);
  const gbSeconds = functions.reduce((s, [, f]) => s + (f.memoryMb / 1024) * (f.billedMs / 1000), 0);
  const cost = { stepFunctions: h.stats.transitions * PRICE.transition, lambdaRequests: invocations * PRICE.request, lambdaCompute: gbSeconds * PRICE.gbSecond };
  const total = cost.stepFunctions + cost.lambdaRequests + cost.lambdaCompute;
  const s3Puts = h.s3.log.filter((l) => l.startsWith('PutObject')).length;
  const s3Gets = h.s3.log.filter((l) => l.startsWith('GetObject') || l.startsWith('HeadObject')).length;
  const metricsRequested = (h.sagemaker.calls('GetMetricData') as { MetricDataQueries?: unknown[] }[]).reduce((s, c) => s + (c.MetricDataQueries?.length ?? 0), 0);
  const counts = { Completed: 0, Stopped: 0, Failed: 0, InProgress: 0 };
  for (const t of study.trials) counts[t.status]++;

  const record = {
    date: new Date().toISOString(),
    rev: gitRev(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    options: { trials: opts.trials, parallel: opts.parallel, minutes: opts.minutes, earlyStopping: opts.earlyStopping, seed: opts.seed },
    assumptions: { apiMs: 40, eventMs: 2000, transitionMs: 50, cpuShare: 'memory / 1769 MB', coldStartEveryInvocation: true, prices: PRICE },
    study: { status: study.status, statusReason: study.statusReason, trials: counts, simulatedHours: Number(((h.time - started) / 3_600_000).toFixed(2)), executions: outcomes.length, outcomes: outcomes.map((o) => o.status) },
    transitions: h.stats.transitions,
    retries: h.stats.retries,
    invocations,
    byFunction: Object.fromEntries(functions.map(([id, f]) => [id, { invocations: f.invocations, memoryMb: f.memoryMb, billedSeconds: Number((f.billedMs / 1000).toFixed(1)), gbSeconds: Number(((f.memoryMb / 1024) * (f.billedMs / 1000)).toFixed(2)) }])),
    gbSeconds: Number(gbSeconds.toFixed(2)),
    costUsd: { ...Object.fromEntries(Object.entries(cost).map(([k, v]) => [k, Number(v.toFixed(5))])), total: Number(total.toFixed(5)) },
    perTrial: { transitions: Number((h.stats.transitions / opts.trials).toFixed(2)), invocations: Number((invocations / opts.trials).toFixed(2)), gbSeconds: Number((gbSeconds / opts.trials).toFixed(3)) },
    refillDelaySeconds: { count: delays.length, median: Number(median(delays).toFixed(2)), p90: Number(quantile(delays, 0.9).toFixed(2)), max: Number(Math.max(...delays).toFixed(2)) },
    other: { s3Puts, s3Gets, getMetricDataMetrics: metricsRequested, otherCostUsd: Number((s3Puts * PRICE.s3Put + s3Gets * PRICE.s3Get + metricsRequested * PRICE.metric).toFixed(5)) },
    bundles: Object.fromEntries([...bundles].map(([k, v]) => [k, { kB: Math.round(v.bytes / 1024), initMs: Number(v.initMs.toFixed(1)) }])),
    wallSeconds: Number(wallSeconds.toFixed(1)),
  };

  const md = [
    `# Deployed service: orchestration cost and slot refills`,
    '',
    `Generated by \`npm run bench:deployed -- ${process.argv.slice(2).join(' ')}\` on ${record.date}, code ${record.rev}, ${record.node}, ${record.cpu}. Edit the code, not this file.`,
    '',
    `Study: ${opts.trials} trials of ${opts.minutes}-minute jobs (2 minutes of startup), ${opts.parallel} in parallel, early stopping ${opts.earlyStopping}, Bayesian, RandomSeed ${opts.seed}; ` +
      `it ended ${study.status} after ${record.study.simulatedHours} simulated hours (${counts.Completed} completed, ${counts.Stopped} stopped early, ${counts.Failed} failed), in ${outcomes.length} execution(s). ` +
      `Assumptions: every AWS call 40 ms, a job's event reaches the wake function 2 s after the job ends, a state transition 50 ms, Lambda's CPU share memory/1769 MB, every invocation a cold start. Prices: us-east-1, Standard workflows, arm64.`,
    '',
    '| measure | total | per trial |',
    '|---|---|---|',
    `| state transitions | ${h.stats.transitions} | ${record.perTrial.transitions} |`,
    `| Lambda invocations | ${invocations} | ${record.perTrial.invocations} |`,
    `| Lambda GB-seconds | ${record.gbSeconds} | ${record.perTrial.gbSeconds} |`,
    `| Step Functions cost | $${cost.stepFunctions.toFixed(4)} | |`,
    `| Lambda cost (requests + compute) | $${(cost.lambdaRequests + cost.lambdaCompute).toFixed(4)} | |`,
    `| **orchestration total** | **$${total.toFixed(4)}** | $${(total / opts.trials).toFixed(5)} |`,
    `| slot refill after a job's event: median / p90 / max | ${record.refillDelaySeconds.median} s / ${record.refillDelaySeconds.p90} s / ${record.refillDelaySeconds.max} s (${delays.length} refills) | |`,
    `| besides (not in the total): S3 PUT / GET, CloudWatch metrics read | ${s3Puts} / ${s3Gets}, ${metricsRequested} ($${record.other.otherCostUsd.toFixed(4)}) | |`,
    '',
    '| function | memory MB | invocations | billed s | GB-s | bundle kB | module init ms (here) |',
    '|---|---|---|---|---|---|---|',
    ...functions.map(([id, f]) => `| ${id} | ${f.memoryMb} | ${f.invocations} | ${(f.billedMs / 1000).toFixed(1)} | ${((f.memoryMb / 1024) * (f.billedMs / 1000)).toFixed(2)} | ${record.bundles[id]?.kB ?? ''} | ${record.bundles[id]?.initMs ?? ''} |`),
    ...[...bundles.keys()].filter((k) => !h.stats.byFunction.has(k)).map((k) => `| ${k} | ${memoryOf(k)} | 0 | 0 | 0 | ${record.bundles[k].kB} | ${record.bundles[k].initMs} |`),
    '',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (opts.write) {
    fs.appendFileSync(path.join(ROOT, 'bench/results/deployed.json'), `${JSON.stringify(record)}\n`);
    fs.writeFileSync(path.join(ROOT, 'bench/results/deployed.md'), md);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
