/** @poolstream/mqtt: readings from an MQTT broker, and outcomes published to one. */

export { MqttSource, type MqttSourceOptions, type UnreadableMessage } from "./mqtt-source.ts";
