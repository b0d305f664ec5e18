export * from './types';
export { OptimizerError, SearchSpaceError } from './errors';
export type { ValidationIssue } from './errors';
export { createOptimizer, MAX_ASK } from './optimizer';
export { validateParameterRanges, resolveAutoScaling, SearchSpace, LIMITS } from './space';
export type { Dimension, NumericDimension, CategoricalDimension, ResolvedScaling } from './space';
export { bracketCount, bracketWeights, drawBracket, hyperbandStep, judgeAtRung, rungLevels, valueAt } from './hyperband';
export type { HyperbandDecision, HyperbandSettings, HyperbandTrialView, RungJudgement } from './hyperband';
