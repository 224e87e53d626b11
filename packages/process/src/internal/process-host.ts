/**
 * Workers as child processes of this program (`Bun.spawn` with an IPC
 * channel and structured-clone serialization). A child has a heap of its
 * own, so a kernel that exhausts memory or crashes natively ends only its
 * child; with a memory limit the child runs under `ulimit -d` (RLIMIT_DATA),
 * so an allocation past it fails in that child instead of swapping the
 * machine. Buffers are copied, never moved, and there is no claim board: a
 * process cannot share memory with this one. A child's death is reported once
 * it has exited and its IPC channel has closed (the messages it sent before
 * dying come first), never later than `DISCONNECT_GRACE_MS` after the exit.
 */
import { closeSync, openSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerCrashedError } from "@poolstream/core";
import type { WorkerHost, WorkerHostFactory } from "@poolstream/pool";

const childEntryPath = Bun.fileURLToPath(new URL("./child-entry.ts", import.meta.url));

/** How much of a dead child's standard error is read, to say why it died. */
const STDERR_TAIL_BYTES = 4096;

export interface ProcessHostSettings {
  /** RLIMIT_DATA of each child in MiB, or undefined for none. */
  readonly memoryLimitMb: number | undefined;
  /** Copy each child's standard error to this process's; otherwise it goes to a file whose tail says why a child died. */
  readonly forwardStderr: boolean;
}

/**
 * How long a dead child's death waits for its IPC channel to close: the
 * messages it sent before it died arrive before the channel closes, and a
 * result already sent must not be taken for a crash.
 */
const DISCONNECT_GRACE_MS = 200;

let children = 0;

export function processHosts(settings: ProcessHostSettings): WorkerHostFactory {
  return {
    spawn(name, _capacity, events): WorkerHost {
      const { memoryLimitMb } = settings;
      const stderrPath = settings.forwardStderr
        ? undefined
        : join(tmpdir(), `poolstream-${process.pid}-${++children}-${name}.stderr`);
      let disconnected = false;
      let exit: { readonly code: number | null; readonly signal: string | null } | undefined;
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      let reported = false;
      let markExited: () => void = () => {};
      const exited = new Promise<void>((resolve) => {
        markExited = resolve;
      });
      const reportDeath = () => {
        if (reported || exit === undefined) return;
        if (!disconnected && graceTimer === undefined) {
          graceTimer = setTimeout(() => {
            disconnected = true;
            reportDeath();
          }, DISCONNECT_GRACE_MS);
          return;
        }
        if (!disconnected) return;
        clearTimeout(graceTimer);
        reported = true;
        const said = stderrPath === undefined ? "" : readAndRemove(stderrPath);
        events.died(deathError(name, child.pid, exit.code, exit.signal, said, memoryLimitMb));
        markExited();
      };
      const child = Bun.spawn({
        cmd: commandFor(memoryLimitMb),
        // Not a pipe: reading one would hold the program open, and an idle pool must not.
        stdio: ["ignore", "inherit", stderrPath === undefined ? "inherit" : Bun.file(stderrPath)],
        serialization: "advanced",
        ipc(message) {
          events.message(message, performance.now());
        },
        onDisconnect() {
          disconnected = true;
          reportDeath();
        },
      });
      void child.exited.then((code) => {
        exit = { code, signal: child.signalCode === null ? null : String(child.signalCode) };
        reportDeath();
      });
      return {
        claims: undefined,
        exited,
        send(request) {
          if (disconnected || exit !== undefined) throw new WorkerCrashedError(`process ${name} is gone`);
          try {
            child.send(request);
            return false; // serialized into the channel: a transfer list is only a hint here
          } catch (error) {
            // A value that cannot be cloned is the request's fault; anything else means the channel is gone.
            if ((error as Error).name === "DataCloneError") throw error;
            throw new WorkerCrashedError(`process ${name} could not be reached: ${(error as Error).message}`);
          }
        },
        keepAlive(alive) {
          if (alive) child.ref();
          else child.unref();
        },
        terminate() {
          child.kill("SIGKILL");
        },
      };
    },
  };
}

/** The child's command line: under `ulimit -S -d` when there is a memory limit (`exec` keeps the pid and the IPC channel). */
function commandFor(memoryLimitMb: number | undefined): string[] {
  if (memoryLimitMb === undefined) return [process.execPath, childEntryPath];
  return [
    "/bin/sh",
    "-c",
    'ulimit -S -d "$1" && exec "$0" "$2"',
    process.execPath,
    String(memoryLimitMb * 1024),
    childEntryPath,
  ];
}

/** Whether this system lets a process set its soft RLIMIT_DATA to `memoryLimitMb` (not above the hard limit). */
export function canLimitMemory(memoryLimitMb: number): boolean {
  const probe = Bun.spawnSync(["/bin/sh", "-c", 'ulimit -S -d "$0"', String(memoryLimitMb * 1024)], {
    stdout: "ignore",
    stderr: "ignore",
  });
  return probe.exitCode === 0;
}

/** The tail of a dead child's standard error, the file removed. */
function readAndRemove(path: string): string {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, "r");
    try {
      const length = Math.min(size, STDERR_TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      return buffer.toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  } finally {
    rmSync(path, { force: true });
  }
}

function deathError(
  name: string,
  pid: number,
  code: number | null,
  signal: string | null,
  stderr: string,
  memoryLimitMb: number | undefined,
): WorkerCrashedError {
  const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
  const said = lastErrorLine(stderr);
  const limit =
    memoryLimitMb !== undefined && (signal === "SIGSEGV" || signal === "SIGABRT" || /out of memory/i.test(said))
      ? ` (it may have run past its memory limit of ${memoryLimitMb} MiB)`
      : "";
  return new WorkerCrashedError(
    `process ${name} (pid ${pid}) ${how}${said === "" ? "" : `: ${said}`}${limit}`,
    code ?? undefined,
  );
}

/** The line of a dying child's standard error that says what happened, if one does. */
function lastErrorLine(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim());
  return lines.findLast((line) => /^(\w*error|panic)\b.*:/i.test(line)) ?? "";
}
