/**
 * Workers as child processes of this program (`Bun.spawn` with an IPC
 * channel and structured-clone serialization). A child has a heap of its
 * own, so a kernel that exhausts memory or crashes natively ends only its
 * child; with a memory limit the child runs under `ulimit -d` (RLIMIT_DATA),
 * so an allocation past it fails in that child instead of swapping the
 * machine. Buffers are copied, never moved, and there is no claim board: a
 * process cannot share memory with this one.
 */
import { WorkerCrashedError } from "@poolstream/core";
import type { WorkerHost, WorkerHostFactory } from "@poolstream/pool";

const childEntryPath = Bun.fileURLToPath(new URL("./child-entry.ts", import.meta.url));

/** How much of a child's standard error is kept, to say why it died. */
const STDERR_TAIL_BYTES = 4096;

export interface ProcessHostSettings {
  /** RLIMIT_DATA of each child in MiB, or undefined for none. */
  readonly memoryLimitMb: number | undefined;
  /** Copy each child's standard error to this process's (it is kept for crash messages either way). */
  readonly forwardStderr: boolean;
}

export function processHosts(settings: ProcessHostSettings): WorkerHostFactory {
  return {
    spawn(name, _capacity, events): WorkerHost {
      const { memoryLimitMb } = settings;
      const cmd =
        memoryLimitMb === undefined
          ? [process.execPath, childEntryPath]
          : // `ulimit` is the shell's; `exec` keeps the pid and the IPC channel.
            [
              "/bin/sh",
              "-c",
              'ulimit -d "$1" && exec "$0" "$2"',
              process.execPath,
              String(memoryLimitMb * 1024),
              childEntryPath,
            ];
      let stderrTail = "";
      let dead = false;
      const child = Bun.spawn({
        cmd,
        stdio: ["ignore", "inherit", "pipe"],
        serialization: "advanced",
        ipc(message) {
          events.message(message, performance.now());
        },
      });
      const stderrDone = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of child.stderr) {
          if (settings.forwardStderr) process.stderr.write(chunk);
          stderrTail = (stderrTail + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL_BYTES);
        }
      })().catch(() => {});
      const exited = child.exited.then(async (code) => {
        await stderrDone;
        if (dead) return;
        dead = true;
        events.died(
          deathError(
            name,
            child.pid,
            code,
            child.signalCode === null ? null : String(child.signalCode),
            stderrTail,
            memoryLimitMb,
          ),
        );
      });
      return {
        claims: undefined,
        movesBuffers: false,
        exited: exited.then(() => {}),
        send(request) {
          child.send(request);
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
