/** The verifier's name and version, as build records and attestations name it. Bumped when verdicts can change. */
export const VERIFIER_NAME = 'bpfship-verifier';
export const VERIFIER_VERSION = '0.1.0';
