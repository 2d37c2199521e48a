/**
 * The OTLP receiver in its own process (run with `node --import tsx`), so decoding the exports does not
 * share an event loop with the handler being timed. Talks to the parent over IPC: it sends { url } once
 * listening, answers { cmd: 'count' } with { count } and { cmd: 'clear' } with { count: 0 }, and exits when
 * the parent goes away.
 */
import { OtlpReceiver } from '../local/otlp-receiver.js';

const receiver = await OtlpReceiver.start();
const send = (message: object): void => void process.send?.(message);

process.on('message', (message: { cmd?: string }) => {
  if (message.cmd === 'clear') receiver.clear();
  send({ count: receiver.spans.length, requests: receiver.requests.length });
});
process.on('disconnect', () => void receiver.stop().finally(() => process.exit(0)));
send({ url: receiver.url });
