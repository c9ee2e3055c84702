import type { PageContext } from '../context';
import { field, h, replace, table } from '../dom';

/** One event of the audit trail (`GET /20190206/audit/events`, ADR 0014). */
interface AuditEvent {
  readonly eventId: string;
  readonly staxEventType: string;
  readonly time: string;
  readonly outcome: string;
  readonly actor: { readonly type?: string; readonly id?: string; readonly name?: string };
  readonly target: ReadonlyArray<{ readonly type: string; readonly id: string; readonly name?: string }>;
}

/** The query's filters, as the form holds them. */
interface Filters {
  readonly type: string;
  readonly user_id: string;
  readonly account_id: string;
  readonly from: string;
  readonly to: string;
}

/** Audit log (Admin): newest first, filtered by type, user, account and time. */
export async function auditPage(main: HTMLElement, context: PageContext): Promise<void> {
  await render(main, context, { type: '', user_id: '', account_id: '', from: '', to: '' });
}

async function render(main: HTMLElement, context: PageContext, filters: Filters): Promise<void> {
  const query = new URLSearchParams({ limit: '100' });
  for (const [name, value] of Object.entries(filters)) {
    if (value === '') continue;
    query.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
  }
  const { Events: events } = await context.api.get<{ Events: AuditEvent[] }>(`/audit/events?${query}`);
  const inputs = {
    type: h('input', { type: 'text', value: filters.type, placeholder: 'teams.CreateUser' }),
    user_id: h('input', { type: 'text', value: filters.user_id }),
    account_id: h('input', { type: 'text', value: filters.account_id }),
    from: h('input', { type: 'datetime-local', value: filters.from }),
    to: h('input', { type: 'datetime-local', value: filters.to }),
  };
  const form = h(
    'form',
    { class: 'inline-form', 'aria-label': 'Filter the audit log' },
    field('Event type', inputs.type),
    field('User id', inputs.user_id),
    field('Account id', inputs.account_id),
    field('From', inputs.from),
    field('To', inputs.to),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = Object.fromEntries(
      Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]),
    );
    void render(main, context, next as unknown as Filters);
  });
  replace(
    main,
    h('h1', {}, 'Audit log'),
    form,
    table(
      `${events.length} ${events.length === 1 ? 'event' : 'events'}, newest first`,
      ['Time', 'Event', 'Outcome', 'By', 'On'],
      events.map((event) => [
        document.createTextNode(new Date(event.time).toLocaleString()),
        document.createTextNode(event.staxEventType),
        document.createTextNode(event.outcome),
        document.createTextNode(event.actor.name ?? event.actor.id ?? event.actor.type ?? ''),
        document.createTextNode(
          event.target.map((target) => `${target.type} ${target.name ?? target.id}`).join(', '),
        ),
      ]),
    ),
  );
}
