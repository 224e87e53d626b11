/**
 * Where a pool's Workers import a kernel's module from. A `file:` URL is used
 * as it is. A bare specifier ("@poolstream/kernels") names a package that the
 * program depends on, not this one, so it is resolved here, from the
 * program's side, and the Worker is sent the file it resolved to; only if no
 * base finds it is the Worker left to try (and to report what it could not
 * find).
 */
import { statSync } from "node:fs";
import { dirname, isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The directories a bare specifier is resolved from, first match wins:
 * `resolveFrom` when given (a module's `import.meta.url`, a file or a
 * directory), then the program's entry module, then the working directory.
 */
export function resolutionBases(resolveFrom?: string | URL): string[] {
  const bases: string[] = [];
  if (resolveFrom !== undefined) {
    const path = toPath(resolveFrom);
    // A module's URL or path stands for the directory it is in; a directory stands for itself.
    bases.push(statSync(path, { throwIfNoEntry: false })?.isDirectory() === true ? path : dirname(path));
  }
  if (typeof Bun.main === "string" && isAbsolute(Bun.main)) bases.push(dirname(Bun.main));
  bases.push(process.cwd());
  return bases;
}

/** The `file:` URL `module` resolves to from the first base that finds it, or `module` as it is. */
export function resolveKernelModule(module: string, bases: readonly string[]): string {
  if (module.startsWith("file:")) return module;
  for (const base of bases) {
    try {
      const resolved = Bun.resolveSync(module, base);
      if (isAbsolute(resolved)) return pathToFileURL(resolved).href;
    } catch {
      // Not from this base; try the next.
    }
  }
  return module;
}

/** A path from a path or a `file:` URL; throws TypeError for a URL of another scheme. */
function toPath(location: string | URL): string {
  if (location instanceof URL || location.startsWith("file:")) return fileURLToPath(location);
  // Two letters at least before the colon, so a Windows drive ("C:") still reads as a path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(location)) throw new TypeError(`not a file: URL: ${location}`);
  return location;
}
