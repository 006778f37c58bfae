/**
 * Packets in and out of program runs: pcap captures (read and written as tcpdump and Wireshark do), and the
 * fixed, seeded frames the examples, tests and benchmarks run on.
 *
 * Author: Claude.
 *
 * @module
 */
export { LinkType, PcapError, readPcap, writePcap, type PcapFrame } from './pcap.ts';
export { SAMPLE_PORTS, sampleFrames, type SampleFrame, type SampleFrameKind } from './sample-frames.ts';
export { primesInput, testFrames } from './test-frames.ts';
