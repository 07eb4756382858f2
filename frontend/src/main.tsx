import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { adoptLaunchToken } from './api/launchToken';
import './styles.css';

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
