/** @poolstream/ingest: sources of records, and the layer that runs many of them into a pipeline. */
export { AsyncIngestionLayer, type IngestionReport, type RecordSource } from "./async-ingestion-layer.ts";
export { AsyncSensorSource, type AsyncSensorSourceOptions } from "./async-sensor-source.ts";
export { FIELD_ROLES, type FieldMapping, type FieldRole, parseFieldMapping } from "./field-mapping.ts";
export { type FileFormat, FileSource, type FileSourceOptions, type UnreadableLine } from "./file-source.ts";
export { buildRecord as recordFromFields, type Problem as FieldProblem } from "./record-from-fields.ts";
export { generateSensorRecords, type RecordGeneratorOptions } from "./record-generator.ts";
export { type SimulatedSensorsOptions, simulatedSensors } from "./simulated-sensors.ts";
