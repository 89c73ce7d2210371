/**
 * Upstream frames quoted in logs are bounded (`lib/truncate.ts`): an exchange
 * that sends megabyte notices, refusals or undecodable frames cannot turn the
 * gateway's log into a copy of them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_MAX_FRAME_CHARS } from '../src/lib/truncate.ts';
import { disposeAll, startTestGateway, waitFor } from './helpers/gateway.ts';

const MIB = 1024 * 1024;
const NOTICES = 20;
/** What 20 notices of 1 MiB may write to the log at most. */
const LOG_BUDGET_BYTES = 100 * 1024;

afterAll(disposeAll);

describe('upstream notices in the log', () => {
  it(`writes ${NOTICES} notices of 1 MiB as bounded lines: under 100 KiB in all`, async () => {
    const gateway = await startTestGateway();
    const simulator = gateway.simulator;
    if (simulator === undefined) throw new Error('simulated');
    const logged = () => gateway.logs.lines.filter((l) => l.msg === 'upstream notice').length;
    const before = gateway.logs.text().length;
    for (let i = 0; i < NOTICES; i++)
      simulator.sendRaw('futures', JSON.stringify({ code: 500, message: `notice ${i} ${'x'.repeat(MIB)}` }));
    // The same for a refusal's reason and a frame no channel can decode (its cause quotes the decoder's message).
    simulator.sendRaw(
      'futures',
      JSON.stringify({ action: 'SUBSCRIBE', dataType: 'lastTrade', result: 'failed', message: 'y'.repeat(MIB) }),
    );
    simulator.sendRaw('futures', JSON.stringify({ message: `too many request ${'z'.repeat(MIB)}` }));
    await waitFor(() => logged() >= NOTICES, 'every notice logged', 20_000);

    const written = gateway.logs.text().length - before;
    expect(written).toBeLessThan(LOG_BUDGET_BYTES);
    const notice = gateway.logs.lines.find((l) => l.msg === 'upstream notice');
    const message = (notice?.obj as { message?: string } | undefined)?.message ?? '';
    expect(message.startsWith('notice 0 xxx')).toBe(true);
    expect(message.length).toBeLessThan(LOG_MAX_FRAME_CHARS + 32);
    expect(message).toMatch(/…\(\+\d+ chars\)$/);
  }, 30_000);
});
