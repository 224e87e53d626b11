/**
 * How a user's field names become a sensor record's: `sensorId=deviceId,
 * value=reading,createdAt=ts` reads `deviceId` as the sensor id, `reading` as
 * the value and `ts` as the creation time. Roles not named keep their own
 * name (`sensorId`, `value`...). Without a field, `seq` is the line or
 * message number, `createdAt` (where latency starts) the time the record was
 * read, and `timestamp` (when the reading was taken) is `createdAt`.
 */
import { InvalidArgumentError } from "@poolstream/core";

/** The roles a field can fill. */
export const FIELD_ROLES = ["sensorId", "value", "seq", "timestamp", "createdAt"] as const;
export type FieldRole = (typeof FIELD_ROLES)[number];

/** Which of the user's fields fills each role. */
export type FieldMapping = { readonly [Role in FieldRole]?: string };

/**
 * Parses `role=field,role=field`. Throws `InvalidArgumentError` for an unknown
 * role, a role given twice, or an empty name.
 */
export function parseFieldMapping(spec: string): FieldMapping {
  const mapping: Partial<Record<FieldRole, string>> = {};
  if (spec.trim() === "") return mapping;
  for (const pair of spec.split(",")) {
    const [role, field, ...rest] = pair.split("=").map((part) => part.trim());
    if (role === undefined || field === undefined || field === "" || rest.length > 0) {
      throw new InvalidArgumentError(`a field mapping is role=field, got "${pair}"`);
    }
    if (!(FIELD_ROLES as readonly string[]).includes(role)) {
      throw new InvalidArgumentError(`"${role}" is not a role: the roles are ${FIELD_ROLES.join(", ")}`);
    }
    if (mapping[role as FieldRole] !== undefined) throw new InvalidArgumentError(`role "${role}" is mapped twice`);
    mapping[role as FieldRole] = field;
  }
  return mapping;
}
