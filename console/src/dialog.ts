/**
 * Confirmations and small edit forms in a native modal `<dialog>`: the browser keeps focus
 * inside it and closes it on Escape; focus returns to the control that opened it. The change
 * runs while the dialog is open, so a refusal from the API is shown in words right there.
 */
import { h, notice, replace } from './dom';

/** What an edit dialog shows and does. */
export interface DialogOptions {
  /** The heading, and the dialog's accessible name: it names the thing changed. */
  readonly title: string;
  /** Text and labelled fields between the heading and the buttons. */
  readonly content: readonly Node[];
  /** The button that runs `action`, e.g. `Delete` or `Save`. */
  readonly confirmLabel: string;
  /** A destructive change: its button is drawn as a warning. */
  readonly danger?: boolean;
  /** The change; what it throws is shown in the dialog, which stays open. */
  readonly action: () => Promise<unknown>;
}

/** An API error (an ApiError's message is already in words) or anything else thrown, as text. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Dialogs opened so far: each heading gets an id of its own. */
let dialogs = 0;

/**
 * Opens a modal dialog; resolves true once `action` succeeded (the dialog is closed), false
 * when the person cancels (Cancel or Escape).
 */
export function openDialog(options: DialogOptions): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  dialogs += 1;
  const titleId = `dialog-title-${dialogs}`;
  const status = h('div', { 'aria-live': 'polite' });
  const confirm = h(
    'button',
    { type: 'submit', class: options.danger ? 'danger' : undefined },
    options.confirmLabel,
  );
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: titleId }, options.title),
    ...options.content,
    status,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  const dialog = h('dialog', { 'aria-labelledby': titleId }, form);
  document.body.appendChild(dialog);
  return new Promise<boolean>((resolve) => {
    // While the change runs, the dialog stays: closing it would hide whether it was made.
    let busy = false;
    const finish = (done: boolean): void => {
      dialog.close();
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(done);
    };
    cancel.addEventListener('click', () => {
      if (!busy) finish(false);
    });
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      if (!busy) finish(false);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy = true;
      confirm.disabled = true;
      replace(status, notice('info', 'Saving…'));
      options.action().then(
        () => finish(true),
        (error: unknown) => {
          busy = false;
          confirm.disabled = false;
          replace(status, notice('error', errorText(error)));
        },
      );
    });
    dialog.showModal();
  });
}

/**
 * After a page is drawn again, its controls are new: focus goes to the page itself (not lost
 * to the document), so the keyboard continues from the top of the page, below the notice.
 */
export function keepFocusIn(main: HTMLElement): void {
  if (!main.contains(document.activeElement)) main.focus();
}
