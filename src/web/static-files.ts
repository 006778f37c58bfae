/**
 * Where the built page is: `dist/web/static` of the package (scripts/build-web.mjs writes it; `npm run build` runs
 * it), found from this module's own location whether it runs from `src/` or from `dist/`.
 *
 * Author: Claude.
 *
 * @module
 */

/** The URL of the directory holding the page's files (index.html, explorer.js, explorer.css, chunks/). */
export function explorerStaticUrl(): URL {
  return new URL('../../dist/web/static/', import.meta.url);
}
