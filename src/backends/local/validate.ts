/**
 * Up-front checks of what a local run needs, for `sagetune validate` and `sagetune run` to report before any
 * trial starts: the command exists and is executable, the script it names exists, local channel paths exist,
 * and every metric regex compiles (with a capture group) and the objective has one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RequestIssue } from '../../study/errors';
import { objectiveMetricMissing, type TuningRequest } from '../../study/request';
import { resolveChannelLocation } from './contract';
import { compileMetricDefinitions, MetricDefinitionError } from './metrics';
import { readLocalRequest } from './request-view';

/** Options of the checks. */
export interface LocalCheckOptions {
  /**
   * The folder that relative paths in `Sagetune.Local.Command` and in local channel locations resolve against;
   * it is also the working directory of the command. @default process.cwd()
   */
  readonly baseDir?: string;
  /** `PATH` used to find a bare program name. @default process.env.PATH */
  readonly pathEnv?: string;
}

function isExecutableFile(p: string): 'ok' | 'missing' | 'directory' | 'not-executable' {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'missing';
  }
  if (st.isDirectory()) return 'directory';
  try {
    fs.accessSync(p, fs.constants.X_OK);
  } catch {
    return 'not-executable';
  }
  return 'ok';
}

/** Outcome of {@link resolveProgram}: the absolute path of the program, or why it cannot be run. */
export type ResolvedProgram = { readonly path: string } | { readonly error: string };

/**
 * Finds the program of a command as the operating system would run it: a name with a `/` is a path (relative
 * to `baseDir`); a bare name is looked up in `PATH`.
 */
export function resolveProgram(program: string, baseDir: string, pathEnv: string | undefined = process.env.PATH): ResolvedProgram {
  if (program.includes('/')) {
    const abs = path.resolve(baseDir, program);
    const state = isExecutableFile(abs);
    if (state === 'ok') return { path: abs };
    const where = path.isAbsolute(program) ? '' : ` (resolved against ${baseDir})`;
    if (state === 'missing') return { error: `the program ${abs}${where} does not exist` };
    if (state === 'directory') return { error: `the program ${abs}${where} is a directory, not a program` };
    return { error: `the program ${abs}${where} is not executable (chmod +x it, or run it through its interpreter, e.g. ["python3", "${program}"])` };
  }
  const dirs = (pathEnv ?? '').split(path.delimiter).filter((d) => d !== '');
  let notExecutable: string | undefined;
  for (const dir of dirs) {
    const candidate = path.resolve(baseDir, dir, program);
    const state = isExecutableFile(candidate);
    if (state === 'ok') return { path: candidate };
    if (state === 'not-executable') notExecutable ??= candidate;
  }
  if (notExecutable) return { error: `the program ${program} was found at ${notExecutable}, which is not executable` };
  return { error: `the program ${program} was not found on PATH (${dirs.join(path.delimiter) || 'empty'})` };
}

const INTERPRETERS = /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|bash|sh|zsh|dash|Rscript|ruby|perl|julia|deno|bun)$/;
// Interpreter options after which no script file follows (code or a module name instead).
const NO_SCRIPT_OPTIONS = new Set(['-m', '-c', '-e', '--eval', '-p', '--print', '-']);
// Interpreter options that take the next argument as their value.
const VALUED_OPTIONS = new Set(['-W', '-X', '-r', '--require', '--import', '--loader', '-I', '-E']);

/**
 * The script an interpreter command runs, when the command is an interpreter (python3, node, bash, Rscript...)
 * followed by a script path: its index in the command, or undefined.
 */
export function scriptArgumentIndex(command: readonly string[]): number | undefined {
  if (!INTERPRETERS.test(path.basename(command[0]))) return undefined;
  for (let i = 1; i < command.length; i++) {
    const arg = command[i];
    if (NO_SCRIPT_OPTIONS.has(arg)) return undefined;
    if (VALUED_OPTIONS.has(arg)) {
      i += 1;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return i;
  }
  return undefined;
}

// readLocalRequest's issues are split between the two checks so that checkLocalRequest reports each once.
function isMetricIssue(issue: RequestIssue): boolean {
  return issue.path.includes('MetricDefinitions') || issue.path === 'TrainingJobDefinition';
}

/**
 * Checks `Sagetune.Local.Command` and the local channels of a request. Returns one issue per problem (empty
 * when the command can run), each naming the field, the value and what is allowed.
 */
export function checkLocalCommand(request: TuningRequest | Record<string, unknown>, options: LocalCheckOptions = {}): RequestIssue[] {
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  const { view, issues: all } = readLocalRequest(request);
  const issues = all.filter((i) => !isMetricIssue(i));
  let dir: fs.Stats | undefined;
  try {
    dir = fs.statSync(baseDir);
  } catch {
    dir = undefined;
  }
  if (!dir?.isDirectory()) {
    // Every path below resolves against this folder, and the command could not start in it: one issue says it all.
    const local = (request as { Sagetune?: { Local?: { WorkingDirectory?: unknown } } }).Sagetune?.Local;
    const field = typeof local?.WorkingDirectory === 'string' ? 'Sagetune.Local.WorkingDirectory' : 'Sagetune.Local';
    issues.push({
      path: field,
      message:
        `the training command's working directory ${baseDir} ${dir ? 'is not a folder' : 'does not exist'}` +
        (field === 'Sagetune.Local.WorkingDirectory' ? " (a relative WorkingDirectory resolves against the request file's folder)" : ''),
      received: local?.WorkingDirectory,
    });
    return issues;
  }
  const command = view.command;
  if (command) {
    const program = resolveProgram(command[0], baseDir, options.pathEnv ?? process.env.PATH);
    if ('error' in program) {
      issues.push({ path: 'Sagetune.Local.Command[0]', message: `cannot be run: ${program.error}`, received: command[0] });
    }
    const s = scriptArgumentIndex(command);
    if (s !== undefined) {
      const script = path.resolve(baseDir, command[s]);
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(script);
      } catch {
        st = undefined;
      }
      if (!st || !st.isFile()) {
        issues.push({
          path: `Sagetune.Local.Command[${s}]`,
          message:
            `names a script that ${st ? 'is not a file' : 'does not exist'}: ${script}` +
            (path.isAbsolute(command[s]) ? '' : ` (relative paths resolve against ${baseDir})`),
          received: command[s],
        });
      }
    }
  }
  for (const c of view.channels) {
    if (c.location === undefined) {
      issues.push({ path: c.field, message: `channel ${c.name} needs a location: a local path or file:// URI for a local run` });
      continue;
    }
    const loc = resolveChannelLocation(c.location, baseDir);
    if ('remote' in loc) {
      issues.push({
        path: c.field,
        message:
          `channel ${c.name} points to ${c.location}, which a local run cannot read: give a local path or a file:// URI ` +
          '(relative paths resolve against the base folder)',
        received: c.location,
      });
    } else if (!fs.existsSync(loc.local)) {
      issues.push({ path: c.field, message: `channel ${c.name}: the local path ${loc.local} does not exist`, received: c.location });
    }
  }
  return issues;
}

/**
 * Checks `AlgorithmSpecification.MetricDefinitions` for a local run: each regex must be valid Python-regex
 * syntax that can be translated, with a capture group, and the objective metric must have a definition.
 */
export function checkMetricDefinitions(request: TuningRequest | Record<string, unknown>): RequestIssue[] {
  const { view, issues: all } = readLocalRequest(request);
  const issues = all.filter(isMetricIssue);
  const defsField = `${view.definitionField}.AlgorithmSpecification.MetricDefinitions`;
  view.metricDefinitions.forEach((d, i) => {
    try {
      compileMetricDefinitions([d]);
    } catch (err) {
      if (!(err instanceof MetricDefinitionError)) throw err;
      issues.push({ path: `${defsField}[${i}].Regex`, message: err.message, received: d.Regex });
    }
  });
  const names = view.metricDefinitions.map((d) => d.Name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) issues.push({ path: defsField, message: `defines metric ${dup} more than once`, received: dup });
  if (view.objectiveMetricName !== undefined && view.metricDefinitions.length > 0 && !names.includes(view.objectiveMetricName)) {
    // Worded as the request schema words it, so that a caller merging both reports shows it once.
    issues.push({ path: defsField, message: objectiveMetricMissing(view.objectiveMetricName) });
  }
  return issues;
}

/** Both checks: everything a local run needs from the request. */
export function checkLocalRequest(request: TuningRequest | Record<string, unknown>, options: LocalCheckOptions = {}): RequestIssue[] {
  return [...checkLocalCommand(request, options), ...checkMetricDefinitions(request)];
}
