/**
 * Checks of the tuning service's props: every problem is collected and reported at once, with the value received
 * and what is allowed. Values that are tokens (known only at deploy time) are not checked.
 */
import { Duration, Token } from 'aws-cdk-lib';
import type { TuningServiceProps } from '../tuning-service';

/** Longest job-name prefix: tuning-job names have 32 characters, and a study name needs room after the prefix. */
export const MAX_JOB_NAME_PREFIX = 20;
/** Most ticks one execution may run (about 13 history events each, within the 25,000-event limit with room for retries). */
export const MAX_TICKS_PER_EXECUTION = 1500;

const JOB_NAME_PREFIX = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*-*$/;
const KEY_PREFIX = /^[a-zA-Z0-9!_.*'()-]+(\/[a-zA-Z0-9!_.*'()-]+)*\/$/;

/** The props' problems, one sentence each (empty when the props are valid). */
export function propsProblems(props: TuningServiceProps): string[] {
  const problems: string[] = [];
  const { jobNamePrefix, keyPrefix, maxWait, maxTicksPerExecution, tickTimeout } = props;
  if (jobNamePrefix !== undefined && !Token.isUnresolved(jobNamePrefix)) {
    if (jobNamePrefix.length === 0 || jobNamePrefix.length > MAX_JOB_NAME_PREFIX || !JOB_NAME_PREFIX.test(jobNamePrefix)) {
      problems.push(
        `jobNamePrefix ${JSON.stringify(jobNamePrefix)} is not allowed: use 1 to ${MAX_JOB_NAME_PREFIX} letters, digits and hyphens, starting with a letter or digit (SageMaker job names), e.g. "sagetune-"`,
      );
    }
  }
  if (keyPrefix !== undefined && keyPrefix !== '' && !Token.isUnresolved(keyPrefix) && (!KEY_PREFIX.test(keyPrefix) || keyPrefix.split('/').some((p) => p === '.' || p === '..'))) {
    problems.push(`keyPrefix ${JSON.stringify(keyPrefix)} is not allowed: use '' or S3 key segments of letters, digits and !_.*'()- ending with '/', e.g. "sagetune/"`);
  }
  const seconds = (d: Duration | undefined): number | undefined => (d === undefined || d.isUnresolved() ? undefined : d.toSeconds({ integral: false }));
  const wait = seconds(maxWait);
  if (wait !== undefined && (wait < 60 || wait > 86_400)) problems.push(`maxWait ${wait} seconds is not allowed: use 1 minute to 1 day`);
  const timeout = seconds(tickTimeout);
  if (timeout !== undefined && (timeout < 60 || timeout > 900)) problems.push(`tickTimeout ${timeout} seconds is not allowed: use 1 to 15 minutes (Lambda's limit); the tick keeps 30 seconds of it to record its work`);
  if (maxTicksPerExecution !== undefined && (!Number.isInteger(maxTicksPerExecution) || maxTicksPerExecution < 1 || maxTicksPerExecution > MAX_TICKS_PER_EXECUTION)) {
    problems.push(`maxTicksPerExecution ${maxTicksPerExecution} is not allowed: use a whole number from 1 to ${MAX_TICKS_PER_EXECUTION} (an execution's history holds 25,000 events)`);
  }
  if (props.bucket && props.removalPolicy !== undefined) problems.push('removalPolicy applies to a bucket the construct creates: leave it out when you pass bucket');
  if (props.bucket && props.serverAccessLogsBucket) problems.push('serverAccessLogsBucket applies to a bucket the construct creates: configure access logs on the bucket you pass');
  if (props.executionRole && props.dataBuckets?.length) problems.push("dataBuckets are granted to the execution role the construct creates: grant them to the executionRole you pass instead");
  if (!props.vpc && (props.vpcSubnets || props.securityGroups?.length)) problems.push('vpcSubnets and securityGroups need vpc');
  if (props.securityGroups && props.securityGroups.length > 5) problems.push(`securityGroups has ${props.securityGroups.length} groups: SageMaker's VpcConfig takes 1 to 5`);
  return problems;
}

/** Thrown by the construct when its props are invalid; the message lists every problem. */
export class TuningServicePropsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid TuningService props (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TuningServicePropsError';
  }
}
