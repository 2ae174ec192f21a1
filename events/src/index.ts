/**
 * The app's own domain, beside the runtime (@qfn/shared knows nothing of it): the event types its
 * functions publish and subscribe to, and the tables more than one function reads or writes.
 * Event definitions live in ./definitions (what `npm run generate` collects into events/catalog.json).
 */
export { commonMessageOf, defaultEventType, limits, messageEvent, type MessageEvent } from './message';
export { messagePublished } from './definitions';
export { messages } from './schema';
