import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';

/** The seeds' message, as bench/post.lua sends it to POST /message/publish. */
export const seedMessage = {
  ts: '19941114',
  sender: 'haimeng',
  messageAttributes: {
    publisher: '---publisher is ready rabbitmq---',
    consumer: 'postgres IS READY!',
    team: 'platform',
    region: 'eu-west-1',
    trace: '0af7651916cd43dd8448eb211c80319c',
  },
  sent_from_ip: '10.1.2.3',
  priority: 1,
};

/** The envelope the publish function puts on the broker for the seed message (a fresh id each call). */
export function benchEnvelope(): Buffer {
  const id = uuidv7();
  return encodeEnvelope({ id, type: 'message.published', time: new Date().toISOString(), data: seedMessage });
}
