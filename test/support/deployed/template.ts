/**
 * The synthesized tuning service, made runnable here: synthesizes `SagetuneStack` (bundling skipped: the handlers run
 * from source, in-process), and resolves what the state machine and the functions need into plain values, the way
 * CloudFormation would at deploy time: pseudo parameters to fixed values, `Ref` and `Fn::GetAtt` to fake names and
 * ARNs of the resource's type, `Fn::Join` to strings.
 */
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SagetuneStack, type SagetuneStackProps } from '../../../lib';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

/** What a test needs of the synthesized stack. */
export interface SynthesizedService {
  readonly template: Record<string, Json>;
  /** The state machine's definition (ASL), resolved. */
  readonly definition: Record<string, Json>;
  readonly stateMachineName: string;
  readonly stateMachineArn: string;
  /** The functions by ARN: their step (a key of `TuningService.functions`), memory, timeout and environment, resolved. */
  readonly functions: Map<string, { id: string; memoryMb: number; timeoutSeconds: number; environment: Record<string, string> }>;
  /** The EventBridge rules: event pattern and target function ARNs. */
  readonly rules: { id: string; pattern: Record<string, Json>; targets: string[] }[];
  readonly bucketName: string;
  /** The state machine's tags, resolved. */
  readonly stateMachineTags: [string, string][];
  /** The stack's outputs, resolved. */
  readonly outputs: Record<string, string>;
}

/** Fake physical name of a resource, from its logical id. */
function physicalName(logicalId: string, type: string): string {
  if (type === 'AWS::S3::Bucket') return `sagetune-test-${logicalId.toLowerCase()}`.slice(0, 63);
  return logicalId;
}

function arnOf(logicalId: string, type: string, resources: Resources): string {
  const name = physicalName(logicalId, type);
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${String(resources[logicalId].Properties?.StateMachineName ?? name)}`;
    default:
      return `arn:aws:test:${REGION}:${ACCOUNT}:${type}/${name}`;
  }
}

/** Resolves intrinsic functions as CloudFormation would, with fake physical names. */
export function resolveIntrinsics(value: Json, resources: Resources): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, Json>;
  if ('Ref' in o) {
    const ref = String(o.Ref);
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'Sagetune' };
    if (ref in pseudo) return pseudo[ref];
    const r = resources[ref];
    if (!r) throw new Error(`Ref to unknown resource ${ref}`);
    return r.Type === 'AWS::StepFunctions::StateMachine' ? arnOf(ref, r.Type, resources) : physicalName(ref, r.Type);
  }
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    const r = resources[id];
    if (!r) throw new Error(`GetAtt of unknown resource ${id}`);
    if (attr === 'Arn') return arnOf(id, r.Type, resources);
    if (attr === 'Name') return String(r.Properties?.StateMachineName ?? physicalName(id, r.Type));
    if (attr === 'GroupId') return `sg-${id.toLowerCase().slice(0, 12)}`;
    throw new Error(`GetAtt ${attr} not faked`);
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, Json[]];
    return parts.map((p) => String(resolveIntrinsics(p, resources))).join(sep);
  }
  if ('Fn::Select' in o) {
    const [index, list] = o['Fn::Select'] as [number, Json];
    return (resolveIntrinsics(list, resources) as Json[])[index];
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveIntrinsics(v, resources)]));
}

/** Synthesizes the stack (no bundling) and returns it resolved. */
export function synthesizeService(props: SagetuneStackProps = {}): SynthesizedService {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new SagetuneStack(app, 'Sagetune', { env: { account: ACCOUNT, region: REGION }, ...props });
  const template = Template.fromStack(stack).toJSON() as Record<string, Json>;
  const resources = template.Resources as Resources;
  const [smId, sm] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
  const definition = JSON.parse(String(resolveIntrinsics(sm.Properties!.DefinitionString, resources))) as Record<string, Json>;
  const functions = new Map<string, { id: string; memoryMb: number; timeoutSeconds: number; environment: Record<string, string> }>();
  // Which function is which step, from the construct itself (not from names).
  const steps = new Map(Object.entries(stack.service.functions).map(([step, fn]) => [stack.resolve(stack.getLogicalId(fn.node.defaultChild as CfnElement)) as string, step]));
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const step = steps.get(id);
    if (!step) throw new Error(`Function ${id} is not one of the service's steps`);
    const env = resolveIntrinsics((r.Properties?.Environment as { Variables?: Json })?.Variables ?? {}, resources) as Record<string, string>;
    functions.set(arnOf(id, r.Type, resources), {
      id: step,
      memoryMb: Number(r.Properties?.MemorySize ?? 128),
      timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
      environment: env,
    });
  }
  const rules = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .map(([id, r]) => ({
      id,
      pattern: resolveIntrinsics(r.Properties!.EventPattern, resources) as Record<string, Json>,
      targets: ((r.Properties!.Targets as { Arn: Json }[]) ?? []).map((t) => String(resolveIntrinsics(t.Arn, resources))),
    }));
  const bucketId = Object.entries(resources).find(([, r]) => r.Type === 'AWS::S3::Bucket')?.[0];
  return {
    template,
    definition,
    stateMachineName: String(sm.Properties!.StateMachineName),
    stateMachineArn: arnOf(smId, sm.Type, resources),
    functions,
    rules,
    bucketName: bucketId ? physicalName(bucketId, 'AWS::S3::Bucket') : String(props.bucketName),
    stateMachineTags: ((sm.Properties!.Tags as { Key: string; Value: unknown }[] | undefined) ?? []).map((t) => [t.Key, String(resolveIntrinsics(t.Value, resources))]),
    outputs: Object.fromEntries(Object.entries((template.Outputs ?? {}) as Record<string, { Value: Json }>).map(([k, o]) => [k, String(resolveIntrinsics(o.Value, resources))])),
  };
}

/** Whether an event matches an EventBridge pattern (the forms the stack uses: value lists, `prefix`). */
export function matchesPattern(event: Record<string, Json>, pattern: Record<string, Json>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (Array.isArray(rule)) {
      return rule.some((r) => {
        if (r !== null && typeof r === 'object' && 'prefix' in (r as object)) return typeof value === 'string' && value.startsWith(String((r as { prefix: string }).prefix));
        return r === value;
      });
    }
    if (rule !== null && typeof rule === 'object') return value !== null && typeof value === 'object' && matchesPattern(value as Record<string, Json>, rule as Record<string, Json>);
    return rule === value;
  });
}
