/**
 * vu for programs: the types of vu.json and the syscall table, and the
 * helpers the vu command uses.
 *
 *   import type { VuConfig } from 'vu';
 *   import { libPath, checkConfig } from 'vu';
 */
export type { VuConfig, VuLayer, LayerType } from '../generated-ts/config.js';
export { SYSCALLS } from '../generated-ts/syscalls.js';
export type { SyscallName, SyscallInfo } from '../generated-ts/syscalls.js';
export { libPath, findConfig, checkConfig, resolvedConfig, manifests } from './lib.js';
export type { ResolvedConfig, Manifest } from './lib.js';
