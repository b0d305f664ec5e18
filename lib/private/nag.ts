/**
 * cdk-nag acknowledgements of wildcard resources, named the way cdk-nag names its findings: the resource ARN with
 * `Ref` written `<Name>` and `Fn::GetAtt` written `<Resource.Attribute>` (see cdk-nag's `resolveResourceFromInstrinsic`).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(flatten).join('');
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return `<${String(o.Ref)}>`;
    if ('Fn::GetAtt' in o) {
      const att = o['Fn::GetAtt'];
      return `<${Array.isArray(att) ? att.join('.') : String(att)}>`;
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
  }
  return JSON.stringify(value);
}

/** The text of a (possibly tokenized) value as it appears in a cdk-nag finding. */
export function nagText(scope: IConstruct, value: string): string {
  return flatten(Stack.of(scope).resolve(value));
}

/** Acknowledges cdk-nag's IAM5 finding for one wildcard resource, with the reason it is needed. */
export function acknowledgeWildcard(scope: IConstruct, resource: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${nagText(scope, resource)}]`, reason });
}
