/**
 * Checks a database path a person typed (`--dlq`, `--output sqlite:…`), so
 * that a wrong one is one line naming the flag, not a stack trace from SQLite
 * or a directory made where none was meant. Only the program's own default
 * place (`.poolstream/`) is made when missing.
 */
import { accessSync, constants, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** The directory the programs keep their state in by default, made when missing. */
export const STATE_DIRECTORY = ".poolstream";

/** Why `path` cannot be a database file, or undefined when it can. */
export function databasePathProblem(path: string): string | undefined {
  if (path === ":memory:") return undefined;
  if (path === "") return "the path is empty";
  if (existsSync(path)) {
    if (statSync(path).isDirectory())
      return `${path} is a directory; give a file in it, e.g. ${path.replace(/\/$/, "")}/log.sqlite`;
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch {
      return `${path} cannot be read and written by this user`;
    }
    return undefined;
  }
  const parent = dirname(resolve(path));
  if (resolve(parent) === resolve(STATE_DIRECTORY) && !existsSync(parent)) {
    mkdirSync(parent, { recursive: true });
    return undefined;
  }
  if (!existsSync(parent)) return `no directory ${parent} (it is not made for you: make it, or choose another place)`;
  if (!statSync(parent).isDirectory()) return `${parent} is not a directory`;
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    return `cannot make files in ${parent}`;
  }
  return undefined;
}
