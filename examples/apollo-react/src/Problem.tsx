/**
 * How a view shows that part of it does not work (a failed snapshot query, an
 * ended stream, a render error): a visible note, while the rest of the page
 * goes on streaming.
 */
import { Component, type ReactNode } from 'react';

export function Problem({ what, message }: { readonly what: string; readonly message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p role="alert" className="problem">
      {what}: {message}
    </p>
  );
}

/** Catches a view's render error so that one broken view does not blank the page. */
export class ViewBoundary extends Component<
  { readonly name: string; readonly children: ReactNode },
  { readonly error: string | undefined }
> {
  override state: { readonly error: string | undefined } = { error: undefined };

  static getDerivedStateFromError(error: unknown): { error: string } {
    return { error: error instanceof Error ? error.message : String(error) };
  }

  override render() {
    if (this.state.error !== undefined) return <Problem what={`${this.props.name} failed`} message={this.state.error} />;
    return this.props.children;
  }
}
