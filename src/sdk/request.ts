/**
 * Checking a request before a study runs it on this machine: the schema and its cross-field rules, and, for trials
 * run as local processes, the command, its script, local channels and metric regexes. Every problem at once.
 */
import { checkLocalRequest } from '../backends/local';
import { RequestValidationError, type RequestIssue } from '../study/errors';
import { parseTuningRequest, type TuningRequest } from '../study/request';

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** Options of {@link checkRequest}. */
export interface CheckRequestOptions {
  /** Where the request came from, for messages (a file name). */
  readonly source?: string;
  /** The folder relative paths of the local command and channels resolve against. */
  readonly baseDir: string;
  /** The option that set `HyperParameterTuningJobName` (e.g. `--name`), named in its problems. */
  readonly renamed?: string;
}

/**
 * Checks a request for a run on this machine.
 * @throws RequestValidationError listing every problem.
 */
export function checkRequest(raw: unknown, options: CheckRequestOptions): TuningRequest {
  const { source, baseDir } = options;
  let request: TuningRequest | undefined;
  const issues: RequestIssue[] = [];
  try {
    request = parseTuningRequest(raw, { source });
  } catch (err) {
    if (!(err instanceof RequestValidationError)) throw err;
    // A name given on the command line is its mistake, not the file's: say where it came from.
    issues.push(...err.issues.map((i) => (options.renamed !== undefined && i.path === 'HyperParameterTuningJobName' ? { ...i, path: `${options.renamed} (HyperParameterTuningJobName)` } : i)));
  }
  const backend = request?.Sagetune.Backend ?? record(record(raw)?.Sagetune)?.Backend ?? 'local';
  const engine = request?.Sagetune.Engine ?? record(record(raw)?.Sagetune)?.Engine ?? 'sagetune';
  // SageMaker's own tuning job runs every trial on SageMaker: the local command is not used then.
  if (backend === 'local' && engine !== 'native' && record(raw)) {
    const seen = new Set(issues.map((i) => `${i.path}\n${i.message}`));
    const seenPaths = new Set(issues.map((i) => i.path));
    for (const issue of checkLocalRequest(request ?? (raw as Record<string, unknown>), { baseDir })) {
      // A field already reported by the schema is not reported again; nor is the command as a whole when the schema
      // reported one of its arguments (Command[0]): both would describe the same mistake. Other containers keep their
      // own issues (a duplicate metric name is not the same mistake as a bad regex in another entry).
      const covered =
        request === undefined &&
        [...seenPaths].some((p) => p === issue.path || (issue.path === 'Sagetune.Local.Command' && p.startsWith('Sagetune.Local.Command[')));
      if (seen.has(`${issue.path}\n${issue.message}`) || covered) continue;
      seen.add(`${issue.path}\n${issue.message}`);
      issues.push(issue);
    }
  }
  if (issues.length > 0 || request === undefined) throw new RequestValidationError(issues, { source });
  return request;
}
