// Image names: the OCI path-component rule.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { imageNameProblem, MAX_IMAGE_NAME_LENGTH } from './image-name.ts';

describe('image names', () => {
  it('follow the OCI path-component rule and can never be a path', () => {
    for (const good of ['fw', 'xdp-firewall', 'xdp_firewall', 'a.b', 'a__b', 'a--b', '0', 'x'.repeat(MAX_IMAGE_NAME_LENGTH)]) assert.equal(imageNameProblem(good), undefined, good);
    for (const bad of ['', 'Fw', '-fw', 'fw-', 'a..b', '..', 'a/b', 'a b', 'a___b', 'é', 'x'.repeat(MAX_IMAGE_NAME_LENGTH + 1)]) assert.notEqual(imageNameProblem(bad), undefined, bad);
    assert.match(imageNameProblem('Fw') ?? '', /expected an image name of lowercase letters and digits.*got 'Fw'/);
  });
});
