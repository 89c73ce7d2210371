/**
 * Naming in the engine: the streams, the subjects of a topic and the keys of
 * the lease bucket, all under the cluster's name (`CLUSTER_NAME`). A topic id
 * (channel and canonical arguments) becomes one subject token in base64url, so
 * no character of an argument can add a token or a wildcard.
 */

/** Whether a topic's events are kept one by one (trades) or only the latest (books, prices). */
export type TopicKind = 'event' | 'state';

/** A public topic as the engine sees it: never a private channel, an account or a key. */
export interface ClusterTopic {
  /** The channel and its canonical arguments, e.g. `options:trades:{"symbol":"BTCUSD"}`. */
  readonly id: string;
  readonly kind: TopicKind;
  /** `options` or `futures`: a label of the metrics. */
  readonly market: string;
}

/** What a cluster name may be: a stream name and a subject token at once. */
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function clusterNameProblem(name: string): string | undefined {
  return CLUSTER_NAME.test(name) ? undefined : `must be 1 to 32 letters, digits, "_" or "-", got "${name}"`;
}

/** A topic id as one subject token (and KV key token): base64url, no padding. */
export function topicToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** A node id as one KV key token: nodes are named by operators, so they are encoded too. */
export function nodeToken(node: string): string {
  return Buffer.from(node, 'utf8').toString('base64url');
}

export function nodeFromToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** The topic id an interest key (`interest.<topic>.<node>`) names; undefined for any other key. */
export function topicOfInterestKey(key: string): string | undefined {
  const [kind, token, node] = key.split('.');
  if (kind !== 'interest' || token === undefined || node === undefined) return undefined;
  return Buffer.from(token, 'base64url').toString('utf8');
}

/** The names of one cluster's streams, subjects and bucket. */
export interface ClusterNames {
  /** Trades: kept for the resume window, per-subject limit, de-duplicated by trade id. */
  readonly eventStream: string;
  /** Books, prices and the like: the latest value of each topic only. */
  readonly stateStream: string;
  readonly eventSubjects: string;
  readonly stateSubjects: string;
  /** The KV bucket of leases, interest and presence. */
  readonly bucket: string;
  subject(topic: ClusterTopic): string;
  /** The lease key of `slot` (0 for state topics; 0 or 1 for trades). */
  leaseKey(topic: ClusterTopic, slot: number): string;
  /** The lease keys of a topic, every slot: `lease.<topic>.*`. */
  leaseFilter(topic: ClusterTopic): string;
  /** This node's interest in a topic. */
  interestKey(topic: ClusterTopic, node: string): string;
  interestFilter(topic: ClusterTopic): string;
  presenceKey(node: string): string;
  readonly presenceFilter: string;
}

export function clusterNames(name: string): ClusterNames {
  const problem = clusterNameProblem(name);
  if (problem !== undefined) throw new Error(`cluster name ${problem}`);
  return {
    eventStream: `${name}_events`,
    stateStream: `${name}_state`,
    eventSubjects: `${name}.ev.>`,
    stateSubjects: `${name}.st.>`,
    bucket: `${name}_leases`,
    subject: (topic) => `${name}.${topic.kind === 'event' ? 'ev' : 'st'}.${topic.market}.${topicToken(topic.id)}`,
    leaseKey: (topic, slot) => `lease.${topicToken(topic.id)}.${slot}`,
    leaseFilter: (topic) => `lease.${topicToken(topic.id)}.*`,
    interestKey: (topic, node) => `interest.${topicToken(topic.id)}.${nodeToken(node)}`,
    interestFilter: (topic) => `interest.${topicToken(topic.id)}.*`,
    presenceKey: (node) => `node.${nodeToken(node)}`,
    presenceFilter: 'node.*',
  };
}
