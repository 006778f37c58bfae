// The media types of a build's artifacts.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNATURE_FILE_MEDIA_TYPE } from '../sign/index.ts';
import { BUILD_RECORD_MEDIA_TYPE } from './build-record.ts';
import { MediaType } from './media-types.ts';

describe('media types', () => {
  it("are the signature file's and the build record's own", () => {
    assert.equal(MediaType.signature, SIGNATURE_FILE_MEDIA_TYPE);
    assert.equal(MediaType.buildRecord, BUILD_RECORD_MEDIA_TYPE);
  });
});
