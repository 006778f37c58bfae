/**
 * The kernel's BTF (vmlinux) as the verifier is given it: what Linux checks against its own types (kfunc
 * prototypes, BTF-typed contexts, `PTR_TO_BTF_ID` field accesses). Parsing vmlinux's 5 MB takes about 0.2 s, more
 * than verifying a small object, so it is parsed on first use only: a program that never needs it never pays.
 *
 * Author: Claude.
 *
 * @module
 */
import { parseBtf, type Btf } from '../btf/index.ts';

/** The kernel's BTF, parsed when first asked for. */
export interface KernelBtf {
  /** Where it was read from, for messages (`/sys/kernel/btf/vmlinux`). */
  readonly file: string;
  /**
   * The types (parsed once, then kept).
   *
   * @throws {BtfError} naming `file` when the bytes are not valid BTF.
   */
  types(): Btf;
}

/**
 * A {@link KernelBtf} read by `read` and parsed on first use.
 *
 * @example
 * ```ts
 * const kernelBtf = lazyKernelBtf('/sys/kernel/btf/vmlinux', () => new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
 * verifyProgram(spec, program, { kernelBtf });
 * ```
 */
export function lazyKernelBtf(file: string, read: () => Uint8Array): KernelBtf {
  let btf: Btf | undefined;
  return {
    file,
    types() {
      btf ??= parseBtf(read(), { file });
      return btf;
    },
  };
}

/** A {@link KernelBtf} of types parsed already (a file given explicitly is parsed at once, to report it early). */
export function parsedKernelBtf(file: string, btf: Btf): KernelBtf {
  return { file, types: () => btf };
}
