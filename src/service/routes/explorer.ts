/**
 * The verifier explorer in the service: the page at `/` (static files built from src/web/page, served by
 * `@fastify/static`), and read-only routes over the {@link Store} that give it its data:
 *
 * | route | answer |
 * |---|---|
 * | `GET /explorer-config.json` | how the page is served (`{"mode":"service"}`) |
 * | `GET /v1/explore/images/NAME/VERSION` | the build, its attestation (verifier, rule set, digests) and signer chain, and its ELF's programs |
 * | `GET /v1/explore/images/NAME/VERSION/programs/INDEX` | the explore document of one program (src/web): its report with the recorded states, listing, source lines, graph |
 *
 * Uploads go through `POST /v1/builds` like every client's. Programs are verified for the explorer in a worker
 * thread (explore-runner.ts), never on the HTTP thread.
 *
 * Author: Claude.
 *
 * @module
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBase64Strict, parseSignatureFile, parseStatement } from '../../sign/index.ts';
import { readObject } from '../../spec/index.ts';
import { imageNameProblem, type Store, type StoredBuild } from '../../store/index.ts';
import { exploreObject, explorerStaticUrl } from '../../web/index.ts';
import { buildView } from '../build-view.ts';
import { ExploreRunner } from '../explore-runner.ts';
import { ServiceProblem } from '../problem.ts';
import type { ServiceContext } from './index.ts';

/** The rule set a build verified without a `rules` option was verified with (the verifier's default). */
const DEFAULT_RULE_SET = 'linux';

/** How the page learns what it is showing (see src/web/page/explorer-main.tsx). */
export interface ExplorerPageConfig {
  readonly mode: 'file' | 'service';
  /** `file` mode: the object's summary URL; its programs are at `${object}/programs/INDEX`. */
  readonly object?: string;
}

/** The page's files, relative to its directory (`index.html`, `chunks/viz-….js`). */
function pageFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...pageFiles(root, p));
    else out.push(relative(root, p));
  }
  return out;
}

/**
 * Serves the page's static files at `/` and its configuration. They hold no data, so they are open to every
 * client the service answers (`config.access: 'open'`: the Host and Origin checks apply, tokens are not asked for,
 * since a browser cannot send one to load a page); the data routes ask for a read token when the service has read
 * tokens, and the page asks the user for it. Each file the build wrote is one route (no wildcard): any other path is
 * the service's own 404. When the page has not been built (no dist/web/static: `npm run build` makes it), `/` says so.
 */
export function registerExplorerPage(app: FastifyInstance, config: ExplorerPageConfig): void {
  const open = { config: { access: 'open' } };
  app.get('/explorer-config.json', open, async (_request, reply) => reply.header('cache-control', 'no-store').send(config));
  const root = fileURLToPath(explorerStaticUrl());
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', open, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(`The explorer page is not built (${root} is missing): run npm run build.\n`));
    return;
  }
  void app.register(fastifyStatic, { root, serve: false });
  for (const file of pageFiles(root)) {
    const url = '/' + file.split('\\').join('/');
    const send = async (_request: unknown, reply: FastifyReply): Promise<unknown> => reply.header('cache-control', 'no-cache').sendFile(file);
    app.get(url, open, send);
    if (file === 'index.html') app.get('/', open, send);
  }
}

function checkName(name: string): void {
  const problem = imageNameProblem(name);
  if (problem !== undefined) throw new ServiceProblem(400, 'NAME_INVALID', problem);
}

async function buildOf(store: Store, name: string, version: string): Promise<StoredBuild> {
  checkName(name);
  if (!/^[1-9][0-9]{0,8}$/.test(version)) throw new ServiceProblem(400, 'VERSION_INVALID', `expected a version number (1, 2, ...), got '${version.slice(0, 40)}'`);
  const build = await store.build(name, Number(version));
  if (build === undefined) throw new ServiceProblem(404, 'VERSION_NOT_FOUND', `image '${name}' has no version ${version}`);
  return build;
}

async function blobBytes(store: Store, digest: string, what: string): Promise<Uint8Array> {
  const blob = await store.getBlob(digest);
  if (blob === undefined) throw new ServiceProblem(404, 'BLOB_NOT_FOUND', `the build's ${what} (${digest}) is not in the store`);
  return blob.bytes;
}

/** The attestation and signer chain of a build, read from its signature blob. */
async function attestationOf(store: Store, build: StoredBuild): Promise<Record<string, unknown>> {
  try {
    const file = parseSignatureFile(await blobBytes(store, build.digests.signature, 'signature'));
    const statement = parseStatement(decodeBase64Strict(file.envelope.payload, 'payload', 'SIGFILE_JSON'));
    const p = statement.predicate;
    const options = p.verifier.options as Record<string, unknown>;
    return {
      attestation: {
        statementType: statement._type,
        predicateType: statement.predicateType,
        subject: statement.subject,
        verifier: p.verifier,
        // The verifier's rule set (src/verifier/rules.ts): `linux` unless the build asked for another.
        ruleSet: typeof options['rules'] === 'string' ? options['rules'] : DEFAULT_RULE_SET,
        programs: p.programs.map((x) => ({ name: x.name, section: x.section, verdict: x.verdict })),
      },
      signers: file.certificates.map((c) => c.summary()),
    };
  } catch (e) {
    return { signers: [], signatureError: e instanceof Error ? e.message : String(e) };
  }
}

/** Registers the read-only explore routes (see the module comment). */
export function registerExploreRoutes(app: FastifyInstance, store: Store, runner: ExploreRunner): void {
  app.get<{ Params: { name: string; version: string } }>('/v1/explore/images/:name/:version', async (request) => {
    const build = await buildOf(store, request.params.name, request.params.version);
    const elf = await blobBytes(store, build.digests.elf, 'ELF');
    const spec = readObject(elf, { name: `${build.name}.o` });
    return { build: buildView(build), ...(await attestationOf(store, build)), object: exploreObject(spec) };
  });

  app.get<{ Params: { name: string; version: string; index: string } }>('/v1/explore/images/:name/:version/programs/:index', async (request, reply) => {
    const build = await buildOf(store, request.params.name, request.params.version);
    const { index } = request.params;
    if (!/^(0|[1-9][0-9]{0,4})$/.test(index)) throw new ServiceProblem(400, 'PROGRAM_INVALID', `expected a program index (0, 1, ...), got '${index.slice(0, 40)}'`);
    let json: string;
    try {
      json = await runner.explore(build.digests.elf, () => blobBytes(store, build.digests.elf, 'ELF'), `${build.name}.o`, Number(index));
    } catch (e) {
      if (e instanceof ServiceProblem) throw e;
      const message = e instanceof Error ? e.message : String(e);
      if (/has no program #/.test(message)) throw new ServiceProblem(404, 'PROGRAM_NOT_FOUND', message);
      throw new ServiceProblem(500, 'EXPLORE_FAILED', `the program could not be explored: ${message}`);
    }
    return reply.type('application/json; charset=utf-8').send(json);
  });
}

/** The explorer in the service (a route module, routes/index.ts): its page and routes, with a runner closed with the app. */
export function registerExplorer(app: FastifyInstance, context: ServiceContext): void {
  const runner = new ExploreRunner();
  app.addHook('onClose', async () => runner.close());
  registerExploreRoutes(app, context.store, runner);
  registerExplorerPage(app, { mode: 'service' });
}
