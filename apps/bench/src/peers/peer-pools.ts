/**
 * poolifier, piscina and tinypool behind one small interface, each with two
 * worker threads running the shared peer task. They are dev dependencies of
 * the bench only.
 */

import { InFlightWindow } from "@poolstream/core";
import { Piscina } from "piscina";
import { FixedThreadPool } from "poolifier";
import Tinypool from "tinypool";
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

/** Same shape as `runFixed`: fixed batch size, at most `maxInFlight` tasks outstanding. */
export async function runFixedPeer(
  peer: PeerPool,
  kernel: PeerTask["kernel"],
  records: PeerTask["records"],
  batchSize: number,
  maxInFlight: number,
): Promise<number> {
  const window = new InFlightWindow(maxInFlight);
  let results = 0;
  for (let offset = 0; offset < records.length; offset += batchSize) {
    const done = peer.run({ kernel, records: records.slice(offset, offset + batchSize) }).then((out) => {
      results += (out as ArrayLike<unknown>).length;
    });
    await window.add(done);
  }
  await window.drain();
  if (results !== records.length) throw new Error(`${peer.name} lost records: ${results} of ${records.length}`);
  return results;
}
