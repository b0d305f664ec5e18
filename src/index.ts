/** sagetune: the package's public entry point. */
export * from './core';
