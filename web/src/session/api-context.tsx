import { createContext, useContext } from 'react';
import type { ReactNode } from 'react';
import type { RampartApi } from '../api/rampart-api';

const ApiContext = createContext<RampartApi | null>(null);

export function ApiProvider({ api, children }: { api: RampartApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** The typed API client of this app (one per page load). */
export function useApi(): RampartApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}
