/**
 * The build record (`OUT.so.build.json`), as the CLI uses it. The record itself moved to src/store/build-record.ts,
 * unchanged, because the build service stores the same record beside each image it publishes; this module keeps
 * the commands' imports and their behaviour: a record that does not parse is a UsageError (exit status 2) with the
 * same message as before.
 *
 * @module
 */
import { parseBuildRecord as parseRecord, StoreError, type BuildRecord } from '../../store/index.ts';
import { UsageError } from '../io.ts';

export {
  BUILD_RECORD_MEDIA_TYPE,
  buildRecordFor,
  buildRecordPath,
  formatBuildRecord,
  recordDisagreement,
  type BuildRecord,
  type RecordedArtifact,
} from '../../store/index.ts';

/** Reads a build record, checking its shape field by field. Throws UsageError naming the file and the fault. */
export function parseBuildRecord(text: string, file: string): BuildRecord {
  try {
    return parseRecord(text, file);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
}
