// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ATTACH_KINDS, attachMismatch, parseAttachPoint, XdpFlags } from './attach-point.ts';
import { DeployError } from './errors.ts';

describe('parseAttachPoint', () => {
  it('reads xdp (modes as iproute2 names them), tc and cgroup kinds', () => {
    assert.deepEqual([parseAttachPoint('xdp:eth0').xdpFlags, parseAttachPoint('xdpdrv:eth0').xdpFlags, parseAttachPoint('xdpgeneric:eth0').xdpFlags], [0, XdpFlags.drvMode, XdpFlags.skbMode]);
    const tc = parseAttachPoint('tc-egress:veth1');
    assert.deepEqual([tc.family, tc.attachType, tc.programTypes], ['tc', 'tcx_egress', ['sched_cls']]);
    const cg = parseAttachPoint('cgroup-connect4:/sys/fs/cgroup/unified/app');
    assert.deepEqual([cg.family, cg.target, cg.attachType, cg.programTypes], ['cgroup', '/sys/fs/cgroup/unified/app', 'cgroup_inet4_connect', ['cgroup_sock_addr']]);
    assert.equal(parseAttachPoint('cgroup-ingress:/sys/fs/cgroup').programTypes[0], 'cgroup_skb');
    assert.ok(ATTACH_KINDS.includes('cgroup-sock_ops'));
  });

  it('names what is wrong', () => {
    const refused = (text: string, pattern: RegExp): void => assert.throws(() => parseAttachPoint(text), (e: unknown) => e instanceof DeployError && pattern.test(e.message));
    refused('xdp', /expected KIND:TARGET/);
    refused('xdp:', /expected KIND:TARGET/);
    refused('xdp:a/b', /'a\/b' is not an interface name/);
    refused('xdp:sixteen-chars-xy', /is not an interface name/);
    refused('cgroup-bind4:relative/dir', /an absolute path/);
    refused('cgroup-warp:/sys/fs/cgroup', /unknown kind 'cgroup-warp'/);
    refused('tc:eth0', /unknown kind 'tc' \(expected one of xdp, xdpdrv, xdpgeneric, tc-ingress, tc-egress, cgroup-ingress/);
  });
});

describe('attachMismatch', () => {
  it('refuses another program type, and for cgroups another expected attach type; tc takes any sched_cls', () => {
    const bind4 = parseAttachPoint('cgroup-bind4:/sys/fs/cgroup');
    assert.equal(attachMismatch(bind4, 'p', 'cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind'), undefined);
    assert.match(attachMismatch(parseAttachPoint('cgroup-connect4:/sys/fs/cgroup'), 'p', 'cgroup/bind4', 'cgroup_sock_addr', 'cgroup_inet4_bind') ?? '', /loaded for attach type cgroup_inet4_bind, but cgroup-connect4 is cgroup_inet4_connect/);
    assert.match(attachMismatch(parseAttachPoint('xdp:eth0'), 'p', 'tc', 'sched_cls', undefined) ?? '', /is a sched_cls program; xdp attaches xdp programs/);
    assert.match(attachMismatch(parseAttachPoint('xdp:eth0'), 'p', 'xdp/devmap', 'xdp', 'xdp_devmap') ?? '', /loaded for attach type xdp_devmap/);
    assert.equal(attachMismatch(parseAttachPoint('tc-egress:eth0'), 'p', 'tcx/ingress', 'sched_cls', 'tcx_ingress'), undefined);
  });
});
