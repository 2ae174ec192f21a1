import type { Channel } from 'amqplib';
import type { QueueSpec } from '../types';
import type { ManagementApi } from './management';
import { declareExchanges, declareFunctionQueues, functionQueuePolicy, legacyArguments, removeStaleTopology, type TopologyNames } from './topology';

/**
 * The functions' queues this process has provisioned, declared again on every new publishing
 * channel (after a reconnect, or a queue deleted under it).
 */
export class RabbitMqProvisioner {
  readonly #provisioned = new Map<string, QueueSpec>();
  /** Arguments kept from a queue an older release declared, per function. */
  readonly #adopted = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly names: TopologyNames,
    private readonly api: ManagementApi,
  ) {}

  has(functionName: string): boolean {
    return this.#provisioned.has(functionName);
  }

  /** Exchanges and every provisioned function's queues, as they were provisioned. */
  async declareAll(channel: Channel): Promise<void> {
    await declareExchanges(channel, this.names);
    for (const spec of this.#provisioned.values()) await declareFunctionQueues(channel, this.names, spec, this.#adopted.get(spec.name));
  }

  /**
   * Declares the function's queues so that any declaration change deploys: what may change (the
   * delivery limit) goes in a policy, and bindings and delay queues the declaration no longer has are
   * removed. Needs the management API, as queue depth (and KEDA) do.
   */
  async provision(channel: Channel, spec: QueueSpec): Promise<void> {
    const existing = await this.api.queue(this.names.queue(spec.name));
    const adopted = legacyArguments(existing?.arguments);
    const { name, policy } = functionQueuePolicy(this.names, spec);
    await this.api.putPolicy(name, policy);
    await declareFunctionQueues(channel, this.names, spec, adopted);
    await removeStaleTopology(channel, this.names, spec, this.api);
    this.#adopted.set(spec.name, adopted);
    this.#provisioned.set(spec.name, spec);
  }
}
