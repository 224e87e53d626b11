/** @poolstream/ingest: sources of records and the layer that feeds them into a bounded queue. */
export {
  AsyncIngestionLayer,
  type AsyncIngestionLayerOptions,
  type IngestionReport,
  type RecordSource,
  type RecordTarget,
  type SourceError,
} from "./async-ingestion-layer.ts";
export { AsyncSensorSource, type AsyncSensorSourceOptions } from "./async-sensor-source.ts";
export { generateSensorRecords, type RecordGeneratorOptions } from "./record-generator.ts";
