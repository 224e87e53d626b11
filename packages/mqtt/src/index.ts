/** @poolstream/mqtt: readings from an MQTT broker, and outcomes published to one. */

export { MqttPublishSink, type MqttPublishSinkOptions } from "./mqtt-publish-sink.ts";
export { MqttSource, type MqttSourceOptions, type UnreadableMessage } from "./mqtt-source.ts";
export { type MqttAddress, parseMqttUrl } from "./mqtt-url.ts";
