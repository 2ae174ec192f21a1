/**
 * Raw amqplib references, run as a process of its own (one Node process, like the code it is compared with):
 *   publish <exchange> <routingKey> <seconds> <inFlight>   confirmed, persistent, mandatory publishes of the seed envelope
 *   fill <exchange> <routingKey> <count> <inFlight>        the same, until `count` are confirmed
 *   consume <queue> <count> <prefetch>                    consume and ack each message until `count` arrived
 * Prints one JSON line: { messages, seconds, perSecond, cpuUsPerMessage } (this process's CPU while it measured, start-up left out).
 */
import amqp from 'amqplib';
import { benchEnvelope } from '../lib/messages';

const [mode, ...args] = process.argv.slice(2);
const url = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const connection = await amqp.connect(url);

if (mode === 'publish' || mode === 'fill') {
  const [exchange, routingKey, limit, inFlight] = args as [string, string, string, string];
  const channel = await connection.createConfirmChannel();
  const window = Number(inFlight);
  const deadline = mode === 'publish' ? performance.now() + Number(limit) * 1000 : Infinity;
  const count = mode === 'fill' ? Number(limit) : Infinity;
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  let sent = 0;
  let confirmed = 0;
  let outstanding = 0;
  const more = () => sent < count && performance.now() < deadline;
  await new Promise<void>((resolve, reject) => {
    const fill = () => {
      while (outstanding < window && more()) {
        outstanding++;
        sent++;
        channel.publish(exchange, routingKey, benchEnvelope(), { persistent: true, mandatory: true, contentType: 'application/json' }, (error) => {
          outstanding--;
          if (error) return reject(error);
          confirmed++;
          if (more()) fill();
          else if (outstanding === 0) resolve();
        });
      }
    };
    fill();
  });
  report(confirmed, (performance.now() - started) / 1000, cpuAtStart);
} else if (mode === 'consume') {
  const [queue, count, prefetch] = args as [string, string, string];
  const channel = await connection.createChannel();
  await channel.prefetch(Number(prefetch));
  const expected = Number(count);
  let received = 0;
  let started = 0;
  let cpuAtStart = process.cpuUsage();
  let consumerTag = '';
  await new Promise<void>((resolve) => {
    void channel
      .consume(queue, (message) => {
        if (!message) return;
        if (received === 0) {
          started = performance.now();
          cpuAtStart = process.cpuUsage();
        }
        channel.ack(message);
        if (++received === expected) resolve();
      })
      .then((ok) => (consumerTag = ok.consumerTag));
  });
  report(received, (performance.now() - started) / 1000, cpuAtStart);
  // Closed right after the last acks, RabbitMQ (3.10, quorum queue) sometimes returns a few acked
  // messages to the queue; cancelling the consumer first lets every ack land.
  await channel.cancel(consumerTag);
  await channel.close();
} else {
  console.error('usage: raw-amqp.ts publish|fill <exchange> <routingKey> <seconds|count> <inFlight> | consume <queue> <count> <prefetch>');
  process.exit(64);
}
await connection.close();

function report(messages: number, seconds: number, cpuAtStart: NodeJS.CpuUsage): void {
  const cpu = process.cpuUsage(cpuAtStart);
  console.log(JSON.stringify({ messages, seconds, perSecond: messages / seconds, cpuUsPerMessage: (cpu.user + cpu.system) / messages }));
}
