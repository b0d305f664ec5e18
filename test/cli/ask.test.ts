import { MAX_ASK } from '../../src/core';
import { ASK_FORMAT_HELP } from '../../src/cli/ask-help';
import { cli } from './helpers';

const RANGES = {
  IntegerParameterRanges: [{ Name: 'depth', MinValue: '1', MaxValue: '8' }],
  ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.0001', MaxValue: '1', ScalingType: 'Logarithmic' }],
  CategoricalParameterRanges: [{ Name: 'kind', Values: ['a', 'b'] }],
};

async function ask(input: unknown, args: string[] = []) {
  return cli(['ask', ...args], { stdin: typeof input === 'string' ? input : JSON.stringify(input) });
}

describe('sagetune ask', () => {
  it('suggests points of the space from standard input, as JSON', async () => {
    const result = await ask({ ParameterRanges: RANGES, n: 3, Strategy: 'Random' });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.suggestions).toHaveLength(3);
    for (const s of out.suggestions) {
      expect(typeof s.id).toBe('string');
      expect(Number.isInteger(s.hyperParameters.depth) && s.hyperParameters.depth >= 1 && s.hyperParameters.depth <= 8).toBe(true);
      expect(s.hyperParameters.lr).toBeGreaterThanOrEqual(0.0001);
      expect(s.hyperParameters.lr).toBeLessThanOrEqual(1);
      expect(['a', 'b']).toContain(s.hyperParameters.kind);
    }
  });

  it('is deterministic for the same input and seed, and never repeats a configuration of the history', async () => {
    const history = [
      { hyperParameters: { depth: 4, lr: 0.01, kind: 'a' }, value: 0.5 },
      { hyperParameters: { depth: 2, lr: 0.1, kind: 'b' }, state: 'failed' },
      { id: 'running-1', hyperParameters: { depth: 8, lr: 0.5, kind: 'a' }, state: 'pending' },
    ];
    const input = { ParameterRanges: RANGES, Objective: { Type: 'Maximize' }, RandomSeed: 3, Strategy: 'Random', history, n: 4 };
    const a = JSON.parse((await ask(input)).stdout);
    const b = JSON.parse((await ask(input)).stdout);
    expect(a).toEqual(b);
    const key = (hp: Record<string, unknown>) => JSON.stringify([hp.depth, hp.lr, hp.kind]);
    const seen = new Set(history.map((h) => key(h.hyperParameters)));
    for (const s of a.suggestions) expect(seen.has(key(s.hyperParameters))).toBe(false);
    const c = JSON.parse((await ask({ ...input, RandomSeed: 4 })).stdout);
    expect(c).not.toEqual(a);
  });

  it('runs the Bayesian strategy after enough history, returns its model state, and --count overrides n', async () => {
    const history = Array.from({ length: 8 }, (_, i) => {
      const depth = 1 + (i % 8);
      const lr = Number((10 ** (-4 + (i * 4) / 7)).toPrecision(10));
      return { hyperParameters: { depth, lr, kind: i % 2 ? 'a' : 'b' }, value: (Math.log10(lr) + 2) ** 2 + depth / 10 };
    });
    const result = await ask({ ParameterRanges: RANGES, history, n: 5 }, ['--count', '2']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.suggestions).toHaveLength(2);
    // The state is the Gaussian process's fitted hyperparameters (log scale: finite numbers), the start of the next fit.
    expect(Object.keys(out.modelState)).toEqual(['theta']);
    expect(out.modelState.theta.length).toBeGreaterThan(3);
    expect(out.modelState.theta.every(Number.isFinite)).toBe(true);
    // The model state of one call is read by the next: accepted and refined when it is the state given back ...
    const next = await ask({ ParameterRanges: RANGES, history, modelState: out.modelState });
    expect(next.code).toBe(0);
    const refined = JSON.parse(next.stdout);
    expect(refined.suggestions).toHaveLength(1);
    expect(refined.modelState.theta).toHaveLength(out.modelState.theta.length);
    // ... and refused, naming it, when it is not.
    const bad = await ask({ ParameterRanges: RANGES, history, modelState: 'theta' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('modelState');
  });

  it('reports every problem of the input at once, with exit code 2', async () => {
    const result = await ask({
      ParameterRanges: { ContinuousParameterRanges: [{ Name: 'lr', MinValue: '1', MaxValue: '0.1' }] },
      Objective: { Type: 'Minimise' },
      histroy: [],
      n: 0,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^sagetune: invalid ask input \(4 problems\):/);
    expect(result.stderr).toContain('Objective.Type: must be one of "Minimize", "Maximize"; got "Minimise"');
    expect(result.stderr).toContain('histroy: unknown field (did you mean history?)');
    expect(result.stderr).toContain('n: must be at least 1; got 0');
    expect(result.stderr).toMatch(/ParameterRanges\.ContinuousParameterRanges\[0\]/);
  });

  it('checks each history entry against the space and for a result', async () => {
    const result = await ask({
      ParameterRanges: RANGES,
      history: [
        { hyperParameters: { depth: 40, lr: 0.01, kind: 'a' }, value: 1 },
        { hyperParameters: { depth: 4, lr: 0.01, kind: 'a' } },
        { hyperParameters: { depth: 4, lr: 0.01, kind: 'z' }, state: 'failed', value: 2 },
        { id: 'x', hyperParameters: { depth: 4, lr: 0.02, kind: 'a' }, value: 1 },
        { id: 'x', hyperParameters: { depth: 4, lr: 0.03, kind: 'a' }, value: 1 },
      ],
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('history[0].hyperParameters: depth=40 is outside [1, 8]');
    expect(result.stderr).toContain('history[1]: needs "value" (a completed trial) or "state": "failed" or "pending"');
    expect(result.stderr).toContain('history[2].hyperParameters: kind="z" is not one of "a", "b"');
    expect(result.stderr).toContain('history[2].value: a failed trial has no value');
    expect(result.stderr).toContain('history[4].id: "x" appears twice');
  });

  it('names types in words and an infinite value as Infinity, and a missing ParameterRanges once', async () => {
    const bad = await ask('{"ParameterRanges": ' + JSON.stringify(RANGES) + ', "n": "2", "RandomSeed": 1.5, "history": [{"hyperParameters": {}, "value": 1e999}]}');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('n: must be a number, not string "2"');
    expect(bad.stderr).toContain('RandomSeed: must be an integer, not number 1.5');
    expect(bad.stderr).toContain('history[0].value: must be a finite number; got Infinity');
    const none = await ask({});
    expect(none.stderr).toBe('sagetune: invalid ask input (1 problem):\n  - ParameterRanges: is required (SageMaker ParameterRanges)\n');
  });

  it('malformed input: line and column', async () => {
    const result = await ask('{\n  "ParameterRanges": {}\n  "n": 2\n}');
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe(`sagetune: <stdin>:3:3: not valid JSON: unexpected '"'; expected ',' or '}' after a property value\n`.replace(`'"'`, '"\\""'));
  });

  it('documents the format in its help, with the core limits', async () => {
    const help = await cli(['ask', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('"suggestions"');
    expect(help.stdout).toContain('history');
    expect(ASK_FORMAT_HELP).toContain(`1 to ${MAX_ASK}`);
  });
});
