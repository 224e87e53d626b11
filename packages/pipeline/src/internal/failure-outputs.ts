/**
 * A failure policy's resolution as one output per record of the failed
 * batch, in the batch's order: the outputs of a retry, an error record for
 * each record of a failed part, a dead-letter mark for each dead letter.
 */
import { errorRecordOf, type FailureResolution, InvalidArgumentError, type ResolvedPart } from "@poolstream/core";
import { DEAD_LETTERED, UNRESOLVED } from "./sink-batch.ts";

/** Throws `InvalidArgumentError` when the parts do not hold the batch's records exactly once. */
export function outputsOf<R>(
  resolution: FailureResolution<R>,
  records: number,
  policyName: string,
  onPart: (part: ResolvedPart<R>) => void,
): unknown[] {
  // Checked before any part is counted, so a resolution that does not add up counts nothing twice.
  let total = 0;
  for (const part of resolution.parts) {
    total += part.records.length;
    if (part.kind === "computed" && part.outputs.length !== part.records.length) {
      throw new InvalidArgumentError(
        `the failure policy "${policyName}" returned a recovered part with the wrong number of outputs`,
      );
    }
  }
  if (total !== records) {
    throw new InvalidArgumentError(`the failure policy "${policyName}" accounted for ${total} of ${records} records`);
  }
  const outputs = new Array<unknown>(records);
  let at = 0;
  for (const part of resolution.parts) {
    const n = part.records.length;
    if (part.kind === "computed") {
      for (let i = 0; i < n; i++) outputs[at + i] = part.outputs[i];
    } else if (part.kind === "failed") {
      for (let i = 0; i < n; i++) outputs[at + i] = errorRecordOf(part.records[i], part.error);
    } else {
      const mark = part.kind === "dead-lettered" ? DEAD_LETTERED : UNRESOLVED;
      for (let i = 0; i < n; i++) outputs[at + i] = mark;
    }
    onPart(part);
    at += n;
  }
  return outputs;
}
