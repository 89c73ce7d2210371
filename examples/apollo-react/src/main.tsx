/** Entry: the gateway from the page's address (`?gateway=`), one Apollo Client, the page. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client/react';
import { App } from './App.tsx';
import { createGatewayClient, gatewayUrl } from './client.ts';
import './styles.css';

const gateway = gatewayUrl(window.location.search);
const root = document.getElementById('root');
if (root === null) throw new Error('no #root element in index.html');
createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={createGatewayClient(gateway)}>
      <App gateway={gateway} now={Date.now()} />
    </ApolloProvider>
  </StrictMode>,
);
