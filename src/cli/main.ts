/**
 * The `sagetune` command. `main(argv)` is what bin/sagetune.js calls; {@link runCli} is the same with injectable
 * streams, for tests. Heavy modules (the request schema, the optimizer, the local backend) load only in the
 * commands that need them, so that `--help`, `status`, `results` and `report` start fast. Exit codes: 0 success, 1 internal error or a study that failed, 2 a user's mistake,
 * 130 interrupted (Ctrl-C), 143 stopped by SIGTERM.
 */
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { version } from '../../package.json';
import { ASK_FORMAT_HELP } from './ask-help';
import { EXIT, describeError } from './errors';
import type { CliIo } from './io';
import { isDeployed, openStudy, openTarget, withTarget, type TargetOptions } from './target';

/** Whether a study status is final (inlined: the study layer loads only in the commands that need it). */
function isTerminalStatus(status: string): boolean {
  return status === 'Completed' || status === 'Failed' || status === 'Stopped';
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1.`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number of seconds > 0.`);
    return n;
  };
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
Studies live in .sagetune/studies/<name>/ (--store-dir, or Sagetune.StudyDirectory in the request); with --stack
or --state-machine, the commands act on the studies of a deployed stack (npx cdk deploy).`,
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
    .option('--fresh', 'if a study of this name has ended, delete it and run the request afresh')
    .addHelpText(
      'after',
      `
Relative paths in Sagetune.Local.Command and local channels resolve against the request file's folder
(or Sagetune.Local.WorkingDirectory, itself relative to that folder), which is also the trials' working directory.
Ctrl-C stops the running local trials and leaves the study resumable; a second Ctrl-C quits at once.
With --backend sagemaker the trials are SageMaker training jobs (AWS credentials from the usual chain): Ctrl-C
detaches, leaving them running (run the same command again to adopt them with their results; sagetune stop
stops them), and a second Ctrl-C within 10 seconds stops them. With --engine native SageMaker's own tuning job runs
the study, and Ctrl-C leaves it running.`,
    )
    .action(async (file: string, opts: { backend?: string; engine?: string; storeDir?: string; name?: string; parallel?: number; progress: 'auto' | 'on' | 'off'; report: boolean; fresh?: boolean }) => {
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
      const { loadRequest, requestSummary, requestWarnings } = await import('./request');
      const loaded = await loadRequest(file, { backend: opts.backend, engine: opts.engine }, io.stdin);
      out(`${file === '-' ? '<stdin>' : file} is valid: ${requestSummary(loaded.request)}\n`);
      for (const warning of requestWarnings(loaded.request)) io.stderr.write(`sagetune: warning: ${warning}\n`);
    });

  withTarget(
    program
      .command('start')
      .description('start a study: on a deployed stack (--stack or --state-machine) as an execution of its state machine; on this machine, as run does')
      .argument('<request.json>', 'CreateHyperParameterTuningJob request ("-" reads standard input)')
      .option('--wait', 'follow the study to its end with the same progress display as run')
      .option('--fresh', 'if a study of this name has ended, delete it and start afresh')
      .option('--poll-seconds <s>', 'with --wait, seconds between two looks at a deployed study', positiveNumber('--poll-seconds'), 10)
      .addOption(new Option('--progress <mode>', 'live display with --wait: auto (on a terminal), on, off (plain lines)').choices(['auto', 'on', 'off']).default('auto')),
  ).action(async (file: string, opts: TargetOptions & { wait?: boolean; fresh?: boolean; progress: 'auto' | 'on' | 'off'; pollSeconds: number }) => {
    if (!isDeployed(opts)) {
      const { runCommand } = await import('./run');
      setExit(await runCommand(file, { storeDir: opts.storeDir, progress: opts.progress, fresh: opts.fresh }, io));
      return;
    }
    const { startDeployed } = await import('./deployed');
    setExit(await startDeployed(file, opts, io));
  });

  withTarget(
    program
      .command('status')
      .description('status of a study: counters, best trial so far, who runs it')
      .argument('<study>', 'study name (or, on this machine, its folder)')
      .option('--json', 'print the summary as JSON')
      .option('--watch', 'follow the study to its end with a live display')
      .option('--poll-seconds <s>', 'with --watch, seconds between two looks (default 10 for a deployed study, 1 here)', positiveNumber('--poll-seconds'))
      .addOption(new Option('--progress <mode>', 'live display with --watch: auto (on a terminal), on, off (plain lines)').choices(['auto', 'on', 'off']).default('auto')),
  ).action(async (ref: string, opts: TargetOptions & { json?: boolean; watch?: boolean; pollSeconds?: number; progress?: 'auto' | 'on' | 'off' }) => {
    const { statusCommand } = await import('./status');
    setExit(await statusCommand(ref, opts, io));
  });

  withTarget(
    program
      .command('stop')
      .description('stop a study and its running trials (SageMaker training jobs, local processes); it ends Stopped')
      .argument('<study>', 'study name (or, on this machine, its folder)'),
  ).action(async (ref: string, opts: TargetOptions) => {
    const { handle, study } = await openStudy(ref, opts);
    if (isTerminalStatus(study.status)) {
      out(`Study ${study.name} has already ended (${study.status}).\n`);
      return;
    }
    await handle.stop('Stopped by request (sagetune stop)');
    const after = await handle.describe();
    out(
      isDeployed(opts)
        ? `Study ${study.name}: its execution is stopped; the stack stops its training jobs and marks it Stopped within a minute.\n`
        : `Study ${study.name} ${after.status === 'Stopped' ? 'stopped' : `is ${after.status}: its runner stops it`}.\n`,
    );
  });

  withTarget(program.command('list').description('the studies, with their status and number of trials').option('--json', 'print JSON')).action(
    async (opts: TargetOptions & { json?: boolean }) => {
      const studies = await (await openTarget(opts)).list();
      if (opts.json) {
        out(`${JSON.stringify(studies, null, 2)}\n`);
        return;
      }
      if (studies.length === 0) {
        out('No studies.\n');
        return;
      }
      const { formatTimestamp } = await import('../report/format');
      const width = Math.max(5, ...studies.map((s) => s.name.length));
      out(`${'STUDY'.padEnd(width)}  STATUS      TRIALS  CREATED\n`);
      for (const s of studies) out(`${s.name.padEnd(width)}  ${s.status.padEnd(10)}  ${String(s.trials).padStart(6)}  ${formatTimestamp(s.createdAt)}\n`);
    },
  );

  withTarget(
    program
      .command('delete')
      .description('delete a study that has ended (its folder, or its files in the stack\'s bucket; training outputs stay)')
      .argument('<study>', 'study name'),
  ).action(async (ref: string, opts: TargetOptions) => {
    const studies = await openTarget(opts);
    await studies.delete(ref);
    out(`Study ${ref} deleted.\n`);
  });

  withTarget(
    program
      .command('results')
      .description('one row per trial: hyperparameters, objective, status, duration (like the SageMaker SDK analytics dataframe)')
      .argument('<study>', 'study name (or, on this machine, its folder)')
      .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
      .addOption(new Option('--sort <key>', 'trial: by number; objective: best first').choices(['trial', 'objective']).default('trial'))
      .option('--out <file>', 'write to a file instead of standard output')
      .addHelpText(
        'after',
        `
CSV and JSON use the SageMaker SDK's column names: TrialNumber, TrainingJobName, one column per hyperparameter
(JSON: nested under HyperParameters), FinalObjectiveValue, one column per other metric the trials reported (JSON:
FinalMetrics, every metric), TrainingJobStatus, TrainingStartTime, TrainingEndTime, TrainingElapsedTimeSeconds,
FailureReason.`,
      ),
  ).action(async (ref: string, opts: TargetOptions & { format: 'table' | 'csv' | 'json'; sort: 'trial' | 'objective'; out?: string }) => {
    const { writeOutputFile } = await import('./io');
    const { formatCsv, formatJson, formatTable } = await import('../report/format');
    const { hyperParameterNames, otherMetricNames, trialRows } = await import('../report/rows');
    const { study } = await openStudy(ref, opts);
    const rows = trialRows(study, { sort: opts.sort, now: io.now() });
    const names = hyperParameterNames(study);
    const metrics = otherMetricNames(study);
    const text = opts.format === 'csv' ? formatCsv(rows, names, metrics) : opts.format === 'json' ? formatJson(rows) : formatTable(rows, names, { metrics });
    if (opts.out) await writeOutputFile(opts.out, text);
    else out(text);
  });

  withTarget(
    program
      .command('report')
      .description('write a self-contained HTML report: convergence, objective against each hyperparameter, trial table')
      .argument('<study>', 'study name (or, on this machine, its folder)')
      .option('--out <file>', 'the HTML file to write (default: report.html in the study folder; for a deployed study, <study>.html here)'),
  ).action(async (ref: string, opts: TargetOptions & { out?: string }) => {
    const { writeOutputFile } = await import('./io');
    const { renderHtmlReport } = await import('../report/html');
    const { study, location } = await openStudy(ref, opts);
    const file = resolve(opts.out ?? (isDeployed(opts) ? `${study.name}.html` : `${location}/report.html`));
    await writeOutputFile(file, renderHtmlReport(study, { now: io.now(), location }));
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
