import { SearchSpace, validateParameterRanges, resolveAutoScaling, SearchSpaceError } from '../../src/core';

const cont = (o: Record<string, unknown>) => ({ ContinuousParameterRanges: [{ Name: 'lr', MinValue: '0.001', MaxValue: '0.1', ...o }] });
const int = (o: Record<string, unknown>) => ({ IntegerParameterRanges: [{ Name: 'depth', MinValue: 1, MaxValue: 10, ...o }] });

function issues(ranges: unknown, strategy?: 'Grid') {
  return validateParameterRanges(ranges, strategy);
}

describe('validateParameterRanges: every rule has a failing case with its message', () => {
  const cases: [string, unknown, string, RegExp, ('Grid' | undefined)?][] = [
    ['not an object', 42, 'ParameterRanges', /must be an object.*got 42/],
    ['unknown list', { FloatRanges: [] }, 'ParameterRanges.FloatRanges', /unknown field; allowed: IntegerParameterRanges/],
    ['autotune', { AutoParameters: [{ Name: 'x', ValueHint: '1' }] }, 'ParameterRanges.AutoParameters', /not supported/],
    ['list not a list', { ContinuousParameterRanges: { Name: 'x' } }, 'ParameterRanges.ContinuousParameterRanges', /must be a list/],
    ['entry not an object', { IntegerParameterRanges: ['x'] }, 'ParameterRanges.IntegerParameterRanges[0]', /must be an object; got "x"/],
    ['unknown field in a range', cont({ Scaling: 'Linear' }), 'ParameterRanges.ContinuousParameterRanges[0].Scaling', /unknown field; allowed: Name, MinValue, MaxValue, ScalingType/],
    ['missing name', { ContinuousParameterRanges: [{ MinValue: 0, MaxValue: 1 }] }, 'ParameterRanges.ContinuousParameterRanges[0].Name', /non-empty string; got nothing/],
    ['empty name', cont({ Name: '' }), 'ParameterRanges.ContinuousParameterRanges[0].Name', /non-empty string; got ""/],
    ['name too long', cont({ Name: 'x'.repeat(257) }), 'ParameterRanges.ContinuousParameterRanges[0].Name', /257 characters long; at most 256/],
    ['duplicate name', { ...cont({ Name: 'a' }), CategoricalParameterRanges: [{ Name: 'a', Values: ['x'] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Name', /"a" is already used by ParameterRanges.ContinuousParameterRanges\[0\]/],
    ['min not a number', cont({ MinValue: 'abc' }), 'ParameterRanges.ContinuousParameterRanges[0].MinValue', /finite number .* got "abc"/],
    ['max infinite', cont({ MaxValue: Infinity }), 'ParameterRanges.ContinuousParameterRanges[0].MaxValue', /finite number/],
    ['integer bound not integral', int({ MaxValue: '7.5' }), 'ParameterRanges.IntegerParameterRanges[0].MaxValue', /must be an integer .* got "7.5"/],
    ['bad scaling type', cont({ ScalingType: 'Exponential' }), 'ParameterRanges.ContinuousParameterRanges[0].ScalingType', /one of Auto, Linear, Logarithmic, ReverseLogarithmic; got "Exponential"/],
    ['min equal to max', int({ MinValue: 3, MaxValue: 3 }), 'ParameterRanges.IntegerParameterRanges[0].MinValue', /MinValue \(3\) must be less than MaxValue \(3\)/],
    ['min above max', cont({ MinValue: 2, MaxValue: 1 }), 'ParameterRanges.ContinuousParameterRanges[0].MinValue', /MinValue \(2\) must be less than MaxValue \(1\)/],
    ['log with min 0', cont({ MinValue: 0, ScalingType: 'Logarithmic' }), 'ParameterRanges.ContinuousParameterRanges[0].MinValue', /Logarithmic scaling needs MinValue > 0; got 0/],
    ['reverse log on integers', int({ ScalingType: 'ReverseLogarithmic' }), 'ParameterRanges.IntegerParameterRanges[0].ScalingType', /only for continuous ranges/],
    ['reverse log with max 1', cont({ MinValue: 0.5, MaxValue: 1, ScalingType: 'ReverseLogarithmic' }), 'ParameterRanges.ContinuousParameterRanges[0].ScalingType', /0 <= MinValue < MaxValue < 1; got \[0.5, 1\]/],
    ['categorical without values', { CategoricalParameterRanges: [{ Name: 'c', Values: [] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Values', /non-empty list of strings/],
    ['categorical value not a string', { CategoricalParameterRanges: [{ Name: 'c', Values: ['a', 3] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Values[1]', /must be a string; got 3/],
    ['categorical value too long', { CategoricalParameterRanges: [{ Name: 'c', Values: ['v'.repeat(300)] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Values[0]', /300 characters long; at most 256/],
    ['duplicate categorical value', { CategoricalParameterRanges: [{ Name: 'c', Values: ['a', 'b', 'a'] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Values[2]', /"a" appears twice/],
    ['too many categorical values', { CategoricalParameterRanges: [{ Name: 'c', Values: Array.from({ length: 31 }, (_, i) => `v${i}`) }] }, 'ParameterRanges.CategoricalParameterRanges[0].Values', /31 values; at most 30/],
    ['no parameter at all', {}, 'ParameterRanges', /defines no parameter/],
    ['more than 30 in one list', { ContinuousParameterRanges: Array.from({ length: 31 }, (_, i) => ({ Name: `p${i}`, MinValue: 0, MaxValue: 1 })) }, 'ParameterRanges.ContinuousParameterRanges', /31 entries; at most 30/],
    ['more than 30 in all', { ContinuousParameterRanges: Array.from({ length: 20 }, (_, i) => ({ Name: `p${i}`, MinValue: 0, MaxValue: 1 })), IntegerParameterRanges: Array.from({ length: 11 }, (_, i) => ({ Name: `q${i}`, MinValue: 0, MaxValue: 1 })) }, 'ParameterRanges', /31 parameters; at most 30 tunable/],
    ['grid over a continuous range', cont({}), 'ParameterRanges.ContinuousParameterRanges[0]', /Grid search cannot enumerate a continuous range/, 'Grid'],
    ['integer bound beyond 2^53', int({ MaxValue: 2 ** 53 + 2 }), 'ParameterRanges.IntegerParameterRanges[0].MaxValue', /must be between -9007199254740991 and 9007199254740991 for an integer range; got 9007199254740994/],
    ['linear range wider than a double', cont({ MinValue: -1e308, MaxValue: '1e308' }), 'ParameterRanges.ContinuousParameterRanges[0]', /MaxValue - MinValue \(1e\+308 - -1e\+308\) overflows a double/],
    ['NaN named as NaN, not null', cont({ MinValue: NaN }), 'ParameterRanges.ContinuousParameterRanges[0].MinValue', /finite number .* got NaN$/],
    ['reserved name __proto__', { CategoricalParameterRanges: [{ Name: '__proto__', Values: ['a', 'b'] }] }, 'ParameterRanges.CategoricalParameterRanges[0].Name', /"__proto__" cannot be a parameter name/],
    ['grid too large', { IntegerParameterRanges: [{ Name: 'a', MinValue: 1, MaxValue: 1000 }, { Name: 'b', MinValue: 1, MaxValue: 1000 }] }, 'ParameterRanges', /1000000 combinations; at most 10000/, 'Grid'],
  ];
  for (const [name, ranges, path, message, strategy] of cases) {
    it(name, () => {
      const found = issues(ranges, strategy);
      expect(found.filter((i) => i.path === path).map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
    });
  }

  it('accepts a valid space with every kind of range and numbers given as strings', () => {
    expect(issues({ ...cont({}), ...int({}), CategoricalParameterRanges: [{ Name: 'b', Values: ['gbtree', 'dart'] }] })).toEqual([]);
  });

  it('reports every problem at once, each naming its parameter, value and rule', () => {
    const err = (() => {
      try {
        SearchSpace.fromRanges({ ContinuousParameterRanges: [{ Name: 'lr', MinValue: 0, MaxValue: 1, ScalingType: 'Logarithmic' }], IntegerParameterRanges: [{ Name: 'lr', MinValue: 'x', MaxValue: 2 }] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SearchSpaceError);
    const e = err as SearchSpaceError;
    expect(e.issues.length).toBe(3);
    expect(e.message).toMatch(/3 problems/);
    expect(e.message).toMatch(/ContinuousParameterRanges\[0\].MinValue: Logarithmic scaling needs MinValue > 0; got 0/);
    expect(e.message).toMatch(/ContinuousParameterRanges\[0\].Name: "lr" is already used by ParameterRanges.IntegerParameterRanges\[0\]/);
    expect(e.message).toMatch(/IntegerParameterRanges\[0\].MinValue: must be a finite number/);
  });
});

describe('SearchSpace encoding', () => {
  it('resolves Auto scaling by the documented rule', () => {
    expect(resolveAutoScaling('continuous', 1e-4, 1e-1)).toBe('Logarithmic');
    expect(resolveAutoScaling('integer', 1, 1000)).toBe('Logarithmic');
    expect(resolveAutoScaling('continuous', 0, 1)).toBe('Linear');
    expect(resolveAutoScaling('continuous', 0.1, 5)).toBe('Linear');
    expect(resolveAutoScaling('continuous', 0.9, 0.9999)).toBe('ReverseLogarithmic');
    expect(resolveAutoScaling('integer', -5, 500)).toBe('Linear');
  });

  it('round-trips values through encode and decode for every scaling', () => {
    const space = SearchSpace.fromRanges({
      ContinuousParameterRanges: [
        { Name: 'lin', MinValue: -2, MaxValue: 3, ScalingType: 'Linear' },
        { Name: 'log', MinValue: 1e-5, MaxValue: 1, ScalingType: 'Logarithmic' },
        { Name: 'rev', MinValue: 0.9, MaxValue: 0.9999, ScalingType: 'ReverseLogarithmic' },
      ],
      IntegerParameterRanges: [
        { Name: 'ilin', MinValue: -3, MaxValue: 4, ScalingType: 'Linear' },
        { Name: 'ilog', MinValue: 1, MaxValue: 1024, ScalingType: 'Logarithmic' },
      ],
      CategoricalParameterRanges: [{ Name: 'c', Values: ['a', 'b', 'c'] }],
    });
    const hp = { lin: 0.25, log: 0.003, rev: 0.995, ilin: -2, ilog: 37, c: 'b' };
    const back = space.decode(space.encode(hp));
    expect(back.lin).toBeCloseTo(0.25, 12);
    expect(back.log).toBeCloseTo(0.003, 12);
    expect(back.rev).toBeCloseTo(0.995, 12);
    expect(back).toMatchObject({ ilin: -2, ilog: 37, c: 'b' });
    // Every integer of a range has its own code, and codes of integers are bin centres inside [0, 1].
    const codes = new Set<number>();
    const at = space.dims.findIndex((d) => d.name === 'ilin');
    for (let v = -3; v <= 4; v++) codes.add(space.encode({ ...hp, ilin: v })[at]);
    expect(codes.size).toBe(8);
    for (const c of codes) expect(c > 0 && c < 1).toBe(true);
  });

  it('snaps integers and categoricals and clamps to the box', () => {
    const space = SearchSpace.fromRanges({ IntegerParameterRanges: [{ Name: 'k', MinValue: 0, MaxValue: 4 }], CategoricalParameterRanges: [{ Name: 'c', Values: ['x', 'y'] }] });
    const x = space.snap(Float64Array.from([1.7, 5.2]));
    expect(space.decode(x)).toEqual({ k: 4, c: 'y' });
    expect(space.check({ k: 2.5, c: 'x' })).toMatch(/k=2.5 is not an integer/);
    expect(space.check({ k: 2, c: 'z' })).toMatch(/c="z" is not one of "x", "y"/);
    expect(space.check({ k: 9, c: 'x' })).toMatch(/k=9 is outside \[0, 4\]/);
    expect(space.check({ k: 1 })).toMatch(/has no value for c/);
    expect(space.check({ k: 1, c: 'x', extra: 1 })).toMatch(/not in the space: extra/);
  });
});
