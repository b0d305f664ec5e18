/**
 * The `sagetune` command. `main(argv)` is what bin/sagetune.js calls; {@link runCli} is the same with injectable
 * streams, for tests. Heavy modules (the request schema, the optimizer, the local backend) load only in the
 * commands that need them, so that `--help`, `status`, `results` and `report` start fast. Exit codes: 0 success, 1 internal error or a study that failed, 2 a user's mistake,
 * 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
 */
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { version } from '../../package.json';
import type { Study } from '../study/types';
import { ASK_FORMAT_HELP } from './ask-help';
import { EXIT, describeError } from './errors';
import type { CliIo } from './io';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1.`);
    return n;
  };
}

/**
 * `Running:` lines of a status: the trials in progress with how long they have run. Without a runner nothing watches
 * them. A paused study stopped them: `Waiting:`, to run again when the study resumes. A runner that died (kill -9, a
 * crash) left them as they were: `Unwatched:`, still running as far as anyone knows, adopted when the study resumes.
 */
async function running(study: Study, now: number, runner: 'driven' | 'paused' | 'gone'): Promise<string[]> {
  const { formatDuration, formatHyperParameters } = await import('../report/format');
  const { hyperParameterNames, trialRows } = await import('../report/rows');
  const rows = trialRows(study, { now }).filter((r) => r.status === 'InProgress');
  if (rows.length === 0) return [];
  const names = hyperParameterNames(study);
  const label = { driven: 'Running:   ', paused: 'Waiting:   ', gone: 'Unwatched: ' }[runner];
  const state = (r: (typeof rows)[number]): string => {
    if (runner === 'paused') return ' (resumes with the study)';
    if (r.durationSeconds === undefined) return runner === 'gone' ? ' (not started; starts when the study resumes)' : ' (not started yet)';
    return ` for ${formatDuration(r.durationSeconds)}${runner === 'gone' ? ' (adopted when the study resumes)' : ''}`;
  };
  return rows.map((r, i) => `${i === 0 ? label : ' '.repeat(label.length)} trial ${r.trial}${state(r)}  ${formatHyperParameters(r, names)}`);
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('sagetune');
  const out = (text: string): void => void io.stdout.write(text);
  program
    .description('Tune hyperparameters of training jobs with a Bayesian optimizer, from a SageMaker CreateHyperParameterTuningJob request.')
    .version(version, '-V, --version')
    .option('--debug', 'print the stack trace of internal errors (also SAGETUNE_DEBUG=1)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: out,
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(`sagetune: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 internal error or failed study, 2 a mistake in the command or its input, 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
Studies live in .sagetune/studies/<name>/ (--store-dir, or Sagetune.StudyDirectory in the request).`,
    );

  program
    .command('run')
    .description('run a tuning study on this machine, or resume it (the same command again continues an interrupted study)')
    .argument('<request.json>', 'CreateHyperParameterTuningJob request with a Sagetune.Local.Command ("-" reads standard input)')
    .addOption(new Option('--backend <backend>', 'where trials run: local processes or SageMaker training jobs (overrides Sagetune.Backend)').choices(['local', 'sagemaker']))
    .addOption(new Option('--engine <engine>', "who drives the study: sagetune's optimizer or SageMaker's own tuning job (overrides Sagetune.Engine)").choices(['sagetune', 'native']))
    .option('--store-dir <dir>', 'folder of the studies (default: Sagetune.StudyDirectory, else .sagetune/studies)')
    .option('--name <name>', 'study name (overrides HyperParameterTuningJobName)')
    .option('--parallel <n>', 'at most this many local trials at once (overrides Sagetune.Local.MaxParallel)', positiveInt('--parallel'))
    .addOption(new Option('--progress <mode>', 'live display: auto (on a terminal), on, off (plain lines)').choices(['auto', 'on', 'off']).default('auto'))
    .option('--no-report', 'do not write report.html in the study folder at the end')
    .addHelpText(
      'after',
      `
Relative paths in Sagetune.Local.Command and local channels resolve against the request file's folder
(or Sagetune.Local.WorkingDirectory, itself relative to that folder), which is also the trials' working directory.
Ctrl-C stops the running trials and leaves the study resumable; a second Ctrl-C quits at once.
With --backend sagemaker the trials are SageMaker training jobs (AWS credentials from the usual chain); with
--engine native SageMaker's own tuning job runs the study, and Ctrl-C leaves it running.`,
    )
    .action(async (file: string, opts: { backend?: string; engine?: string; storeDir?: string; name?: string; parallel?: number; progress: 'auto' | 'on' | 'off'; report: boolean }) => {
      const { runCommand } = await import('./run');
      setExit(await runCommand(file, opts, io));
    });

  program
    .command('validate')
    .description('check a request without running it: every problem at once')
    .argument('<request.json>', 'the request file ("-" reads standard input)')
    .addOption(new Option('--backend <backend>', 'check for this backend (overrides Sagetune.Backend)').choices(['local', 'sagemaker']))
    .addOption(new Option('--engine <engine>', 'check for this engine (overrides Sagetune.Engine)').choices(['sagetune', 'native']))
    .action(async (file: string, opts: { backend?: string; engine?: string }) => {
      const { loadRequest, requestSummary } = await import('./request');
      const loaded = await loadRequest(file, { backend: opts.backend, engine: opts.engine }, io.stdin);
      out(`${file === '-' ? '<stdin>' : file} is valid: ${requestSummary(loaded.request)}\n`);
    });

  program
    .command('status')
    .description('status of a study: counters, best trial so far')
    .argument('<study>', 'study name, or its folder')
    .option('--store-dir <dir>', 'folder of the studies (default .sagetune/studies)')
    .option('--json', 'print the summary as JSON')
    .action(async (ref: string, opts: { storeDir?: string; json?: boolean }) => {
      const { openStudyRef } = await import('./io');
      const { formatDuration, formatHyperParameters, formatNumber, formatTimestamp } = await import('../report/format');
      const { hyperParameterNames, summarizeStudy } = await import('../report/rows');
      const { isTerminal } = await import('../study/study');
      const { study, dir, store, name } = await openStudyRef(ref, opts.storeDir);
      // A study in progress is driven by a runner holding its lock, or by SageMaker (native engine); otherwise it
      // waits (paused) or its runner is gone. Times run on the real clock, as in results and the report.
      const open = !isTerminal(study.status);
      const runner = open && !study.native ? await store.runner(name) : undefined;
      const driven = open && (study.native !== undefined || runner !== undefined);
      const runnerState = driven ? 'driven' : study.pausedAt ? 'paused' : 'gone';
      const now = io.now();
      const s = summarizeStudy(study, now);
      if (opts.json) {
        out(`${JSON.stringify({ ...s, folder: dir, TrainingJobStatusCounters: s.counters, ...(open ? { driven, runner: runner ?? null } : {}) }, null, 2)}\n`);
        return;
      }
      const c = s.counters;
      const paused = !open || driven
        ? ''
        : study.pausedAt
          ? ` (paused ${formatTimestamp(study.pausedAt)}; run its request again to resume)`
          : ` (no runner since ${formatTimestamp(study.lastTickAt ?? study.createdAt)}; run its request again to resume)`;
      const lines = [
        `Study ${s.name}: ${s.status}${paused}${s.statusReason ? ` - ${s.statusReason}` : ''}`,
        `Objective:  ${s.objective.type === 'Maximize' ? 'maximize' : 'minimize'} ${s.objective.metricName} (${s.strategy})`,
        `Trials:     ${s.trials}${s.maxTrials ? ` of ${s.maxTrials}` : ''}`,
        `Counters:   Completed ${c.Completed}, InProgress ${c.InProgress}, RetryableError ${c.RetryableError}, NonRetryableError ${c.NonRetryableError}, Stopped ${c.Stopped}`,
        s.best
          ? `Best:       trial ${s.best.trial}, ${s.objective.metricName} = ${formatNumber(s.best.objective as number)}  ${formatHyperParameters(s.best, hyperParameterNames(study))}`
          : 'Best:       no trial completed yet',
        ...(await running(study, now, runnerState)),
        `Started:    ${formatTimestamp(s.createdAt)}${s.endedAt ? `, ended ${formatTimestamp(s.endedAt)}` : ''} (${formatDuration(s.elapsedSeconds)})`,
        `Folder:     ${dir}`,
      ];
      out(`${lines.join('\n')}\n`);
    });

  program
    .command('results')
    .description('one row per trial: hyperparameters, objective, status, duration (like the SageMaker SDK analytics dataframe)')
    .argument('<study>', 'study name, or its folder')
    .option('--store-dir <dir>', 'folder of the studies (default .sagetune/studies)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .addOption(new Option('--sort <key>', 'trial: by number; objective: best first').choices(['trial', 'objective']).default('trial'))
    .option('--out <file>', 'write to a file instead of standard output')
    .addHelpText(
      'after',
      `
CSV and JSON use the SageMaker SDK's column names: TrialNumber, TrainingJobName, one column per hyperparameter
(JSON: nested under HyperParameters), FinalObjectiveValue, TrainingJobStatus, TrainingStartTime, TrainingEndTime,
TrainingElapsedTimeSeconds, FailureReason.`,
    )
    .action(async (ref: string, opts: { storeDir?: string; format: 'table' | 'csv' | 'json'; sort: 'trial' | 'objective'; out?: string }) => {
      const { openStudyRef, writeOutputFile } = await import('./io');
      const { formatCsv, formatJson, formatTable } = await import('../report/format');
      const { hyperParameterNames, trialRows } = await import('../report/rows');
      const { study } = await openStudyRef(ref, opts.storeDir);
      const rows = trialRows(study, { sort: opts.sort, now: io.now() });
      const names = hyperParameterNames(study);
      const text = opts.format === 'csv' ? formatCsv(rows, names) : opts.format === 'json' ? formatJson(rows) : formatTable(rows, names);
      if (opts.out) await writeOutputFile(opts.out, text);
      else out(text);
    });

  program
    .command('report')
    .description('write a self-contained HTML report: convergence, objective against each hyperparameter, trial table')
    .argument('<study>', 'study name, or its folder')
    .option('--store-dir <dir>', 'folder of the studies (default .sagetune/studies)')
    .option('--out <file>', 'the HTML file to write (default: report.html in the study folder)')
    .action(async (ref: string, opts: { storeDir?: string; out?: string }) => {
      const { openStudyRef, writeOutputFile } = await import('./io');
      const { renderHtmlReport } = await import('../report/html');
      const { study, dir } = await openStudyRef(ref, opts.storeDir);
      const file = resolve(opts.out ?? `${dir}/report.html`);
      await writeOutputFile(file, renderHtmlReport(study, { now: io.now(), location: dir }));
      out(`Report of ${study.name} (${study.trials.length} trials) written to ${file}\n`);
    });

  program
    .command('ask')
    .description('stateless ask/tell for any language: search space and history in (JSON), suggestions out (JSON)')
    .argument('[input.json]', 'the input file; "-" or nothing reads standard input', '-')
    .option('-n, --count <n>', 'number of suggestions (overrides "n")', positiveInt('--count'))
    .addHelpText('after', ASK_FORMAT_HELP)
    .action(async (file: string, opts: { count?: number }) => {
      const { parseAskInput, runAsk } = await import('./ask');
      const { readJsonInput } = await import('../study/json');
      const input = parseAskInput(await readJsonInput(file, io.stdin), { n: opts.count });
      out(`${JSON.stringify(await runAsk(input), null, 2)}\n`);
    });

  return program;
}

/**
 * Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. Errors are
 * printed, never thrown.
 */
export async function runCli(argv: readonly string[], givenIo?: CliIo): Promise<number> {
  const io = givenIo ?? (await import('./io')).processIo();
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  const debug = argv.includes('--debug') || io.env.SAGETUNE_DEBUG === '1';
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with code 0; any other parse error is a usage mistake (already printed).
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode } = describeError(err, debug);
    io.stderr.write(`${message}\n`);
    return exitCode;
  }
}

/** Entry point of bin/sagetune.js: runs the CLI and sets `process.exitCode`. */
export async function main(argv: string[]): Promise<void> {
  try {
    const code = await runCli(argv);
    // A failure to write the output (see processIo) may already have failed the command.
    if (!process.exitCode || code !== EXIT.ok) process.exitCode = code;
  } catch (err) {
    // runCli prints its own errors; this is only for a failure to set up its streams.
    process.stderr.write(`sagetune: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}
