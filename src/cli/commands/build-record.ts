/**
 * The build record (`OUT.so.build.json`), as the CLI uses it. The record itself moved to src/store/build-record.ts,
 * unchanged, because the build service stores the same record beside each image it publishes; this module keeps
 * the commands' imports and their behaviour: a record that does not parse is a UsageError (exit status 2) with the
 * same message as before.
 *
 * Author: Claude.
 *
 * @module
 */
// Straight from the module, not the store's index: that would load the whole store layer (and through it bpf2c)
// into every build, which the cached path must not pay for.
import { parseBuildRecord as parseRecord, type BuildRecord } from '../../store/build-record.ts';
import { StoreError } from '../../store/errors.ts';
import { UsageError } from '../io.ts';

export {
  BUILD_RECORD_MEDIA_TYPE,
  buildRecordFor,
  buildRecordPath,
  formatBuildRecord,
  recordDisagreement,
  type BuildRecord,
  type RecordedArtifact,
} from '../../store/build-record.ts';

/** Reads a build record, checking its shape field by field. Throws UsageError naming the file and the fault. */
export function parseBuildRecord(text: string, file: string): BuildRecord {
  try {
    return parseRecord(text, file);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}
