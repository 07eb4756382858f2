// The shared stylesheet first: components' CSS modules come after it in the bundle, so a component's own rule wins
// over a shared one of the same specificity, as when they were one file.
import './styles.css';
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
