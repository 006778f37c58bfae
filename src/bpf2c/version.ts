/**
 * The version of bpf2c's translation, recorded in every image. Bumped whenever the generated code's meaning or
 * layout changes, so that an image says which translation produced it (and build caches key on it).
 *
 * Author: Claude.
 *
 * @module
 */

/** bpf2c's version. */
export const BPF2C_VERSION = '0.1.2';

/**
 * The version of the program-info description (programInfoText) the info hashes are taken over: bumped whenever
 * what it says, or how, changes.
 */
export const PROGRAM_INFO_VERSION = 2;
