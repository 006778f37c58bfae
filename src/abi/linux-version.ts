/**
 * The Linux version whose ABI these tables describe (helper prototypes, context layouts and access rules, program,
 * map and attach type numbering). Attestations of objects signed for the kernel name it as their target.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * LINUX_ABI_VERSION; // '6.18'
 * ```
 * @module
 */

/** `6.18`: the kernel release the ABI facts of this layer were taken from and checked against. */
export const LINUX_ABI_VERSION = '6.18';
