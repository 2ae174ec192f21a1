import type { Broker } from '@qfn/shared/platform';
import type { QueueActivity } from './activity';

/**
 * Tells `activity` about every publish the broker confirms, whoever sent it (the message API, /events, the
 * outbox relay): one reaction on the publish's own promise, nothing awaited that was not awaited before.
 */
export function observePublishes(broker: Broker, activity: QueueActivity): Broker {
  const publish = broker.publish.bind(broker);
  broker.publish = (message) => {
    const confirmed = publish(message);
    confirmed.then(
      () => activity.published(message.type),
      () => {},
    );
    return confirmed;
  };
  return broker;
}
