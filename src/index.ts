/**
 * sagetune: the package's main entry.
 *
 * - The SDK: `openStudies` (this machine, or a deployed stack), study handles (`start`, `describe`, `trials`,
 *   `wait`, `stop`, `results`, `report`), typed errors (`NotFoundError`, `AccessDeniedError`,
 *   `RequestInvalidError`, `ConflictError`).
 * - The optimizer's ask/tell (`createOptimizer`): pure, no I/O.
 * - `report`: the trial table and the HTML report of a study document.
 *
 * The engine's parts (the tick, the runner, stores, backends) are in `sagetune/engine`.
 */
export * from './sdk';
export * from './core';
export * as report from './report';
