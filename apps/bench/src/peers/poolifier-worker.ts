/** Poolifier's worker: the shared peer task inside a ThreadWorker. */
import { ThreadWorker } from "poolifier";
import runPeerTask, { type PeerTask } from "./peer-worker.ts";

export default new ThreadWorker((task?: PeerTask) => (task === undefined ? undefined : runPeerTask(task)));
