// Kfunc calls for kfuncs.test.ts: references taken from kfuncs and released (or not), NULL checks, program types,
// loads through the kernel objects kfuncs return. struct task_struct is a stand-in with two fields: the verifier
// checks loads against the size the object's BTF gives when no kernel BTF is given.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct task_struct {
	int pid;
	int tgid;
};

extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("syscall")
int ok_acquire_release(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	struct task_struct *again;
	int pid;

	if (!t)
		return 0;
	pid = t->tgid;
	again = bpf_task_acquire(t);
	if (again)
		bpf_task_release(again);
	bpf_task_release(t);
	return pid;
}

SEC("syscall")
int bad_leak(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (!t)
		return 0;
	return 1;
}

SEC("syscall")
int bad_release_twice(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (!t)
		return 0;
	bpf_task_release(t);
	bpf_task_release(t);
	return 0;
}

SEC("syscall")
int bad_no_null_check(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	bpf_task_release(t);
	return 0;
}

SEC("syscall")
int bad_load_no_null_check(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	int pid = t->pid;

	if (t)
		bpf_task_release(t);
	return pid;
}

SEC("raw_tp")
int bad_prog_type(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (t)
		bpf_task_release(t);
	return 0;
}

SEC("syscall")
int bad_load_past_struct(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	int x;

	if (!t)
		return 0;
	x = ((volatile int *)t)[2];
	bpf_task_release(t);
	return x;
}

SEC("syscall")
int bad_use_after_release(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	int pid;

	if (!t)
		return 0;
	bpf_task_release(t);
	pid = ((volatile struct task_struct *)t)->pid;
	return pid;
}

char _license[] SEC("license") = "GPL";
/* Author: Claude. */
