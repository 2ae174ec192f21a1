// `helm test`: publishes one message and reads it back once the store-message function has stored it
// (which may first have to scale from zero). Runs on the publish image's Node, no dependencies.
const base = process.env.PUBLISH_URL.replace(/\/$/, '');
const deadline = Date.now() + Number(process.env.TIMEOUT_SECONDS ?? 300) * 1000;
const expectStored = process.env.EXPECT_STORED === 'true';
const token = (process.env.PUBLISH_API_TOKENS ?? '').split(',')[0]?.trim();
const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(message) {
  console.error(`helm test: FAILED: ${message}`);
  process.exit(1);
}

async function call(path, init) {
  try {
    const response = await fetch(`${base}${path}`, { ...init, headers, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: String(error?.cause?.code ?? error?.message ?? error) };
  }
}

const message = {
  ts: new Date().toISOString(),
  sender: 'helm-test',
  messageAttributes: { source: 'helm test' },
  sent_from_ip: '192.0.2.1',
  priority: 1,
};

let id;
while (!id) {
  const { status, body } = await call('/message/publish', { method: 'POST', body: JSON.stringify(message) });
  if (status === 202) id = JSON.parse(body).id;
  else if ((status === 0 || status === 503) && Date.now() < deadline)
    await sleep(2_000); // still starting
  else fail(`POST /message/publish answered ${status}: ${body}`);
}
console.log(`helm test: published ${id}`);
if (!expectStored) process.exit(0);

for (;;) {
  const { status, body } = await call(`/message/${id}`, { method: 'GET' });
  if (status === 200) {
    console.log(`helm test: stored and read back: ${body}`);
    process.exit(0);
  }
  if (status !== 404 && status !== 503 && status !== 0) fail(`GET /message/${id} answered ${status}: ${body}`);
  if (Date.now() > deadline)
    fail(`message ${id} was not stored within ${process.env.TIMEOUT_SECONDS}s (is store-message scaling from zero? kubectl get scaledobject,hpa,deploy)`);
  await sleep(3_000);
}
