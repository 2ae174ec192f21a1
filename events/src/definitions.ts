import { defineEvent } from '@qfn/shared';
import { messageEvent } from './message';

/** The seeds' message, as `POST /message/publish` accepts it (that route is unchanged). */
export const messagePublished = defineEvent('message.published', messageEvent, {
  description: 'A message as the seeds publish it (POST /message/publish)',
});
