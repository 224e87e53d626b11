/**
 * The script every child process of a `ProcessPool` runs: a task runner
 * wired to the IPC channel. It exits when the channel closes, so a child never
 * outlives the program that started it, however that program ended.
 */
import type { TaskRequest } from "@poolstream/core";
import { createTaskRunner } from "@poolstream/pool";

const send = process.send?.bind(process);
if (send === undefined) {
  console.error("poolstream: this script is a ProcessPool's child and must be started by one, with an IPC channel");
  process.exit(2);
}

// Buffers cannot move between processes: the output is copied whatever the kernel declared.
const runner = createTaskRunner({ post: (message) => void send(message) });
process.on("message", (request: TaskRequest) => runner.receive(request));
process.on("disconnect", () => process.exit(0));
