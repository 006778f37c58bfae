/**
 * The explorer page's entry: reads how it is served (`explorer-config.json`: one object from `bpfship explore`, or
 * the build service's images from `bpfship serve`) and routes on the URL's hash.
 *
 * - `bpfship explore`: `#/` and `#/p/INDEX` show program INDEX of the object, `#/p/INDEX/SLOT` at an instruction.
 * - `bpfship serve`: `#/` the images and the upload form; `#/images/NAME/VERSION` a build with its attestation;
 *   `#/images/NAME/VERSION/p/INDEX[/SLOT]` one of its programs in the explorer; `#/images/NAME/failures` refused builds.
 *
 * Author: Claude.
 *
 * @module
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Explorer, type ProgramSource } from './explorer.tsx';
import { BuildPage, FailuresPage, ServiceHome, serviceProgramSource } from './service.tsx';
import { fetchJson } from './fetch.ts';
import type { ExploreObject, ExploreProgram } from '../explore-document.ts';
import './style.css';

/** How the page is served. */
interface ExplorerConfig {
  readonly mode: 'file' | 'service';
  /** `file` mode: where the object's summary is; its programs are at `${object}/programs/INDEX`. */
  readonly object?: string;
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = (): void => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

/** A program source over HTTP: the object's summary, and each program's document loaded when first shown. */
export function httpProgramSource(object: ExploreObject, base: string): ProgramSource {
  const cache = new Map<number, Promise<ExploreProgram>>();
  return {
    object,
    load(index) {
      let p = cache.get(index);
      if (p === undefined) {
        p = fetchJson<ExploreProgram>(`${base}/programs/${index}`);
        cache.set(index, p);
      }
      return p;
    },
  };
}

function FileMode({ config }: { config: ExplorerConfig }) {
  const hash = useHash();
  const [source, setSource] = useState<ProgramSource | undefined>();
  const [error, setError] = useState<string | undefined>();
  const base = config.object ?? '/api/explore';
  useEffect(() => {
    fetchJson<ExploreObject>(base).then((o) => setSource(httpProgramSource(o, base)), (e: Error) => setError(e.message));
  }, [base]);
  if (error !== undefined) return <div class="loading">Could not load the object: {error}</div>;
  if (source === undefined) return <div class="loading">Loading…</div>;
  const m = /^#\/p\/(\d+)(?:\/(\d+))?/.exec(hash);
  const index = m !== null ? Number(m[1]) : undefined;
  const slot = m?.[2] !== undefined ? Number(m[2]) : undefined;
  return <Explorer source={source} index={index} slot={slot} link={(i, s) => `#/p/${i}${s !== undefined ? `/${s}` : ''}`} />;
}

function ServiceMode() {
  const hash = useHash();
  let m = /^#\/images\/([^/]+)\/(\d+)\/p\/(\d+)(?:\/(\d+))?/.exec(hash);
  if (m !== null) {
    const [, name, version, index, slot] = m;
    return <ServiceExplorer name={decodeURIComponent(name as string)} version={Number(version)} index={Number(index)} slot={slot !== undefined ? Number(slot) : undefined} />;
  }
  m = /^#\/images\/([^/]+)\/failures/.exec(hash);
  if (m !== null) return <FailuresPage name={decodeURIComponent(m[1] as string)} />;
  m = /^#\/images\/([^/]+)\/(\d+)/.exec(hash);
  if (m !== null) return <BuildPage name={decodeURIComponent(m[1] as string)} version={Number(m[2])} />;
  // An upload explored in this browser: #/local/INDEX[/SLOT] while its bytes are at hand.
  m = /^#\/local\/(\d+)(?:\/(\d+))?/.exec(hash);
  return <ServiceHome local={m !== null ? { index: Number(m[1]), slot: m[2] !== undefined ? Number(m[2]) : undefined } : undefined} />;
}

function ServiceExplorer({ name, version, index, slot }: { name: string; version: number; index: number; slot: number | undefined }) {
  const [source, setSource] = useState<ProgramSource | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setSource(undefined);
    serviceProgramSource(name, version).then(setSource, (e: Error) => setError(e.message));
  }, [name, version]);
  if (error !== undefined) return <div class="loading">Could not load {name} version {version}: {error}</div>;
  if (source === undefined) return <div class="loading">Loading {name} version {version}…</div>;
  const back = `#/images/${encodeURIComponent(name)}/${version}`;
  return <Explorer source={source} index={index} slot={slot} back={{ href: back, label: `${name} v${version}` }} link={(i, s) => `${back}/p/${i}${s !== undefined ? `/${s}` : ''}`} />;
}

function App() {
  const [config, setConfig] = useState<ExplorerConfig | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetchJson<ExplorerConfig>('explorer-config.json').then(setConfig, (e: Error) => setError(e.message));
  }, []);
  if (error !== undefined) return <div class="loading">The explorer's server did not answer: {error}</div>;
  if (config === undefined) return <div class="loading">Loading…</div>;
  return config.mode === 'service' ? <ServiceMode /> : <FileMode config={config} />;
}

render(<App />, document.getElementById('app') as HTMLElement);
