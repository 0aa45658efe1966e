import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app';
import { createRampartApi } from './api/rampart-api';
import { ApiProvider } from './session/api-context';
import { SessionProvider } from './session/session-context';
import { StepUpProvider } from './session/step-up-context';
import './styles/tokens.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/components.css';
import './styles/auth.css';
import './styles/inbox.css';
import './styles/audit.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <ApiProvider api={createRampartApi()}>
        <SessionProvider>
          <StepUpProvider>
            <App />
          </StepUpProvider>
        </SessionProvider>
      </ApiProvider>
    </BrowserRouter>
  </StrictMode>,
);
