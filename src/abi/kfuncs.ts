/**
 * Linux's kernel functions (kfuncs) as data: for each kfunc the verifier knows, its flags as the `BTF_KFUNCS_START`
 * sets give them (`BTF_ID_FLAGS(func, bpf_task_acquire, KF_ACQUIRE | KF_RCU | KF_RET_NULL)`), the set it belongs to,
 * its arguments and result in the verifier's terms (what the kernel derives from the kfunc's BTF prototype and its
 * parameter-name suffixes `__k`, `__ign`, ...), and which program types may call each set (the
 * `register_btf_kfunc_id_set` calls, through btf.c's `bpf_prog_type_to_kfunc_hook`).
 *
 * Facts are Linux 6.18's: kernel/bpf/helpers.c (`generic_btf_ids`, `common_btf_ids`, `kfunc_init`),
 * kernel/bpf/cpumask.c (`cpumask_kfunc_btf_ids`, `cpumask_kfunc_init`), kernel/bpf/btf.c
 * (`bpf_prog_type_to_kfunc_hook`). Only the kfuncs listed here are known; a program calling another is refused as
 * unsupported by the verifier, not guessed at.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * const k = kfuncByName('bpf_task_from_pid')!;
 * (k.flags & KfuncFlag.ACQUIRE) !== 0; // true
 * kfuncAllowed(k, 'syscall'); // true
 * kfuncAllowed(k, 'raw_tracepoint'); // false: Linux says "calling kernel function bpf_task_from_pid is not allowed"
 * ```
 * @module
 */

/**
 * The `KF_*` flags of `include/linux/btf.h`, with the kernel's bit values.
 *
 * ```
 * bit  0 ACQUIRE       returns a reference the program must release
 * bit  1 RET_NULL      the result may be NULL
 * bit  2 RELEASE       releases the reference its (one) pointer argument holds
 * bit  4 TRUSTED_ARGS  pointer arguments must be trusted (acquired, or handed over trusted by the kernel)
 * bit  5 SLEEPABLE     only for sleepable programs
 * bit  6 DESTRUCTIVE   may crash or reboot the machine
 * bit  7 RCU           pointer arguments may also be RCU-protected ones
 * bit  8 ITER_NEW      constructs an open-coded iterator in a stack slot
 * bit  9 ITER_NEXT     advances it (with RET_NULL: NULL when it is drained)
 * bit 10 ITER_DESTROY  destroys it
 * ```
 */
export const KfuncFlag = {
  ACQUIRE: 1 << 0,
  RET_NULL: 1 << 1,
  RELEASE: 1 << 2,
  TRUSTED_ARGS: 1 << 4,
  SLEEPABLE: 1 << 5,
  DESTRUCTIVE: 1 << 6,
  RCU: 1 << 7,
  ITER_NEW: 1 << 8,
  ITER_NEXT: 1 << 9,
  ITER_DESTROY: 1 << 10,
} as const;

/** The kfunc sets, named after their kernel variables. */
export type KfuncSetName = 'common' | 'generic' | 'cpumask' | 'key_sig';

/**
 * Which program types each set is registered for (`register_btf_kfunc_id_set`). `common` is registered for
 * BPF_PROG_TYPE_UNSPEC, the hook every program type shares. The tracing hook is shared by tracing, lsm, tracepoint
 * and perf_event programs (`bpf_prog_type_to_kfunc_hook`); raw_tracepoint programs have no hook of their own, so they
 * get the common set only.
 */
export const KFUNC_SET_PROGRAM_TYPES: Readonly<Record<KfuncSetName, readonly string[] | 'all'>> = {
  common: 'all',
  // kfunc_init: TRACING, SCHED_CLS, XDP, STRUCT_OPS, SYSCALL, CGROUP_SKB
  generic: ['tracing', 'lsm', 'tracepoint', 'perf_event', 'sched_cls', 'xdp', 'struct_ops', 'syscall', 'cgroup_skb'],
  // cpumask_kfunc_init: TRACING, STRUCT_OPS, SYSCALL
  cpumask: ['tracing', 'lsm', 'tracepoint', 'perf_event', 'struct_ops', 'syscall'],
  // kernel/trace/bpf_trace.c's key_sig_kfunc_set, registered for TRACING (later trees move these kfuncs into
  // generic_btf_ids, registered more widely: the narrower registration is kept)
  key_sig: ['tracing', 'lsm', 'tracepoint', 'perf_event'],
};

/**
 * One argument of a kfunc, as the verifier checks it:
 * - `scalar`: a number;
 * - `const`: a number known at verification time (the `__k` suffix);
 * - `ignored`: anything, not looked at (`__ign`);
 * - `object`: a pointer to a kernel object of the struct named `type` (or to one that embeds it at offset 0);
 * - `ctx`: the program's context pointer, unmoved;
 * - `iter`: a stack slot holding an open-coded iterator of the struct named `type`.
 */
export type KfuncArg =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'const' }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'object'; readonly type: string }
  | { readonly kind: 'ctx' }
  | { readonly kind: 'iter'; readonly type: string };

/**
 * What a kfunc returns:
 * - `void`, `scalar`;
 * - `object`: a pointer to a kernel object of the struct named `type`;
 * - `int_ptr`: a read-only pointer to a 4-byte number (bpf_iter_num_next);
 * - `rdonly_cast`: bpf_rdonly_cast's untrusted, read-only pointer to the type its second argument names;
 * - `kern_ctx`: bpf_cast_to_kern_ctx's trusted pointer to the kernel's context behind the program's.
 */
export type KfuncRet =
  | { readonly kind: 'void' }
  | { readonly kind: 'scalar' }
  | { readonly kind: 'object'; readonly type: string }
  | { readonly kind: 'int_ptr' }
  | { readonly kind: 'rdonly_cast' }
  | { readonly kind: 'kern_ctx' };

/** One kfunc. */
export interface KfuncInfo {
  /** The C name (`bpf_task_from_pid`), also the name in the kernel's BTF. */
  readonly name: string;
  /** {@link KfuncFlag} bits. */
  readonly flags: number;
  readonly set: KfuncSetName;
  readonly args: readonly KfuncArg[];
  readonly ret: KfuncRet;
  /** The C prototype, for messages and documentation. */
  readonly proto: string;
}

const F = KfuncFlag;
const scalar: KfuncArg = { kind: 'scalar' };
const obj = (type: string): KfuncArg => ({ kind: 'object', type });
const retObj = (type: string): KfuncRet => ({ kind: 'object', type });
const VOID: KfuncRet = { kind: 'void' };
const SCALAR: KfuncRet = { kind: 'scalar' };

function k(name: string, set: KfuncSetName, flags: number, args: readonly KfuncArg[], ret: KfuncRet, proto: string): KfuncInfo {
  return { name, set, flags, args, ret, proto };
}

const cpumaskRcu = (name: string, args: readonly KfuncArg[], ret: KfuncRet, proto: string): KfuncInfo => k(name, 'cpumask', F.RCU, args, ret, proto);

/** The kfuncs the verifier knows, in the order of their kernel sets. */
export const kfuncs: readonly KfuncInfo[] = [
  // kernel/bpf/helpers.c, generic_btf_ids
  k('bpf_task_acquire', 'generic', F.ACQUIRE | F.RCU | F.RET_NULL, [obj('task_struct')], retObj('task_struct'), 'struct task_struct *bpf_task_acquire(struct task_struct *p)'),
  k('bpf_task_release', 'generic', F.RELEASE, [obj('task_struct')], VOID, 'void bpf_task_release(struct task_struct *p)'),
  k('bpf_cgroup_acquire', 'generic', F.ACQUIRE | F.RCU | F.RET_NULL, [obj('cgroup')], retObj('cgroup'), 'struct cgroup *bpf_cgroup_acquire(struct cgroup *cgrp)'),
  k('bpf_cgroup_release', 'generic', F.RELEASE, [obj('cgroup')], VOID, 'void bpf_cgroup_release(struct cgroup *cgrp)'),
  k('bpf_cgroup_ancestor', 'generic', F.ACQUIRE | F.RCU | F.RET_NULL, [obj('cgroup'), scalar], retObj('cgroup'), 'struct cgroup *bpf_cgroup_ancestor(struct cgroup *cgrp, int level)'),
  k('bpf_cgroup_from_id', 'generic', F.ACQUIRE | F.RET_NULL, [scalar], retObj('cgroup'), 'struct cgroup *bpf_cgroup_from_id(u64 cgid)'),
  k('bpf_task_under_cgroup', 'generic', F.RCU, [obj('task_struct'), obj('cgroup')], SCALAR, 'long bpf_task_under_cgroup(struct task_struct *task, struct cgroup *ancestor)'),
  k('bpf_task_get_cgroup1', 'generic', F.ACQUIRE | F.RCU | F.RET_NULL, [obj('task_struct'), scalar], retObj('cgroup'), 'struct cgroup *bpf_task_get_cgroup1(struct task_struct *task, int hierarchy_id)'),
  k('bpf_task_from_pid', 'generic', F.ACQUIRE | F.RET_NULL, [scalar], retObj('task_struct'), 'struct task_struct *bpf_task_from_pid(s32 pid)'),
  k('bpf_task_from_vpid', 'generic', F.ACQUIRE | F.RET_NULL, [scalar], retObj('task_struct'), 'struct task_struct *bpf_task_from_vpid(s32 vpid)'),
  // kernel/trace/bpf_trace.c, key_sig_kfunc_set
  k('bpf_lookup_user_key', 'key_sig', F.ACQUIRE | F.RET_NULL | F.SLEEPABLE, [scalar, scalar], retObj('bpf_key'), 'struct bpf_key *bpf_lookup_user_key(s32 serial, u64 flags)'),
  k('bpf_lookup_system_key', 'key_sig', F.ACQUIRE | F.RET_NULL, [scalar], retObj('bpf_key'), 'struct bpf_key *bpf_lookup_system_key(u64 id)'),
  k('bpf_key_put', 'key_sig', F.RELEASE, [obj('bpf_key')], VOID, 'void bpf_key_put(struct bpf_key *bkey)'),
  // kernel/bpf/helpers.c, common_btf_ids
  k('bpf_cast_to_kern_ctx', 'common', 0, [{ kind: 'ctx' }], { kind: 'kern_ctx' }, 'void *bpf_cast_to_kern_ctx(void *obj)'),
  k('bpf_rdonly_cast', 'common', 0, [{ kind: 'ignored' }, { kind: 'const' }], { kind: 'rdonly_cast' }, 'void *bpf_rdonly_cast(const void *obj__ign, u32 btf_id__k)'),
  k('bpf_iter_num_new', 'common', F.ITER_NEW, [{ kind: 'iter', type: 'bpf_iter_num' }, scalar, scalar], SCALAR, 'int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end)'),
  k('bpf_iter_num_next', 'common', F.ITER_NEXT | F.RET_NULL, [{ kind: 'iter', type: 'bpf_iter_num' }], { kind: 'int_ptr' }, 'int *bpf_iter_num_next(struct bpf_iter_num *it)'),
  k('bpf_iter_num_destroy', 'common', F.ITER_DESTROY, [{ kind: 'iter', type: 'bpf_iter_num' }], VOID, 'void bpf_iter_num_destroy(struct bpf_iter_num *it)'),
  // kernel/bpf/cpumask.c, cpumask_kfunc_btf_ids
  k('bpf_cpumask_create', 'cpumask', F.ACQUIRE | F.RET_NULL, [], retObj('bpf_cpumask'), 'struct bpf_cpumask *bpf_cpumask_create(void)'),
  k('bpf_cpumask_release', 'cpumask', F.RELEASE, [obj('bpf_cpumask')], VOID, 'void bpf_cpumask_release(struct bpf_cpumask *cpumask)'),
  k('bpf_cpumask_acquire', 'cpumask', F.ACQUIRE | F.TRUSTED_ARGS, [obj('bpf_cpumask')], retObj('bpf_cpumask'), 'struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_first', [obj('cpumask')], SCALAR, 'u32 bpf_cpumask_first(const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_first_zero', [obj('cpumask')], SCALAR, 'u32 bpf_cpumask_first_zero(const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_first_and', [obj('cpumask'), obj('cpumask')], SCALAR, 'u32 bpf_cpumask_first_and(const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_set_cpu', [scalar, obj('bpf_cpumask')], VOID, 'void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_clear_cpu', [scalar, obj('bpf_cpumask')], VOID, 'void bpf_cpumask_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_test_cpu', [scalar, obj('cpumask')], SCALAR, 'bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_test_and_set_cpu', [scalar, obj('bpf_cpumask')], SCALAR, 'bool bpf_cpumask_test_and_set_cpu(u32 cpu, struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_test_and_clear_cpu', [scalar, obj('bpf_cpumask')], SCALAR, 'bool bpf_cpumask_test_and_clear_cpu(u32 cpu, struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_setall', [obj('bpf_cpumask')], VOID, 'void bpf_cpumask_setall(struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_clear', [obj('bpf_cpumask')], VOID, 'void bpf_cpumask_clear(struct bpf_cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_and', [obj('bpf_cpumask'), obj('cpumask'), obj('cpumask')], SCALAR, 'bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_or', [obj('bpf_cpumask'), obj('cpumask'), obj('cpumask')], VOID, 'void bpf_cpumask_or(struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_xor', [obj('bpf_cpumask'), obj('cpumask'), obj('cpumask')], VOID, 'void bpf_cpumask_xor(struct bpf_cpumask *dst, const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_equal', [obj('cpumask'), obj('cpumask')], SCALAR, 'bool bpf_cpumask_equal(const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_intersects', [obj('cpumask'), obj('cpumask')], SCALAR, 'bool bpf_cpumask_intersects(const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_subset', [obj('cpumask'), obj('cpumask')], SCALAR, 'bool bpf_cpumask_subset(const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_empty', [obj('cpumask')], SCALAR, 'bool bpf_cpumask_empty(const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_full', [obj('cpumask')], SCALAR, 'bool bpf_cpumask_full(const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_copy', [obj('bpf_cpumask'), obj('cpumask')], VOID, 'void bpf_cpumask_copy(struct bpf_cpumask *dst, const struct cpumask *src)'),
  cpumaskRcu('bpf_cpumask_any_distribute', [obj('cpumask')], SCALAR, 'u32 bpf_cpumask_any_distribute(const struct cpumask *cpumask)'),
  cpumaskRcu('bpf_cpumask_any_and_distribute', [obj('cpumask'), obj('cpumask')], SCALAR, 'u32 bpf_cpumask_any_and_distribute(const struct cpumask *src1, const struct cpumask *src2)'),
  cpumaskRcu('bpf_cpumask_weight', [obj('cpumask')], SCALAR, 'u32 bpf_cpumask_weight(const struct cpumask *cpumask)'),
];

/**
 * Structs whose first member (at offset 0) is another struct the kernel accepts in its place
 * (`btf_struct_ids_match` walking member 0): `struct bpf_cpumask { cpumask_t cpumask; refcount_t usage; }`. Used
 * when the BTF at hand does not define the struct.
 */
export const KFUNC_EMBEDDED_FIRST: Readonly<Record<string, string>> = {
  bpf_cpumask: 'cpumask',
};

/**
 * The kernel struct behind each program context (`bpf_cast_to_kern_ctx`'s result: the verifier's
 * `get_kern_ctx_btf_id`, from the `BPF_PROG_TYPE` list's kernel context types).
 */
export const KERNEL_CONTEXT_TYPES: Readonly<Record<string, string>> = {
  socket_filter: 'sk_buff', sched_cls: 'sk_buff', sched_act: 'sk_buff', cgroup_skb: 'sk_buff', lwt_in: 'sk_buff',
  lwt_out: 'sk_buff', lwt_xmit: 'sk_buff', lwt_seg6local: 'sk_buff', sk_skb: 'sk_buff', flow_dissector: 'bpf_flow_dissector',
  xdp: 'xdp_buff', cgroup_sock: 'sock', cgroup_sock_addr: 'bpf_sock_addr_kern', sock_ops: 'bpf_sock_ops_kern',
  cgroup_device: 'bpf_cgroup_dev_ctx', sk_msg: 'sk_msg', kprobe: 'pt_regs', perf_event: 'bpf_perf_event_data_kern',
  cgroup_sysctl: 'bpf_sysctl_kern', cgroup_sockopt: 'bpf_sockopt_kern', sk_reuseport: 'sk_reuseport_kern',
  sk_lookup: 'bpf_sk_lookup_kern', netfilter: 'bpf_nf_ctx',
};

const byName = new Map(kfuncs.map((x) => [x.name, x]));

/** The kfunc named `name`, if the table has it. */
export function kfuncByName(name: string): KfuncInfo | undefined {
  return byName.get(name);
}

/** Whether programs of type `programType` (libbpf's name: `syscall`, `raw_tracepoint`) may call `kfunc`. */
export function kfuncAllowed(kfunc: KfuncInfo, programType: string): boolean {
  const types = KFUNC_SET_PROGRAM_TYPES[kfunc.set];
  return types === 'all' || types.includes(programType);
}
