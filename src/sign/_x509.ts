/**
 * The one import of @peculiar/x509 in the project, made safe to use.
 *
 * Author: Claude.
 *
 * @peculiar/x509 resolves its algorithm providers through tsyringe, which throws at import time unless a `Reflect`
 * metadata polyfill is loaded first; ES modules evaluate imports in order, so `reflect-metadata` is imported on the
 * line before it. The library signs with WebCrypto, so node's is installed as its provider. Other files of the layer
 * import @peculiar/x509 only through this module.
 *
 * @module
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

// The library types its provider as the DOM's `Crypto`, which this project's `lib` (no DOM) does not declare.
x509.cryptoProvider.set(webcrypto as never);

/** @peculiar/x509, with its metadata polyfill loaded and node's WebCrypto as its provider. */
export { x509 };
