/**
 * Apollo's documented pattern for live data, in one hook: `useQuery` paints
 * the Query twin's snapshot, then `subscribeToMore` streams the subscription
 * of the same name into that cached result. A failure of either is returned,
 * not thrown, so a view shows it and the rest of the page goes on.
 */
import { useEffect, useState } from 'react';
import type { DefaultContext, OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useQuery } from '@apollo/client/react';

export interface LiveQueryOptions<TData, TVariables extends OperationVariables> {
  readonly query: TypedDocumentNode<TData, TVariables>;
  readonly subscription: TypedDocumentNode<TData, TVariables>;
  readonly variables: NoInfer<TVariables>;
  /** The subscription's own variables on top of the query's (e.g. `throttleMs`). */
  readonly subscriptionVariables?: NoInfer<Partial<TVariables>>;
  /** The link context of the subscription (which transport carries it). */
  readonly context?: DefaultContext;
  /** How an event joins the cached result; by default it replaces it. */
  readonly merge?: (previous: NoInfer<TData> | undefined, next: NoInfer<TData>) => NoInfer<TData>;
  readonly skip?: boolean;
}

export interface LiveQueryResult<TData> {
  readonly data: TData | undefined;
  /** The snapshot query's error, if any. */
  readonly queryError: string | undefined;
  /** The subscription's error, if any (the stream has ended). */
  readonly streamError: string | undefined;
  /** Events received so far. */
  readonly updates: number;
}

export function useLiveQuery<TData, TVariables extends OperationVariables>(
  options: LiveQueryOptions<TData, TVariables>,
): LiveQueryResult<TData> {
  const { query, subscription, variables, subscriptionVariables, context, merge, skip = false } = options;
  const result = useQuery<TData, TVariables>(query, { variables, skip });
  const [streamError, setStreamError] = useState<string | undefined>(undefined);
  const [updates, setUpdates] = useState(0);
  const { subscribeToMore } = result;
  const key = JSON.stringify({ variables, subscriptionVariables });

  useEffect(() => {
    if (skip) return undefined;
    setStreamError(undefined);
    return subscribeToMore<TData, TVariables>({
      document: subscription,
      variables: { ...variables, ...subscriptionVariables },
      ...(context === undefined ? {} : { context }),
      updateQuery: (_unsafe, options) => {
        setUpdates((n) => n + 1);
        const next = options.subscriptionData.data;
        // A partial previous result (no snapshot yet) is not merged into: the event stands alone.
        return merge === undefined ? next : merge(options.complete ? options.previousData : undefined, next);
      },
      onError: (error) => setStreamError(error.message),
    });
    // `key` stands for the variables' values: a new object with the same values keeps the stream.
  }, [subscribeToMore, subscription, key, skip]);

  return { data: result.data as TData | undefined, queryError: result.error?.message, streamError, updates };
}
