/**
 * What the console shows, as the server sends it: the same shapes locally (the local runner) and on a
 * cluster (the publish function reading the broker, the inbox and the Kubernetes API).
 */

/** One second of one function. `null`: not known at that moment (queue unreadable, nothing processed to time). */
export interface SeriesPoint {
  /** Milliseconds since the epoch. */
  t: number;
  ready: number | null;
  inFlight: number | null;
  delayed: number | null;
  /** Replicas asked for (Deployment spec.replicas) and ready. */
  desired: number | null;
  readyReplicas: number | null;
  processedPerSecond: number | null;
  /** Acceptance by the publish function → processing, of the messages processed in this sample, ms. */
  lagP50: number | null;
  lagP99: number | null;
}

/** A scaling decision worth a marker: every change of the replica count, and holds with a reason (rate limit, cooldown, stabilisation). */
export interface ScaleMarker {
  function: string;
  at: number;
  from: number | null;
  to: number | null;
  /** Who decided: KEDA (to and from zero), the HPA (1 ↔ N), or nobody (a hold). */
  by: 'keda' | 'hpa' | 'none';
  kind: 'scale' | 'hold';
  reason: string;
}

/** A replica that became ready, and how long it took from exec (or pod start) to consuming. */
export interface ColdStart {
  function: string;
  at: number;
  replica: string;
  coldStartMs: number | null;
}

/** A function's scaling settings; null where the source cannot know them (a cluster without the console's Kubernetes access). */
export interface FunctionInfo {
  name: string;
  minReplicaCount: number | null;
  maxReplicaCount: number | null;
  targetQueueLength: number | null;
  activationQueueLength: number | null;
  pollingInterval: number | null;
  cooldownPeriod: number | null;
}

export interface ConsoleSnapshot {
  installation: { name: string; mode: 'local' | 'kubernetes'; detail: string };
  /** Seconds of history kept per function. */
  historySeconds: number;
  functions: FunctionInfo[];
  series: Record<string, SeriesPoint[]>;
  markers: ScaleMarker[];
  coldStarts: ColdStart[];
  /** Problems reading a source (queue, Kubernetes API), newest per source; the page shows them. */
  warnings: string[];
}

/** What the live stream carries after the first snapshot. */
export type ConsoleUpdate =
  | { type: 'sample'; function: string; point: SeriesPoint }
  | { type: 'marker'; marker: ScaleMarker }
  | { type: 'coldstart'; coldStart: ColdStart }
  | { type: 'functions'; functions: FunctionInfo[] }
  | { type: 'warnings'; warnings: string[] };
