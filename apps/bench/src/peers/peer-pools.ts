/**
 * poolifier, piscina and tinypool behind one small interface, each with two
 * worker threads running the shared peer task. They are dev dependencies of
 * the bench only.
 */
import { Piscina } from "piscina";
import { FixedThreadPool } from "poolifier";
import Tinypool from "tinypool";
import { runBatchesWith } from "./batch-loop.ts";
import type { PeerTask } from "./peer-worker.ts";

export interface PeerPool {
  readonly name: string;
  run(task: PeerTask): Promise<unknown>;
  close(): Promise<void>;
}

const peerWorker = new URL("./peer-worker.ts", import.meta.url).pathname;
const poolifierWorker = new URL("./poolifier-worker.ts", import.meta.url).pathname;

export function createPeerPools(workers: number): PeerPool[] {
  const piscina = new Piscina({ filename: peerWorker, minThreads: workers, maxThreads: workers });
  const tinypool = new Tinypool({ filename: peerWorker, minThreads: workers, maxThreads: workers });
  const poolifier = new FixedThreadPool<PeerTask, unknown>(workers, poolifierWorker);
  return [
    { name: "poolifier", run: (task) => poolifier.execute(task), close: () => poolifier.destroy() },
    { name: "piscina", run: (task) => piscina.run(task), close: () => piscina.destroy() },
    { name: "tinypool", run: (task) => tinypool.run(task), close: () => tinypool.destroy() },
  ];
}

/** A peer driven exactly as poolstream is (see `runBatchesWith`). */
export function runFixedPeer(
  peer: PeerPool,
  kernel: PeerTask["kernel"],
  records: PeerTask["records"],
  batchSize: number,
  maxInFlight: number,
): Promise<number> {
  return runBatchesWith(
    (batch) => peer.run({ kernel, records: batch }) as Promise<ArrayLike<unknown>>,
    records,
    batchSize,
    maxInFlight,
  );
}
