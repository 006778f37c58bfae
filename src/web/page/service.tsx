/**
 * The build service's pages (`bpfship serve` at `/`): the published images and an upload form (which posts to
 * `POST /v1/builds`, the API every client uses), a build with its attestation (verifier, digests, signer chain)
 * and its programs in the explorer, and the builds verification refused, with their diagnostics. A refused upload
 * can be explored in the browser itself: its bytes are at hand, and the verifier runs there too.
 *
 * Author: Claude.
 *
 * @module
 */
import { useEffect, useState } from 'preact/hooks';
import type { ExploreObject, ExploreProgram } from '../explore-document.ts';
import { Explorer, type ProgramSource } from './explorer.tsx';
import { fetchJson, postBytes } from './fetch.ts';

interface ImageSummary { readonly name: string; readonly latestVersion: number; readonly updatedAt: string }

interface CertificateSummary { readonly subject: string; readonly issuer: string; readonly serialNumber: string; readonly fingerprint256: string; readonly notBefore: string; readonly notAfter: string }

/** What `GET /v1/explore/images/NAME/VERSION` answers. */
interface BuildDetails {
  readonly build: {
    readonly name: string; readonly version: number; readonly createdAt: string; readonly signer: string;
    readonly digests: Readonly<Record<string, string>>; readonly artifacts: Readonly<Record<string, string>>;
    readonly programs: readonly { readonly name: string; readonly section: string; readonly type: string; readonly verdict: string; readonly insnsProcessed: number; readonly programInfoHash: string }[];
    readonly toolchain: { readonly verifier: { readonly name: string; readonly version: string }; readonly bpf2c: string; readonly compiler: { readonly name: string; readonly version: string; readonly flags: readonly string[] } };
  };
  readonly attestation?: {
    readonly statementType: string;
    readonly predicateType: string;
    readonly subject: readonly { readonly name: string; readonly digest: Readonly<Record<string, string>> }[];
    readonly verifier: { readonly name: string; readonly version: string; readonly options: Readonly<Record<string, unknown>> };
    readonly ruleSet: string;
    readonly programs: readonly { readonly name: string; readonly verdict: string }[];
  };
  readonly signers: readonly CertificateSummary[];
  readonly signatureError?: string;
  readonly object: ExploreObject;
}

interface FailedBuild { readonly id: string; readonly name: string; readonly elfDigest: string; readonly code: string; readonly message: string; readonly diagnostics: string; readonly createdAt: string }

const enc = encodeURIComponent;

function Header({ children }: { children?: preact.ComponentChildren }) {
  return (
    <header class="top">
      <div class="brand"><a href="#/" style="color:inherit">bpfship <span>service</span></a></div>
      {children}
      <span class="spacer" />
    </header>
  );
}

/** The explorer's source for a published build: its ELF, verified by the service with the states recorded. */
export async function serviceProgramSource(name: string, version: number): Promise<ProgramSource> {
  const base = `/v1/explore/images/${enc(name)}/${version}`;
  const details = await fetchJson<BuildDetails>(base);
  const cache = new Map<number, Promise<ExploreProgram>>();
  return {
    object: details.object,
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

/** The images, the upload form; or, at `#/local/INDEX`, the explorer over a refused upload's bytes. */
export function ServiceHome({ local: at }: { local: { index: number; slot: number | undefined } | undefined }) {
  const [images, setImages] = useState<readonly ImageSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [local, setLocal] = useState<ProgramSource | undefined>();
  useEffect(() => {
    fetchJson<{ images: ImageSummary[] }>('/v1/images').then((r) => setImages(r.images), (e: Error) => setError(e.message));
  }, []);
  if (local !== undefined && at !== undefined) {
    return <Explorer source={local} index={at.index} slot={at.slot} back={{ href: '#/', label: 'images' }} link={(i, s) => `#/local/${i}${s !== undefined ? `/${s}` : ''}`} />;
  }
  return (
    <>
      <Header />
      <div class="page">
        <h1>Images</h1>
        <Upload onExplore={(source) => {
          setLocal(source);
          location.hash = '#/local/0';
        }} />
        <h2>Published</h2>
        {error !== undefined && <div class="msg err">{error}</div>}
        {images === undefined && error === undefined && <div class="count">Loading…</div>}
        {images !== undefined && images.length === 0 && <div class="count">No image has been published yet: upload an object above, or POST one to /v1/builds.</div>}
        {images !== undefined && images.length > 0 && (
          <div class="cards" data-testid="images">
            {images.map((i) => (
              <div class="card" key={i.name}>
                <h3><a href={`#/images/${enc(i.name)}/${i.latestVersion}`}>{i.name}</a></h3>
                <div class="meta">version {i.latestVersion} · {new Date(i.updatedAt).toLocaleString()}</div>
                <div class="meta"><a href={`#/images/${enc(i.name)}/failures`}>refused builds</a></div>
              </div>
            ))}
          </div>
        )}
      </div>
    </>
  );
}

function Upload({ onExplore }: { onExplore: (s: ProgramSource) => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string; diagnostics?: string; bytes?: ArrayBuffer; fileName?: string } | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (file === undefined || name === '') return;
    setBusy(true);
    setResult(undefined);
    const bytes = await file.arrayBuffer();
    try {
      const { status, body } = await postBytes(`/v1/builds?name=${enc(name)}`, bytes);
      const b = body as { version?: number; name?: string; error?: { code?: string; message?: string }; diagnostics?: string };
      if (status === 201 && b.version !== undefined) {
        location.hash = `#/images/${enc(name)}/${b.version}`;
        return;
      }
      setResult({ ok: false, text: `${status} ${b.error?.code ?? ''}: ${b.error?.message ?? (typeof body === 'string' ? body : '')}`, ...(b.diagnostics !== undefined ? { diagnostics: b.diagnostics } : {}), ...(status === 422 ? { bytes, fileName: file.name } : {}) });
    } catch (err) {
      setResult({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const exploreHere = async (): Promise<void> => {
    if (result?.bytes === undefined) return;
    const { exploreLocally } = await import('./local-explore.ts');
    onExplore(exploreLocally(new Uint8Array(result.bytes), result.fileName ?? 'upload.o'));
  };
  return (
    <form class="upload" onSubmit={submit} data-testid="upload">
      <b>Build and sign</b>
      <input type="text" placeholder="image name (xdp-firewall)" value={name} aria-label="image name" pattern="[a-z0-9][a-z0-9._-]*"
        onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      <input type="file" accept=".o,application/octet-stream" aria-label="ELF object" onChange={(e) => {
        const f = (e.target as HTMLInputElement).files?.[0];
        setFile(f);
        if (f !== undefined && name === '') setName(f.name.replace(/\.o$/, '').toLowerCase().replace(/[^a-z0-9._-]/g, '-'));
      }} />
      <button type="submit" disabled={busy || file === undefined || name === ''}>{busy ? 'Building…' : 'Upload'}</button>
      <span class="count">an ELF object from clang -target bpf -g -O2 -c; the service verifies, builds a native image and signs it</span>
      {result !== undefined && (
        <div class={`msg ${result.ok ? 'ok' : 'err'}`} style="flex-basis:100%" data-testid="upload-result">
          {result.text}
          {result.diagnostics !== undefined && <pre>{result.diagnostics}</pre>}
          {result.bytes !== undefined && <div style="margin-top:6px"><button type="button" class="btn" onClick={exploreHere}>Explore why, in this browser</button></div>}
        </div>
      )}
    </form>
  );
}

/** A published build: its attestation and its programs. */
export function BuildPage({ name, version }: { name: string; version: number }) {
  const [d, setD] = useState<BuildDetails | undefined>();
  const [latest, setLatest] = useState<number | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    setD(undefined);
    fetchJson<BuildDetails>(`/v1/explore/images/${enc(name)}/${version}`).then(setD, (e: Error) => setError(e.message));
    fetchJson<{ version: number }>(`/v1/images/${enc(name)}`).then((b) => setLatest(b.version), () => setLatest(undefined));
  }, [name, version]);
  return (
    <>
      <Header><nav><a href="#/">images</a> / {name} / v{version}</nav></Header>
      <div class="page" data-testid="build">
        {error !== undefined && <div class="msg err">{error}</div>}
        {d === undefined && error === undefined && <div class="count">Loading…</div>}
        {d !== undefined && (
          <>
            <h1>{d.build.name} <span class="count">version {d.build.version}</span></h1>
            <div class="count" data-testid="versions">
              published {new Date(d.build.createdAt).toLocaleString()}
              {latest !== undefined && latest > 1 && <> · versions {Array.from({ length: latest }, (_, i) => latest - i).map((v) => (v === version ? <b key={v}> v{v}</b> : <a key={v} href={`#/images/${enc(name)}/${v}`}> v{v}</a>))}</>}
              {' · '}<a href={`#/images/${enc(name)}/failures`}>refused builds</a>
            </div>
            <h2>Programs</h2>
            <table class="list" data-testid="programs">
              <thead><tr><th>program</th><th>section</th><th>type</th><th>verdict</th><th>instructions processed</th><th /></tr></thead>
              <tbody>
                {d.object.programs.map((p) => {
                  const built = d.build.programs.find((b) => b.name === p.name && b.section === p.section);
                  return (
                    <tr key={p.index}>
                      <td><b>{p.name}</b></td><td class="mono">{p.section}</td><td>{built?.type ?? p.type}</td>
                      <td><span class={`badge ${built !== undefined ? 'pass' : 'pending'}`}>{built?.verdict ?? 'not built'}</span></td>
                      <td>{built?.insnsProcessed.toLocaleString('en-US') ?? ''}</td>
                      <td><a class="btn" style="color:#fff;text-decoration:none;padding:3px 10px" href={`#/images/${enc(name)}/${version}/p/${p.index}`}>explore</a></td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <h2>Attestation</h2>
            <table class="kv" data-testid="attestation">
              <tbody>
                <tr><th>verifier</th><td>{d.attestation?.verifier.name ?? d.build.toolchain.verifier.name} {d.attestation?.verifier.version ?? d.build.toolchain.verifier.version}</td></tr>
                {d.attestation !== undefined && <tr><th>rule set</th><td>{d.attestation.ruleSet}</td></tr>}
                {d.attestation !== undefined && Object.keys(d.attestation.verifier.options).length > 0 && <tr><th>verifier options</th><td>{JSON.stringify(d.attestation.verifier.options)}</td></tr>}
                <tr><th>bpf2c</th><td>{d.build.toolchain.bpf2c}</td></tr>
                <tr><th>compiler</th><td>{d.build.toolchain.compiler.version} {d.build.toolchain.compiler.flags.join(' ')}</td></tr>
                {d.attestation !== undefined && <tr><th>statement</th><td>{d.attestation.statementType}<br />{d.attestation.predicateType}</td></tr>}
                {Object.entries(d.build.digests).map(([k, v]) => (
                  <tr key={k}><th>{k}</th><td><a href={d.build.artifacts[k] ?? '#'}>{v}</a></td></tr>
                ))}
              </tbody>
            </table>
            <h2>Signer chain</h2>
            {d.signatureError !== undefined && <div class="msg err">The signature could not be read: {d.signatureError}</div>}
            <table class="list" data-testid="signers">
              <thead><tr><th /><th>subject</th><th>issuer</th><th>valid</th><th>SHA-256 fingerprint</th></tr></thead>
              <tbody>
                {d.signers.map((c, i) => (
                  <tr key={c.fingerprint256}>
                    <td>{i === 0 ? 'signer' : 'CA'}</td><td>{c.subject}</td><td>{c.issuer}</td>
                    <td class="mono">{c.notBefore.slice(0, 10)} – {c.notAfter.slice(0, 10)}</td><td class="mono">{c.fingerprint256.slice(0, 32)}…</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </>
  );
}

/** The builds of a name that verification refused. */
export function FailuresPage({ name }: { name: string }) {
  const [failures, setFailures] = useState<readonly FailedBuild[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    fetchJson<{ failures: FailedBuild[] }>(`/v1/images/${enc(name)}/failures`).then((r) => setFailures(r.failures), (e: Error) => setError(e.message));
  }, [name]);
  return (
    <>
      <Header><nav><a href="#/">images</a> / {name} / refused builds</nav></Header>
      <div class="page" data-testid="failures">
        <h1>Refused builds of {name}</h1>
        {error !== undefined && <div class="msg err">{error}</div>}
        {failures !== undefined && failures.length === 0 && <div class="count">None.</div>}
        {failures?.map((f) => (
          <div class="msg err" key={f.id}>
            <b>{f.code}</b> · {new Date(f.createdAt).toLocaleString()} · ELF <span class="mono">{f.elfDigest.slice(0, 23)}…</span>
            <div>{f.message}</div>
            {f.diagnostics !== '' && <pre>{f.diagnostics}</pre>}
          </div>
        ))}
      </div>
    </>
  );
}
