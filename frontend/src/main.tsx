// The global sheets first (variables and elements, page layout, shared primitives): components' CSS modules come
// after them in the bundle, so a component's own rule wins over a global one of the same specificity.
import './styles/base.css';
import './styles/layout.css';
import './styles/primitives.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { adoptLaunchToken } from './api/launchToken';

// `atrium web`'s launch URL carries the API token: keep it for the API client and drop it from the address bar
// before anything else runs.
adoptLaunchToken();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
