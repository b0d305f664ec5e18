/**
 * The files of a local trial folder, through which the backend (in whichever runner process) and the trial's
 * wrapper process talk. Every JSON record is written whole (to a temporary file, then renamed), so a reader sees
 * either nothing or the complete record, whatever process dies when.
 *
 * ```
 * <trial folder>/
 *   spec.json      backend -> wrapper: the command, its environment additions, limits (written before the launch)
 *   wrapper.js     the wrapper's program
 *   launch.json    backend: the launch record (wrapper pid and token); its presence makes launch() adopt the trial
 *   claim          wrapper: created exclusively, so that at most one wrapper ever runs the trial
 *   started.json   wrapper: its pid and token, and when the command started
 *   child.json     wrapper: the training process's pid (= its process group)
 *   stdout.log     the command's standard output, as written
 *   stderr.log     the command's standard error, as written
 *   output.log     both, one line per output line: `<ms since start>\t<o|e>\t<line>` (what metrics are read from)
 *   stop.json      backend -> wrapper: a stop was requested, and why
 *   exit.json      wrapper: how the command ended (written once, when it has ended and its output is drained)
 *   wrapper.log    the wrapper's own diagnostics
 *   model/ output/ input/   SageMaker's folders (see contract.ts)
 * ```
 */

export const FILES = {
  spec: 'spec.json',
  wrapper: 'wrapper.js',
  launch: 'launch.json',
  claim: 'claim',
  started: 'started.json',
  child: 'child.json',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  output: 'output.log',
  stop: 'stop.json',
  exit: 'exit.json',
  wrapperLog: 'wrapper.log',
} as const;

/** What the wrapper runs. */
export interface WrapperSpec {
  readonly jobName: string;
  /** The command to run: the program's resolved path, the user's arguments, then the hyperparameter arguments. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Added to the environment the wrapper inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** `StoppingCondition.MaxRuntimeInSeconds`, in milliseconds. */
  readonly maxRuntimeMs: number;
  /** Milliseconds between SIGTERM and SIGKILL when the command is stopped. */
  readonly killGraceMs: number;
  /** Random token: in the wrapper's command line and the command's environment (`SAGETUNE_TRIAL_TOKEN`). */
  readonly token: string;
}

export interface LaunchRecord {
  readonly jobName: string;
  readonly wrapperPid: number;
  readonly token: string;
  readonly launchedAt: string;
  /** The trial's hyperparameters, to refuse adopting a folder left by a different trial of the same job name. */
  readonly hyperParameters?: Record<string, number | string>;
}

export interface StartedRecord {
  readonly pid: number;
  readonly token: string;
  /** When the training command was started (ISO-8601). */
  readonly startedAt: string;
  readonly startMs: number;
}

export interface ChildRecord {
  readonly pid: number;
  /** The command runs in its own process group (and session), whose id is its pid. */
  readonly pgid: number;
  /** The token in the command's environment. */
  readonly token: string;
}

export interface StopRecord {
  readonly reason: string;
  readonly requestedAt: string;
}

/** Why the wrapper ended the command itself. */
export type Termination = 'stop' | 'MaxRuntimeExceeded';

export interface ExitRecord {
  /** Exit code of the command; null when it was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** Set when the wrapper terminated the command (a stop request, or the runtime limit). */
  readonly terminated?: Termination;
  readonly stopReason?: string;
  /** The command could not be started (e.g. ENOENT), or the wrapper failed. */
  readonly error?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
}
