import type { Api } from './api';
import type { ConsoleConfig } from './auth';

/** The signed-in person, as `GET /20190206/users/me` answers. */
export interface Me {
  readonly Id: string;
  readonly Email: string;
  readonly FirstName?: string;
  readonly LastName?: string;
  readonly Role: string;
}

/** What every page gets: the API, the person, and whether they may change things. */
export interface PageContext {
  readonly api: Api;
  readonly me: Me;
  readonly config: ConsoleConfig;
  /** Only an Admin (customer_admin) sees controls that change users, groups and account types. */
  readonly isAdmin: boolean;
}

/** A page draws itself into `main`; errors it throws are shown in words by the shell. */
export type Page = (main: HTMLElement, context: PageContext) => Promise<void>;
