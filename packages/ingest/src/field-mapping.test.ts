import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "@poolstream/core";
import { parseFieldMapping } from "./field-mapping.ts";

describe("parseFieldMapping", () => {
  test("role=field pairs", () => {
    expect(parseFieldMapping("sensorId=deviceId, value=reading,createdAt=ts")).toEqual({
      sensorId: "deviceId",
      value: "reading",
      createdAt: "ts",
    });
    expect(parseFieldMapping("")).toEqual({});
  });

  test("an unknown role, a role twice, a pair without a field: typed errors that say which", () => {
    expect(() => parseFieldMapping("sensor=deviceId")).toThrow(InvalidArgumentError);
    expect(() => parseFieldMapping("sensor=deviceId")).toThrow('"sensor" is not a role');
    expect(() => parseFieldMapping("value=a,value=b")).toThrow('role "value" is mapped twice');
    expect(() => parseFieldMapping("value=")).toThrow("role=field");
    expect(() => parseFieldMapping("value")).toThrow("role=field");
    expect(() => parseFieldMapping("value=a=b")).toThrow("role=field");
  });
});
