import { defineHttpFunction } from '@qfn/shared/platform';
import { publishConfig } from './config';

/**
 * The publish function: the HTTP API in front of the queues. It publishes whatever declared event type
 * its clients send, serves the dead-letter admin API, the console and KEDA's push scaler, and relays
 * delayed events. `runHttpFunction` starts it (main.ts); the local runner reads this declaration.
 */
export default defineHttpFunction({
  name: 'publish',
  config: publishConfig,
  poolSize: 5,
  shutdownGracePeriodSeconds: 10,
  publishes: 'any',
  // The server is loaded only when the function runs, not when tooling reads the declaration.
  app: async (context) => (await import('./http-app')).publishHttpApp(context),
});
