import type { ColdStart, ConsoleSnapshot, ConsoleUpdate, FunctionInfo, ScaleMarker, SeriesPoint } from './model';

export interface ConsoleHubOptions {
  installation: ConsoleSnapshot['installation'];
  /** History kept per function (one point a second): 600 = the last 10 minutes. */
  historySeconds?: number;
  /** Markers and cold starts kept, all functions together. */
  keptEvents?: number;
  /** Called when the first watcher connects and after the last one leaves (sources that only poll while watched). */
  onWatchers?: (watching: boolean) => void;
}

export type ConsoleListener = (update: ConsoleUpdate) => void;

/**
 * The console's memory and fan-out: sources record samples, markers and cold starts; every open page
 * gets the snapshot once, then each update as it happens. Bounded: old points and events fall off.
 *
 * @example
 * const hub = new ConsoleHub({ installation: { name: 'qfn', mode: 'local', detail: 'embedded' } });
 * hub.setFunctions([{ name: 'store-message', … }]);
 * hub.record('store-message', point);
 * const stop = hub.subscribe((update) => send(update));
 */
export class ConsoleHub {
  readonly #series = new Map<string, SeriesPoint[]>();
  readonly #markers: ScaleMarker[] = [];
  readonly #coldStarts: ColdStart[] = [];
  readonly #listeners = new Set<ConsoleListener>();
  readonly #warnings = new Map<string, string>();
  #functions: FunctionInfo[] = [];
  readonly historySeconds: number;
  readonly #keptEvents: number;

  constructor(private readonly options: ConsoleHubOptions) {
    this.historySeconds = options.historySeconds ?? 600;
    this.#keptEvents = options.keptEvents ?? 500;
  }

  get watchers(): number {
    return this.#listeners.size;
  }

  setFunctions(functions: FunctionInfo[]): void {
    this.#functions = functions;
    for (const fn of functions) if (!this.#series.has(fn.name)) this.#series.set(fn.name, []);
    this.#emit({ type: 'functions', functions });
  }

  record(name: string, point: SeriesPoint): void {
    let points = this.#series.get(name);
    if (!points) this.#series.set(name, (points = []));
    points.push(point);
    const oldest = point.t - this.historySeconds * 1000;
    while (points.length > 0 && points[0]!.t < oldest) points.shift();
    this.#emit({ type: 'sample', function: name, point });
  }

  marker(marker: ScaleMarker): void {
    this.#keep(this.#markers, marker);
    this.#emit({ type: 'marker', marker });
  }

  /** Markers already recorded are ignored (sources that re-read the same Kubernetes events). */
  hasMarker(marker: ScaleMarker): boolean {
    return this.#markers.some((m) => m.function === marker.function && m.at === marker.at && m.reason === marker.reason);
  }

  coldStart(coldStart: ColdStart): void {
    this.#keep(this.#coldStarts, coldStart);
    this.#emit({ type: 'coldstart', coldStart });
  }

  /** One current problem per source (`undefined` clears it). */
  warn(source: string, message: string | undefined): void {
    const before = this.#warnings.get(source);
    if (before === message) return;
    if (message === undefined) this.#warnings.delete(source);
    else this.#warnings.set(source, message);
    this.#emit({ type: 'warnings', warnings: [...this.#warnings.values()] });
  }

  snapshot(): ConsoleSnapshot {
    return {
      installation: this.options.installation,
      historySeconds: this.historySeconds,
      functions: this.#functions,
      series: Object.fromEntries([...this.#series].map(([name, points]) => [name, [...points]])),
      markers: [...this.#markers],
      coldStarts: [...this.#coldStarts],
      warnings: [...this.#warnings.values()],
    };
  }

  /** Adds a watcher; the returned function removes it. */
  subscribe(listener: ConsoleListener): () => void {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.options.onWatchers?.(true);
    return () => {
      if (!this.#listeners.delete(listener)) return;
      if (this.#listeners.size === 0) this.options.onWatchers?.(false);
    };
  }

  #keep<T extends { at: number }>(list: T[], item: T): void {
    list.push(item);
    if (list.length > 1 && list[list.length - 2]!.at > item.at) list.sort((a, b) => a.at - b.at);
    if (list.length > this.#keptEvents) list.splice(0, list.length - this.#keptEvents);
  }

  #emit(update: ConsoleUpdate): void {
    for (const listener of this.#listeners) {
      try {
        listener(update);
      } catch {
        // A watcher that cannot take an update (its connection went) is removed by its own stream.
      }
    }
  }
}
