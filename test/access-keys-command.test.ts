/**
 * `npm run keys`: `add` returns a new key once and writes only its sha256
 * (with scopes and limits) to the keys file, which the gateway then accepts;
 * `remove` drops an id; a broken file is left alone.
 */
import { describe, expect, it } from 'vitest';
import { addKey, removeKey } from '../src/auth/keys-command.ts';
import { KeyRing, parseKeysFile } from '../src/auth/keys-file.ts';

describe('npm run keys', () => {
  it('adds a key whose hash, scopes and limits the gateway reads, and never writes the key', () => {
    const added = addKey(undefined, 'partner-a', { scopes: ['public', 'private'], maxConnections: 50 });
    if (!added.ok || added.key === undefined) throw new Error('not added');
    expect(added.text).not.toContain(added.key);
    const parsed = parseKeysFile(added.text);
    if (!parsed.ok) throw new Error(parsed.problem);
    const entry = new KeyRing(parsed.keys).lookup(added.key);
    expect(entry).toMatchObject({ id: 'partner-a', maxConnections: 50 });
    expect([...(entry?.scopes ?? [])]).toEqual(['public', 'private']);
  });

  it('makes a different key each time and refuses an id that exists', () => {
    const first = addKey(undefined, 'a');
    if (!first.ok) throw new Error('not added');
    const second = addKey(first.text, 'b');
    if (!second.ok) throw new Error('not added');
    expect(second.key).not.toBe(first.key);
    expect(addKey(second.text, 'a')).toMatchObject({ ok: false, problem: expect.stringMatching(/exists/) as unknown });
  });

  it('removes an id and keeps the others', () => {
    const first = addKey(undefined, 'a');
    const both = first.ok ? addKey(first.text, 'b') : first;
    if (!both.ok) throw new Error('not added');
    const removed = removeKey(both.text, 'a');
    if (!removed.ok) throw new Error(removed.problem);
    expect(JSON.parse(removed.text)).toMatchObject({ keys: [{ id: 'b' }] });
    expect(removeKey(removed.text, 'a').ok).toBe(false);
  });

  it('leaves a broken file alone', () => {
    expect(addKey('{ nope', 'a')).toMatchObject({ ok: false });
    expect(addKey(undefined, 'bad id!')).toMatchObject({ ok: false });
    expect(addKey(undefined, 'a', { scopes: ['admin'] })).toMatchObject({ ok: false });
  });
});
