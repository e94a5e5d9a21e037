/**
 * Home Assistant MQTT discovery payloads. Pure: table-tested without a broker.
 *
 * The add-on is one device, announced with device-based discovery
 * (`<prefix>/device/<node>/config`, with `dev`, `o` and `cmps`). A running job gets its own
 * progress sensor through per-entity discovery (`<prefix>/sensor/<node>/job_<short>/config`,
 * named "Download <short>" by its short id, which neither a restart nor a title edit changes),
 * linked to the same device by its identifier, and removed with an empty retained payload
 * when the job stops. All are published retained with QoS 1. Unique ids are derived from the
 * base topic, so they are stable across restarts and distinct for two instances on one
 * broker; `default_entity_id` replaces the deprecated `object_id`.
 */
import { ALERT_RULES, type AlertRule } from '../../metrics/alert-rules.js';
import { entitySlug, jobObjectId, nodeIdOf, type MqttTopics } from './topics.js';

export interface DiscoveryContext {
  topics: MqttTopics;
  version: string;
}

export type DiscoveryPayload = Record<string, unknown>;

export const DEFAULT_BASE_TOPIC = 'm3u_downloader';

function origin(ctx: DiscoveryContext): DiscoveryPayload {
  return { name: 'm3u-downloader', sw: ctx.version };
}

export function deviceName(baseTopic: string): string {
  return baseTopic === DEFAULT_BASE_TOPIC ? 'M3U Downloader' : `M3U Downloader (${baseTopic})`;
}

interface Component {
  p: 'sensor' | 'binary_sensor' | 'button' | 'switch' | 'text' | 'number';
  name: string;
  [key: string]: unknown;
}

function component(node: string, key: string, body: Component): DiscoveryPayload {
  const slug = entitySlug(`${node}_${key}`);
  return { ...body, unique_id: `${node}_${key}`, default_entity_id: `${body.p}.${slug}` };
}

const ALERT_NAMES: Record<AlertRule, string> = {
  disk_low: 'Alert: low free space',
  failure_rate: 'Alert: many failed downloads',
  queue_long: 'Alert: long queue',
  destination_down: 'Alert: destination down',
  job_stalled: 'Alert: stalled download',
};

/** The device and all its entities in one payload. */
export function deviceDiscovery(ctx: DiscoveryContext): { topic: string; payload: DiscoveryPayload } {
  const t = ctx.topics;
  const node = nodeIdOf(t.base);
  const stateSensor = (name: string, template: string, extra: Record<string, unknown> = {}): Component => ({
    p: 'sensor',
    name,
    state_topic: t.state,
    value_template: template,
    ...extra,
  });
  const cmps: Record<string, DiscoveryPayload> = {
    queue_length: component(node, 'queue_length', stateSensor('Queue length', '{{ value_json.queue_length }}', { state_class: 'measurement', icon: 'mdi:tray-full' })),
    active_downloads: component(node, 'active_downloads', stateSensor('Active downloads', '{{ value_json.active }}', { state_class: 'measurement', icon: 'mdi:download-multiple' })),
    total_speed: component(
      node,
      'total_speed',
      stateSensor('Total speed', '{{ value_json.speed }}', { device_class: 'data_rate', unit_of_measurement: 'B/s', suggested_unit_of_measurement: 'MB/s', state_class: 'measurement' }),
    ),
    free_space: component(
      node,
      'free_space',
      stateSensor('Free space', '{{ value_json.free_bytes }}', { device_class: 'data_size', unit_of_measurement: 'B', suggested_unit_of_measurement: 'GB', state_class: 'measurement', entity_category: 'diagnostic' }),
    ),
    last_completed: component(node, 'last_completed', {
      p: 'sensor',
      name: 'Last completed',
      state_topic: t.lastCompleted,
      value_template: "{{ (value_json.title or '')[:255] }}",
      json_attributes_topic: t.lastCompleted,
      icon: 'mdi:check-circle-outline',
    }),
    last_failed: component(node, 'last_failed', {
      p: 'sensor',
      name: 'Last failed',
      state_topic: t.lastFailed,
      value_template: "{{ (value_json.title or '')[:255] }}",
      json_attributes_topic: t.lastFailed,
      icon: 'mdi:alert-circle-outline',
    }),
    downloading: component(node, 'downloading', {
      p: 'binary_sensor',
      name: 'Downloading',
      device_class: 'running',
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.active > 0 else 'OFF' }}",
    }),
    // One problem sensor per alert rule (metrics/alert-rules.ts), on while any alert of it holds.
    ...Object.fromEntries(
      ALERT_RULES.map((rule) => [
        `alert_${rule}`,
        component(node, `alert_${rule}`, {
          p: 'binary_sensor',
          name: ALERT_NAMES[rule],
          device_class: 'problem',
          entity_category: 'diagnostic',
          state_topic: t.state,
          value_template: `{{ 'ON' if value_json.alerts is defined and value_json.alerts.${rule} else 'OFF' }}`,
        }),
      ]),
    ),
    limit_speed: component(node, 'limit_speed', {
      p: 'switch',
      name: 'Limit speed',
      command_topic: t.speedLimitSet,
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.speed_limit and value_json.speed_limit.enabled else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      icon: 'mdi:speedometer-slow',
    }),
    speed_limit: component(node, 'speed_limit', {
      p: 'number',
      name: 'Speed limit',
      command_topic: t.speedLimitKbpsSet,
      state_topic: t.state,
      value_template: '{{ value_json.speed_limit.limit_kbps if value_json.speed_limit else 0 }}',
      min: 8,
      max: 1000000,
      step: 64,
      mode: 'box',
      unit_of_measurement: 'KiB/s',
      icon: 'mdi:speedometer',
    }),
    sync_all: component(node, 'sync_all', { p: 'button', name: 'Sync all sources', command_topic: t.syncRun, payload_press: 'PRESS', icon: 'mdi:playlist-refresh' }),
    pause_queue: component(node, 'pause_queue', {
      p: 'switch',
      name: 'Pause queue',
      command_topic: t.queuePauseSet,
      state_topic: t.state,
      value_template: "{{ 'ON' if value_json.queue_paused else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      icon: 'mdi:pause-circle-outline',
    }),
    // Home Assistant caps text entities at 255 characters; longer URLs go through mqtt.publish.
    download_url: component(node, 'download_url', {
      p: 'text',
      name: 'Download URL',
      command_topic: t.add,
      mode: 'text',
      min: 0,
      max: 255,
      pattern: '^https?://\\S+$',
      icon: 'mdi:link-plus',
    }),
  };
  return {
    topic: t.deviceConfig,
    payload: {
      dev: { ids: [node], name: deviceName(t.base), mf: 'm3u-downloader', mdl: 'HLS and media downloader', sw: ctx.version },
      o: origin(ctx),
      availability_topic: t.availability,
      payload_available: 'online',
      payload_not_available: 'offline',
      qos: 1,
      cmps,
    },
  };
}

/**
 * A progress sensor for one running job, keyed and named by its short id (topics.shortJobId):
 * entity ids stay readable (`sensor.m3u_downloader_job_3f2a9c1e`) and stable; the title, which
 * an edit may change, is an attribute on the state topic.
 */
export function jobDiscovery(ctx: DiscoveryContext, job: { id: string; shortId: string }): { topic: string; payload: DiscoveryPayload } {
  const t = ctx.topics;
  const node = nodeIdOf(t.base);
  const objectId = jobObjectId(job.shortId);
  return {
    topic: t.jobConfig(job.shortId),
    payload: {
      name: `Download ${job.shortId}`,
      unique_id: `${node}_${objectId}`,
      default_entity_id: `sensor.${entitySlug(`${node}_${objectId}`)}`,
      state_topic: t.job(job.id),
      value_template: '{{ value_json.progress }}',
      json_attributes_topic: t.job(job.id),
      unit_of_measurement: '%',
      state_class: 'measurement',
      icon: 'mdi:progress-download',
      availability_topic: t.availability,
      qos: 1,
      device: { identifiers: [node] },
      origin: origin(ctx),
    },
  };
}

/** The key (short id, or a full id from older versions) in a job sensor's config topic, or null. */
export function jobIdFromConfigTopic(topics: MqttTopics, topic: string): string | null {
  const prefix = `${topics.discoveryPrefix}/sensor/${nodeIdOf(topics.base)}/job_`;
  if (!topic.startsWith(prefix) || !topic.endsWith('/config')) return null;
  return topic.slice(prefix.length, -'/config'.length) || null;
}
