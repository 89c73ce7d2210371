/**
 * How the exchange's acknowledgement of a subscribe (or unsubscribe) is
 * matched to what was sent: its dataType and the canonical key of the payload
 * it echoes.
 */
import { canonicalKey } from '../../lib/canonical.ts';
import type { SourceTopic } from '../../hub/source-port.ts';

/** The key of a request or an acknowledgement: dataType and the canonical key of the payload. */
export const ackKeyOf = (dataType: string, payloadKey: string): string => `${dataType}\u0000${payloadKey}`;

/** The key of a topic's own (unbatched) request. */
export const ackKeyOfTopic = (topic: SourceTopic): string => ackKeyOf(topic.channel.dataType, canonicalKey(topic.payload ?? null));
