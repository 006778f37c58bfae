/** Stylesheets are bundled by esbuild.
 * Author: Claude.
 */
declare module '*.css';
