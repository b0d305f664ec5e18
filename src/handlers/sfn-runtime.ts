/** The Step Functions side of the handlers' shared objects: the client, wait records, execution look-ups. */
import { DescribeExecutionCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { classifyAwsError } from '../aws/errors';
import { withAwsRetry } from '../aws/retry';
import { WaitRecordStore } from '../deployed/wait-record';
import { Waiting } from '../deployed/waiting';
import { clock, config, lazy, s3 } from './runtime';

const sfn = lazy(() => new SFNClient({}));
export const waits = lazy(() => new Waiting({ records: new WaitRecordStore(s3(), config()), sfn: sfn(), clock }));

/** DescribeExecution, or undefined when the execution does not exist. */
async function describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await withAwsRetry('StepFunctions.DescribeExecution', () => sfn().send(new DescribeExecutionCommand({ executionArn })));
  } catch (error) {
    if (classifyAwsError(error) === 'notFound' || (error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

/** The status of an execution (`RUNNING`, `SUCCEEDED`, ...), undefined when it does not exist. */
export async function executionStatus(executionArn: string): Promise<string | undefined> {
  return (await describeExecution(executionArn))?.status;
}

/** The input of an execution (JSON text), undefined when it does not exist. */
export async function executionInput(executionArn: string): Promise<string | undefined> {
  return (await describeExecution(executionArn))?.input;
}
