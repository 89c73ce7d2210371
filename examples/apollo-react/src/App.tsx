/** The page: the book (WebSocket) beside the trade tape (multipart HTTP), the option chain below. */
import { BookView } from './BookView.tsx';
import { OptionChainView } from './OptionChainView.tsx';
import { ViewBoundary } from './Problem.tsx';
import { TradeTape } from './TradeTape.tsx';

export function App({ gateway, now }: { readonly gateway: string; readonly now: number }) {
  return (
    <main>
      <header>
        <h1>Coincall BTCUSD, live</h1>
        <p className="muted">
          Apollo Client against <code data-testid="gateway">{gateway}</code>
        </p>
      </header>
      <div className="row">
        <ViewBoundary name="Order book">
          <BookView />
        </ViewBoundary>
        <ViewBoundary name="Trades">
          <TradeTape />
        </ViewBoundary>
      </div>
      <ViewBoundary name="Option chain">
        <OptionChainView now={now} />
      </ViewBoundary>
    </main>
  );
}
